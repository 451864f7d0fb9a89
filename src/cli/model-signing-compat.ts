/**
 * model_signing's command line (`model_signing sign|verify [sigstore|key|certificate] MODEL …`,
 * its `_cli.py`), accepted by `aiprov` in its place: the method word is dropped (aiprov tells the
 * method from the flags) and its snake_case flags become aiprov's. Hidden: `--help` shows only
 * aiprov's spellings; the README maps each one.
 */
import { InputError } from '../errors.js';

const METHODS = new Set(['sigstore', 'key', 'certificate']);
const PKCS11_METHODS = new Set(['pkcs11-key', 'pkcs11-certificate']);

/** model_signing's flag → aiprov's (per command). */
const FLAG_ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  sign: {
    '--private_key': '--key',
    '--signing_certificate': '--certificate',
    '--certificate_chain': '--certificate-chain',
    '--use_staging': '--staging',
    '--identity_token': '--identity-token',
    '--ignore_paths': '--ignore-paths',
    '--allow_symlinks': '--allow-symlinks',
  },
  verify: {
    '--public_key': '--key',
    '--certificate_chain': '--certificate-chain',
    '--use_staging': '--staging',
    '--identity_provider': '--identity-provider',
    '--ignore_paths': '--ignore-paths',
    '--allow_symlinks': '--allow-symlinks',
    '--ignore_unsigned_files': '--ignore-unsigned-files',
    // cosign's name for the signature file.
    '--bundle': '--signature',
  },
  digest: {
    '--ignore_paths': '--ignore-paths',
    '--allow_symlinks': '--allow-symlinks',
  },
};

/**
 * Flags that model_signing has and aiprov does by default: dropped. Git metadata is always left
 * out (model_signing's default); ambient credentials (SIGSTORE_ID_TOKEN, GitHub Actions) are
 * always looked for before a browser sign-in.
 */
const DEFAULT_BEHAVIOUR_FLAGS = new Set(['--ignore-git-paths', '--use_ambient_credentials']);

/** Flags with no aiprov equivalent: refused with the way to get the same result. */
const REFUSED_FLAGS: Readonly<Record<string, string>> = {
  '--no-ignore-git-paths': 'aiprov always leaves .git, .gitattributes, .github and .gitignore out (model_signing\'s default)',
  '--password': 'a passphrase on the command line ends up in the shell history; put it in an environment variable and pass --passphrase-env VAR',
  '--pkcs11_uri': 'PKCS #11 keys are not supported; sign with --key, --key and --certificate, or keyless',
};

export function translateModelSigningArgv(argv: readonly string[]): string[] {
  const [command, first, ...rest] = argv;
  if (command === undefined || !(command in FLAG_ALIASES)) return [...argv];
  const aliases = FLAG_ALIASES[command] ?? {};
  if (first !== undefined && PKCS11_METHODS.has(first)) {
    throw new InputError('USAGE', `${first}: PKCS #11 keys are not supported; sign with --key, --key and --certificate, or keyless`);
  }
  const dropsMethod = (command === 'sign' || command === 'verify') && first !== undefined && METHODS.has(first);
  const tail = dropsMethod ? rest : first === undefined ? [] : [first, ...rest];
  const translated: string[] = [command];
  for (const [index, token] of tail.entries()) {
    if (token === '--') {
      translated.push(...tail.slice(index));
      break;
    }
    const [flag = token, value] = token.startsWith('--') && token.includes('=') ? [token.slice(0, token.indexOf('=')), token.slice(token.indexOf('=') + 1)] : [token, undefined];
    const refusal = REFUSED_FLAGS[flag];
    if (refusal !== undefined) throw new InputError('USAGE', `${flag}: ${refusal}`);
    if (DEFAULT_BEHAVIOUR_FLAGS.has(flag)) continue;
    const alias = aliases[flag];
    translated.push(alias === undefined ? token : value === undefined ? alias : `${alias}=${value}`);
  }
  return translated;
}
