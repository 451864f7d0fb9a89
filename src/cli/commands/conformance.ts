import type { Command } from 'commander';
import { EXIT_OK, InputError } from '../../errors.js';
import type { CliContext, SetExitStatus } from '../context.js';
import { addIdentityOptions, identityPolicyFrom, type IdentityFlags } from '../identity-flags.js';
import { blockNetwork } from '../offline.js';
import { trustRootChoiceFrom } from '../options.js';

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
      const { signBundleFile } = await import('../../use-cases/sign-bundle.js');
      const method = await signingMethodFromFlags(flags, context);
      if (method.kind !== 'keyless') throw new InputError('USAGE', 'sign-bundle signs keylessly');
      await signBundleFile({ artifactPath, bundlePath: flags.bundle, services: method.services, identityToken: method.identityToken, ...(flags.trustedRoot === undefined ? {} : { trustedRoot: flags.trustedRoot }) });
      const { oneLine } = await import('../../report/text.js');
      context.stdout.write(`Signed ${oneLine(artifactPath)} -> ${oneLine(flags.bundle)}\n`);
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
      const { verifyBundleFile } = await import('../../use-cases/verify-bundle.js');
      const result = await verifyBundleFile({
        bundlePath: flags.bundle,
        artifact,
        identity: identityPolicyFrom(flags),
        ...(flags.key === undefined ? {} : { publicKeyPath: flags.key }),
        trustRoot: trustRootChoiceFrom(flags),
      });
      if (flags.json === true) {
        const { verifyBundleJson } = await import('../../report/json.js');
        context.stdout.write(`${JSON.stringify(verifyBundleJson(result), null, 2)}\n`);
      } else {
        const { renderSigner } = await import('../../report/text.js');
        const { bundleSigner } = await import('../../report/json.js');
        context.stdout.write(`Verified ${result.content} bundle ${flags.bundle}: signed by ${renderSigner(bundleSigner(result))}\n`);
      }
      setExitStatus(EXIT_OK);
    });
}
