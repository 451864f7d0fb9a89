import type { Command } from 'commander';
import { EXIT_OK, InputError } from '../../errors.js';
import type { CliContext, SetExitStatus } from '../context.js';
import { addIdentityOptions, identityPolicyFrom, type IdentityFlags } from '../identity-flags.js';
import { blockNetwork } from '../offline.js';

interface VerifyBundleFlags extends IdentityFlags {
  readonly bundle: string;
  readonly key?: string;
  readonly trustedRoot?: string;
  readonly staging?: boolean;
  readonly offline?: boolean;
  readonly json?: boolean;
}

interface SignBundleFlags {
  readonly bundle: string;
  readonly identityToken?: string;
  readonly staging?: boolean;
  readonly signingConfig?: string;
  readonly trustedRoot?: string;
  readonly fulcioUrl?: string;
  readonly rekorUrl?: string;
  readonly tsaUrl?: string;
}

/** Artifacts signed whole as message signatures are read into memory; bound what that may be. */
const MAX_SIGN_BUNDLE_ARTIFACT_BYTES = 1024 * 1024 * 1024;

/** The Sigstore client conformance protocol (sigstore-conformance's CLI), on top of aiprov's verifier. */
export function registerConformanceCommands(program: Command, context: CliContext, setExitStatus: SetExitStatus): void {
  program
    .command('sign-bundle')
    .description('sign a file keylessly as a message-signature Sigstore bundle (sigstore-conformance protocol)')
    .argument('<file>', 'the artifact to sign')
    .requiredOption('--bundle <file>', 'where to write the bundle')
    .option('--identity-token <token|@file>', 'the OIDC identity token (else SIGSTORE_ID_TOKEN or GitHub Actions)')
    .option('--staging', 'use Sigstore\'s staging instance')
    .option('--signing-config <file>', 'a Sigstore SigningConfig v0.2 naming Fulcio, Rekor and the TSA')
    .option('--trusted-root <file>', 'verify the new bundle against this trusted_root.json before writing it')
    .option('--fulcio-url <url>', 'Fulcio URL')
    .option('--rekor-url <url>', 'Rekor URL')
    .option('--tsa-url <url>', 'RFC 3161 timestamp authority URL')
    .action(async (artifactPath: string, flags: SignBundleFlags) => {
      const { signingMethodFromFlags } = await import('../signing.js');
      const { signMessageKeyless } = await import('../../sign/keyless.js');
      const { readBoundedFile } = await import('../files.js');
      const { parseIdentityToken } = await import('../../sign/identity/jwt.js');
      const method = await signingMethodFromFlags(flags, context);
      if (method.kind !== 'keyless') throw new InputError('USAGE', 'sign-bundle signs keylessly');
      const artifact = await readBoundedFile(artifactPath, MAX_SIGN_BUNDLE_ARTIFACT_BYTES, 'artifact');
      const bundle = await signMessageKeyless({ ...method.services, identityToken: method.identityToken, artifact });
      if (flags.trustedRoot !== undefined) {
        // Never hand out a bundle that the instance's own trust root does not verify.
        const { verifySigstoreBundle } = await import('../../verify/sigstore-bundle.js');
        const { loadTrustRoot, toVerifierTrustMaterial } = await import('../../verify/trust.js');
        const claims = parseIdentityToken(method.identityToken);
        verifySigstoreBundle({ bundleJson: bundle, artifact, trustMaterial: toVerifierTrustMaterial(await loadTrustRoot({ trustedRoot: flags.trustedRoot })), identity: { certificateOidcIssuer: claims.issuer } });
      }
      const { writeFileAtomic } = await import('../../format/atomic-write.js');
      await writeFileAtomic(flags.bundle, `${JSON.stringify(bundle)}\n`);
      setExitStatus(EXIT_OK);
    });

  addIdentityOptions(
    program
      .command('verify-bundle')
      .description('verify any Sigstore bundle (message signature or DSSE) for a file or sha256:<digest> (sigstore-conformance protocol)')
      .argument('<file-or-digest>', 'the artifact, or sha256:<hex>; for DSSE it must be a subject of the statement')
      .requiredOption('--bundle <file>', 'the Sigstore bundle')
      .option('--key <public-key.pem>', 'verify a key-signed bundle with this key'),
  )
    .option('--trusted-root <file>', 'a Sigstore trusted_root.json (default: the embedded public-good root)')
    .option('--staging', 'trust Sigstore\'s staging instance')
    .option('--offline', 'guarantee no network access')
    .option('--json', 'print the result as JSON')
    .action(async (artifact: string, flags: VerifyBundleFlags) => {
      if (flags.offline === true) blockNetwork();
      const { verifyBundleCommand } = await import('../../verify/sigstore-bundle.js');
      const identity = identityPolicyFrom(flags);
      const result = await verifyBundleCommand({
        bundle: flags.bundle,
        artifact,
        ...(identity.certificateIdentity === undefined ? {} : { certificateIdentity: identity.certificateIdentity }),
        ...(identity.certificateIdentityRegExp === undefined ? {} : { certificateIdentityRegexp: identity.certificateIdentityRegExp }),
        ...(identity.certificateOidcIssuer === undefined ? {} : { certificateOidcIssuer: identity.certificateOidcIssuer }),
        ...(identity.certificateOidcIssuerRegExp === undefined ? {} : { certificateOidcIssuerRegexp: identity.certificateOidcIssuerRegExp }),
        ...(identity.extensions === undefined ? {} : { certificateExtensions: identity.extensions }),
        ...(flags.key === undefined ? {} : { key: flags.key }),
        ...(flags.trustedRoot === undefined ? {} : { trustedRoot: flags.trustedRoot }),
        ...(flags.staging === true ? { staging: true } : {}),
      });
      const signer = result.signer.kind === 'certificate' ? `${result.signer.identity.subjectAlternativeName ?? '(no identity)'} via ${result.signer.identity.issuer ?? '(no issuer)'}` : `key ${result.signer.keyId}`;
      context.stdout.write(flags.json === true ? `${JSON.stringify(result, null, 2)}\n` : `Verified ${result.content} bundle ${flags.bundle}: signed by ${signer}\n`);
      setExitStatus(EXIT_OK);
    });
}
