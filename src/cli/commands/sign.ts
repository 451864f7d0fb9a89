import { Option, type Command } from 'commander';
import { InputError } from '../../errors.js';
import type { ArtifactKind } from '../../format/artifact-kind.js';
import type { CurveName } from '../../format/keys.js';
import type { CliContext, SetExitStatus } from '../context.js';
import { incrementalDigestCache, writeIncrementalWarnings } from '../incremental.js';
import { addManifestOptions, manifestOptionsFrom, withProgress, type ManifestFlags } from '../options.js';
import { passphraseFromEnv, promptSecret } from '../prompt.js';
import { addSigningOptions, signingMethodFromFlags, type SigningFlags } from '../signing.js';
import type { ManifestOptions } from '../../manifest/compute.js';
import type { Partition } from '../../manifest/partition.js';
import type { SignArtifactResult } from '../../sign/sign-artifact.js';
import { partitionArgument, runDigestMerge, runDigestPartition } from './partition.js';

interface DigestFlags extends ManifestFlags {
  readonly kind: ArtifactKind;
  readonly partition?: Partition;
  readonly merge?: string[];
  readonly json?: boolean;
  readonly quiet?: boolean;
}

interface KeygenFlags {
  readonly curve: CurveName;
  readonly outputPrefix: string;
  readonly passphraseEnv?: string;
  readonly passphrasePrompt?: boolean;
  readonly force?: boolean;
}

interface SignFlags extends ManifestFlags, SigningFlags {
  readonly kind: ArtifactKind;
  readonly signature?: string;
  readonly name?: string;
  readonly incremental?: boolean;
  readonly manifest?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

export function registerSignCommands(program: Command, context: CliContext, _setExitStatus: SetExitStatus): void {
  const write = (text: string): void => {
    context.stdout.write(`${text}\n`);
  };
  const printSigned = async (result: SignArtifactResult, json: boolean): Promise<void> => {
    if (result.warnings.length > 0) {
      const { renderFinding } = await import('../../report/text.js');
      for (const warning of result.warnings) context.stderr.write(`${renderFinding(warning, 'aiprov: ')}\n`);
    }
    if (json) {
      const { signJson } = await import('../../report/json.js');
      write(JSON.stringify(signJson(result), null, 2));
    } else {
      const { oneLine } = await import('../../report/text.js');
      const rehashed = result.incremental === undefined ? '' : `, ${String(result.incremental.hashedResources)} re-hashed`;
      write(`Signed ${oneLine(result.manifest.name)} sha256:${result.rootDigest} (${String(result.manifest.resources.length)} resources${rehashed}) -> ${oneLine(result.signaturePath)}`);
    }
  };

  addManifestOptions(
    program
      .command('digest')
      .description('print the root digest of a model, dataset or file (the same value as `model_signing digest`)')
      .argument('[path]', 'artifact directory or file, or hf://[datasets/]org/name[@revision] in the local Hugging Face cache'),
  )
    .addOption(new Option('--kind <kind>', 'what the artifact is: its signature and attestations files are left out, as `sign` leaves them out').choices(['model', 'dataset', 'recipe']).default('model'))
    .option('--partition <K/N>', 'hash only part K (1-based) of N of the resources, balanced by bytes; merge the parts\' --json outputs with --merge', partitionArgument)
    .option('--merge <part...>', 'merge the --json outputs of every part of a --partition digest into the root digest (no PATH)')
    .option('--json', 'print the manifest as JSON')
    .option('-q, --quiet', 'no progress output')
    .action(async (path: string | undefined, flags: DigestFlags, command: Command) => {
      if (flags.merge !== undefined) {
        await runDigestMerge(context, command, path, flags);
        return;
      }
      if (path === undefined) throw new InputError('USAGE', 'digest needs an artifact PATH, or --merge PART… to merge the parts of a partitioned digest');
      const options = { ...manifestOptionsFrom(flags), kind: flags.kind, hubEnvironment: context.env };
      if (flags.partition !== undefined) {
        await runDigestPartition(context, path, flags.partition, flags, options);
        return;
      }
      const { manifestToSign, rootDigestToSign } = await import('../../sign/artifact-manifest.js');
      if (flags.json === true) {
        const { computeRootDigest } = await import('../../manifest/manifest.js');
        const manifest = await withProgress(context, flags, 'Hashing', (hooks) => manifestToSign(path, { ...options, ...hooks }));
        const { digestJson } = await import('../../report/json.js');
        write(JSON.stringify(digestJson(manifest, computeRootDigest(manifest.resources)), null, 2));
      } else {
        // Only the root is printed: nothing is kept per file (a million files in bounded memory).
        const { rootDigest } = await withProgress(context, flags, 'Hashing', (hooks) => rootDigestToSign(path, { ...options, ...hooks }));
        write(`sha256:${rootDigest}`);
      }
    });

  program
    .command('keygen')
    .description('write an ECDSA key pair as PEM (private key mode 0600)')
    .addOption(new Option('--curve <curve>', 'elliptic curve').choices(['P-256', 'P-384', 'P-521']).default('P-256'))
    .option('--output-prefix <prefix>', 'write <prefix>.key and <prefix>.pub', 'aiprov')
    .option('--passphrase-env <VAR>', 'encrypt the private key with the passphrase in this environment variable')
    .option('--passphrase-prompt', 'encrypt the private key with a passphrase typed on the terminal')
    .option('--force', 'overwrite existing key files')
    .action(async (flags: KeygenFlags) => {
      const { generateKeyPair } = await import('../../format/keys.js');
      const { writeNewKeyFiles } = await import('../../sign/key-files.js');
      let passphrase = passphraseFromEnv(context, flags.passphraseEnv);
      if (passphrase === undefined && flags.passphrasePrompt === true) {
        passphrase = await promptSecret(context, 'Passphrase for the new private key: ');
        const again = await promptSecret(context, 'Repeat the passphrase: ');
        if (again !== passphrase) throw new InputError('PASSPHRASE_MISMATCH', 'the two passphrases differ');
      }
      if (passphrase === '') throw new InputError('PASSPHRASE_EMPTY', 'an empty passphrase does not protect a key');
      const pair = generateKeyPair(flags.curve, passphrase);
      const written = await writeNewKeyFiles(flags.outputPrefix, pair, flags.force === true);
      const { oneLine } = await import('../../report/text.js');
      write(`Wrote ${oneLine(written.privateKeyPath)} (private${passphrase === undefined ? ', unencrypted' : ', encrypted'}) and ${oneLine(written.publicKeyPath)}`);
    });

  addSigningOptions(
    addManifestOptions(
      program
        .command('sign')
        .description('sign a model, dataset, recipe or file: an OpenSSF Model Signing (OMS v1.0) Sigstore bundle')
        .argument('<path>', 'artifact directory or file'),
    ),
  )
    .addOption(new Option('--kind <kind>', 'what the artifact is; names the signature file (<kind>.sig in a directory)').choices(['model', 'dataset', 'recipe']).default('model'))
    .option('--signature <file>', 'where to write the bundle (default: <kind>.sig inside a directory, <file>.sig beside a file)')
    .option('--name <name>', 'the subject name (default: the folder or file name; e.g. org/name for a Hugging Face snapshot named after its commit)')
    .option('--manifest <file>', 'sign this manifest (from `digest --merge --json`) instead of hashing PATH, once it is checked to list exactly PATH\'s files and sizes')
    .option('--incremental', 're-hash only files changed since this artifact was last signed on this machine (digest cache in $XDG_CACHE_HOME/aiprov/digests; verify never uses it)')
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'no progress output')
    .action(async (path: string, flags: SignFlags, command: Command) => {
      const { signArtifact } = await import('../../sign/sign-artifact.js');
      const common = { kind: flags.kind, ...(flags.signature === undefined ? {} : { signaturePath: flags.signature }), ...(flags.name === undefined ? {} : { name: flags.name }), hubEnvironment: context.env };
      if (flags.manifest !== undefined) {
        // Nothing is hashed: a digest cache would be silently unused.
        if (flags.incremental === true) throw new InputError('USAGE', '--incremental cannot be combined with --manifest: the given manifest is signed and nothing is hashed');
        const { readMergedManifest } = await import('../../use-cases/partition-files.js');
        const { signMergedManifest } = await import('../../sign/sign-manifest.js');
        const manifest = await readMergedManifest(flags.manifest);
        const signingMethod = await signingMethodFromFlags(flags, context);
        await printSigned(await signMergedManifest(path, manifest, { ...givenManifestOptions(command, flags), signingMethod, ...common }), flags.json === true);
        return;
      }
      // Before the signing method: a refusal must not follow a passphrase prompt or a sign-in.
      const digestCache = flags.incremental === true ? await incrementalDigestCache(context) : undefined;
      const signingMethod = await signingMethodFromFlags(flags, context);
      const result = await withProgress(context, flags, 'Hashing', (hooks) => signArtifact(path, { ...manifestOptionsFrom(flags), ...hooks, signingMethod, ...common, ...(digestCache === undefined ? {} : { digestCache }) }));
      await writeIncrementalWarnings(context, result, flags.quiet === true);
      await printSigned(result, flags.json === true);
    });
}

/**
 * `sign --manifest`: the serialization flags the user gave (the others come from the manifest,
 * and those given must agree with it: `signMergedManifest`).
 */
function givenManifestOptions(command: Command, flags: SignFlags): ManifestOptions {
  const given = (name: string): boolean => command.getOptionValueSource(name) === 'cli';
  const options = manifestOptionsFrom(flags);
  return {
    ...(given('hash') && options.hashType !== undefined ? { hashType: options.hashType } : {}),
    ...((given('method') || given('shardSize')) && options.method !== undefined ? { method: options.method } : {}),
    ...(options.shardSize === undefined ? {} : { shardSize: options.shardSize }),
    ...(options.ignorePaths === undefined ? {} : { ignorePaths: options.ignorePaths }),
    ...(options.allowSymlinks === undefined ? {} : { allowSymlinks: options.allowSymlinks }),
    ...(options.allowExternalSymlinks === undefined ? {} : { allowExternalSymlinks: options.allowExternalSymlinks }),
  };
}
