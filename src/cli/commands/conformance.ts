import type { Command } from 'commander';
import { EXIT_OK } from '../../errors.js';
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

/** The Sigstore client conformance protocol (sigstore-conformance's CLI), on top of aiprov's verifier. */
export function registerConformanceCommands(program: Command, context: CliContext, setExitStatus: SetExitStatus): void {
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
