import type { Command } from 'commander';
import { InputError } from '../errors.js';
import type { SigningMethod } from '../sign/signer.js';
import { oneLine, renderFinding } from '../report/text.js';
import type { CliContext } from './context.js';
import { passphraseFromEnv, promptSecret } from './prompt.js';

/** The signing flags shared by `sign`, `attest …` and `sign-bundle`. */
export interface SigningFlags {
  readonly key?: string;
  readonly certificate?: string;
  readonly certificateChain?: string[];
  readonly passphraseEnv?: string;
  readonly identityToken?: string;
  readonly staging?: boolean;
  readonly signingConfig?: string;
  readonly fulcioUrl?: string;
  readonly rekorUrl?: string;
  readonly tsaUrl?: string;
  readonly oidcIssuer?: string;
}

export function addSigningOptions(command: Command): Command {
  return command
    .option('--key <private-key.pem>', 'sign with this ECDSA private key (default: keyless, with Sigstore)')
    .option('--certificate <cert.pem>', 'the signing key\'s certificate (writes an x509CertificateChain bundle)')
    .option('--certificate-chain <chain.pem...>', 'intermediate (and root) certificates to include after the leaf')
    .option('--passphrase-env <VAR>', 'the private key\'s passphrase is in this environment variable')
    .option('--identity-token <token|@file>', 'keyless: the OIDC identity token (else SIGSTORE_ID_TOKEN, GitHub Actions, or a browser sign-in)')
    .option('--staging', 'keyless: use Sigstore\'s staging instance')
    .option('--signing-config <file>', 'keyless: a Sigstore SigningConfig v0.2 naming Fulcio, Rekor and the TSA')
    .option('--fulcio-url <url>', 'keyless: Fulcio URL')
    .option('--rekor-url <url>', 'keyless: Rekor URL')
    .option('--tsa-url <url>', 'RFC 3161 timestamp authority URL (Sigstore TSA API); with --key it timestamps the key or certificate signature')
    .option('--oidc-issuer <url>', 'keyless: OIDC issuer for the browser sign-in');
}

/** Turns signing flags into a signing method: a key, a certificate, or keyless Sigstore. */
export async function signingMethodFromFlags(flags: SigningFlags, context: CliContext): Promise<SigningMethod> {
  if (flags.key !== undefined) return keySigningMethod(flags, flags.key, context);
  if (flags.certificate !== undefined || flags.certificateChain !== undefined) {
    throw new InputError('USAGE', '--certificate and --certificate-chain need --key');
  }
  const { loadSigningServices } = await import('../use-cases/signing-method.js');
  const { resolveIdentityToken } = await import('../sign/identity/token-sources.js');
  const services = await loadSigningServices({
    ...(flags.staging === true ? { staging: true } : {}),
    ...(flags.signingConfig === undefined ? {} : { signingConfigPath: flags.signingConfig }),
    ...(flags.fulcioUrl === undefined ? {} : { fulcioUrl: flags.fulcioUrl }),
    ...(flags.rekorUrl === undefined ? {} : { rekorUrl: flags.rekorUrl }),
    ...(flags.tsaUrl === undefined ? {} : { tsaUrl: flags.tsaUrl }),
    ...(flags.oidcIssuer === undefined ? {} : { oidcIssuer: flags.oidcIssuer }),
  });
  const interactive = context.stdin.isTTY === true && context.stderr.isTTY === true;
  const token = await resolveIdentityToken({
    ...(flags.identityToken === undefined ? {} : { explicit: flags.identityToken }),
    env: context.env,
    interactive: interactive
      ? {
          ...(services.oidcIssuer === undefined ? {} : { issuer: services.oidcIssuer }),
          openUrl: (url: string) => {
            context.stderr.write(`Open this URL in a browser to sign in:\n  ${oneLine(url)}\n`);
          },
        }
      : false,
  });
  return { kind: 'keyless', services, identityToken: token.token };
}

async function keySigningMethod(flags: SigningFlags, keyPath: string, context: CliContext): Promise<SigningMethod> {
  const { loadKeySigningMethod, privateKeyFileFindings, readPrivateKeyFile } = await import('../use-cases/signing-method.js');
  const keyPem = await readPrivateKeyFile(keyPath);
  let passphrase = passphraseFromEnv(context, flags.passphraseEnv);
  if (passphrase === undefined && keyPem.includes('ENCRYPTED') && context.stdin.isTTY === true) {
    passphrase = await promptSecret(context, `Passphrase for ${oneLine(keyPath)}: `);
  }
  const method = await loadKeySigningMethod(
    {
      keyPath,
      ...(passphrase === undefined ? {} : { passphrase }),
      ...(flags.certificate === undefined ? {} : { certificatePath: flags.certificate }),
      ...(flags.certificateChain === undefined ? {} : { certificateChainPaths: flags.certificateChain }),
      ...(flags.tsaUrl === undefined ? {} : { tsaUrl: flags.tsaUrl }),
    },
    keyPem,
  );
  // Only about a file that is a usable private key: a bad key file gets its one error line.
  for (const finding of await privateKeyFileFindings(keyPath)) context.stderr.write(`${renderFinding(finding, 'aiprov: ')}\n`);
  return method;
}

/** The signing flags of `sign`, prefixed `--vsa-`, for signing a verification summary. */
export interface VsaSigningFlags {
  readonly vsaKey?: string;
  readonly vsaCertificate?: string;
  readonly vsaCertificateChain?: string[];
  readonly vsaPassphraseEnv?: string;
  readonly vsaIdentityToken?: string;
  readonly vsaStaging?: boolean;
  readonly vsaSigningConfig?: string;
  readonly vsaFulcioUrl?: string;
  readonly vsaRekorUrl?: string;
  readonly vsaTsaUrl?: string;
  readonly vsaOidcIssuer?: string;
}

/**
 * `--vsa-key`, `--vsa-identity-token`, …: the options of `addSigningOptions` under a `vsa-`
 * prefix, since a verifying command's own `--key` and `--staging` name what it trusts.
 */
export function addVsaSigningOptions(command: Command): Command {
  return command
    .option('--vsa-key <private-key.pem>', 'sign the verification summary with this key (default: keyless, with Sigstore)')
    .option('--vsa-certificate <cert.pem>', 'the VSA signing key\'s certificate')
    .option('--vsa-certificate-chain <chain.pem...>', 'intermediate (and root) certificates after the VSA signing certificate')
    .option('--vsa-passphrase-env <VAR>', 'the VSA key\'s passphrase is in this environment variable')
    .option('--vsa-identity-token <token|@file>', 'keyless VSA: the OIDC identity token (else SIGSTORE_ID_TOKEN, GitHub Actions, or a browser sign-in)')
    .option('--vsa-staging', 'keyless VSA: use Sigstore\'s staging instance')
    .option('--vsa-signing-config <file>', 'keyless VSA: a Sigstore SigningConfig v0.2')
    .option('--vsa-fulcio-url <url>', 'keyless VSA: Fulcio URL')
    .option('--vsa-rekor-url <url>', 'keyless VSA: Rekor URL')
    .option('--vsa-tsa-url <url>', 'VSA: RFC 3161 timestamp authority URL (with --vsa-key it timestamps the key signature)')
    .option('--vsa-oidc-issuer <url>', 'keyless VSA: OIDC issuer for the browser sign-in');
}

export function vsaSigningFlags(flags: VsaSigningFlags): SigningFlags {
  return {
    ...(flags.vsaKey === undefined ? {} : { key: flags.vsaKey }),
    ...(flags.vsaCertificate === undefined ? {} : { certificate: flags.vsaCertificate }),
    ...(flags.vsaCertificateChain === undefined ? {} : { certificateChain: flags.vsaCertificateChain }),
    ...(flags.vsaPassphraseEnv === undefined ? {} : { passphraseEnv: flags.vsaPassphraseEnv }),
    ...(flags.vsaIdentityToken === undefined ? {} : { identityToken: flags.vsaIdentityToken }),
    ...(flags.vsaStaging === true ? { staging: true } : {}),
    ...(flags.vsaSigningConfig === undefined ? {} : { signingConfig: flags.vsaSigningConfig }),
    ...(flags.vsaFulcioUrl === undefined ? {} : { fulcioUrl: flags.vsaFulcioUrl }),
    ...(flags.vsaRekorUrl === undefined ? {} : { rekorUrl: flags.vsaRekorUrl }),
    ...(flags.vsaTsaUrl === undefined ? {} : { tsaUrl: flags.vsaTsaUrl }),
    ...(flags.vsaOidcIssuer === undefined ? {} : { oidcIssuer: flags.vsaOidcIssuer }),
  };
}
