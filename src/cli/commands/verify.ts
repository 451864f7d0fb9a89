import { Option, type Command } from 'commander';
import { exitStatusFor, EXIT_OK, InputError } from '../../errors.js';
import type { ArtifactKind } from '../../format/artifact-kind.js';
import type { ArtifactTrust } from '../../verify/verify-artifact.js';
import type { CliContext, SetExitStatus } from '../context.js';
import { readInputFile } from '../files.js';
import { addIdentityOptions, identityPolicyFrom, type IdentityFlags } from '../identity-flags.js';
import { blockNetwork } from '../offline.js';
import { withProgress } from '../options.js';

interface TrustFlags extends IdentityFlags {
  readonly key?: string;
  readonly certificateChain?: string[];
  readonly trustedRoot?: string;
  readonly staging?: boolean;
}

interface VerifyFlags extends TrustFlags {
  readonly kind: ArtifactKind;
  readonly signature?: string;
  readonly ignoreUnsignedFiles?: boolean;
  readonly ignorePaths?: string[];
  readonly allowExternalSymlinks?: boolean;
  readonly offline?: boolean;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

interface LineageFlags {
  readonly policy: string;
  readonly search?: string[];
  readonly format: 'tree' | 'json' | 'mermaid' | 'dot';
  readonly json?: boolean;
  readonly offline?: boolean;
}

interface InspectFlags {
  readonly json?: boolean;
}

export function registerVerifyCommands(program: Command, context: CliContext, setExitStatus: SetExitStatus): void {
  const write = (text: string): void => {
    context.stdout.write(`${text}\n`);
  };

  const verify = addIdentityOptions(
    program
      .command('verify')
      .description('verify a model, dataset or file against its signature and report every difference; `verify lineage` checks a whole lineage')
      .argument('<path>', 'artifact directory or file')
      .addOption(new Option('--kind <kind>', 'what the artifact is; names the default signature file').choices(['model', 'dataset', 'recipe']).default('model'))
      .option('--signature <file>', 'the bundle (default: <kind>.sig inside a directory, <file>.sig beside a file)')
      .option('--key <public-key.pem>', 'trust signatures made by this public key')
      .option('--certificate-chain <ca.pem...>', 'trust certificates that chain to these CA certificates (the files must hold the root)'),
  )
    .option('--trusted-root <file>', 'keyless: a Sigstore trusted_root.json (default: the embedded public-good root)')
    .option('--staging', 'keyless: trust Sigstore\'s staging instance')
    .option('--offline', 'guarantee no network access (verification never needs it)')
    .option('--ignore-unsigned-files', 'accept files that the signature does not list')
    .option('--ignore-paths <path...>', 'paths inside the artifact to leave out, besides those the signature records')
    .option('--allow-external-symlinks', 'follow symbolic links that leave the artifact (only if the signature allows symlinks)')
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'no progress output')
    // `verify lineage … --json`: options after the subcommand name belong to the subcommand.
    .enablePositionalOptions()
    .action(async (path: string, flags: VerifyFlags) => {
      if (flags.offline === true) blockNetwork();
      const { verifyArtifact } = await import('../../verify/verify-artifact.js');
      const { renderVerifyResult } = await import('../render.js');
      const trust = await trustFromFlags(flags);
      const result = await withProgress(context, flags, 'Verifying', (hooks) => verifyArtifact(path, {
        ...hooks,
        trust,
        kind: flags.kind,
        ...(flags.signature === undefined ? {} : { signaturePath: flags.signature }),
        ...(flags.ignorePaths === undefined ? {} : { extraIgnorePaths: flags.ignorePaths }),
        ignoreUnsignedFiles: flags.ignoreUnsignedFiles === true,
        allowExternalSymlinks: flags.allowExternalSymlinks === true,
      }));
      write(flags.json === true ? JSON.stringify(result, null, 2) : renderVerifyResult(result));
      setExitStatus(result.verified ? EXIT_OK : exitStatusFor('verification'));
    });

  verify
    .command('lineage')
    .description('verify a model\'s whole lineage (signature, training provenance, datasets, recipe, base models) against a policy')
    .argument('<model>', 'the model directory or file')
    .requiredOption('--policy <file>', 'the policy file (see `aiprov policy init`)')
    .option('--search <dir...>', 'directories where the datasets, recipe and base models are looked for')
    .addOption(new Option('--format <format>', 'output format').choices(['tree', 'json', 'mermaid', 'dot']).default('tree'))
    .option('--json', 'same as --format json')
    .option('--offline', 'guarantee no network access')
    .action(async (modelPath: string, flags: LineageFlags) => {
      if (flags.offline === true) blockNetwork();
      const { loadPolicy } = await import('../../policy/resolve.js');
      const { verifyLineage } = await import('../../lineage/verify-lineage.js');
      const { renderLineage } = await import('../../lineage/render.js');
      const policy = await loadPolicy(flags.policy);
      const result = await verifyLineage(modelPath, { policy, searchDirectories: flags.search ?? [] });
      write(renderLineage(result, flags.json === true ? 'json' : flags.format));
      setExitStatus(result.verdict === 'verified' ? EXIT_OK : exitStatusFor(result.verdict === 'denied' ? 'policy' : 'verification'));
    });

  program
    .command('inspect')
    .description('show what a bundle, or an attestations file (.jsonl), claims, without verifying it')
    .argument('<bundle>', 'a Sigstore bundle file, or a JSON Lines file of bundles')
    .option('--json', 'print the result as JSON (an array for a .jsonl file)')
    .action(async (bundlePath: string, flags: InspectFlags) => {
      const { inspectBundle } = await import('../../verify/inspect.js');
      const { renderInspection } = await import('../render.js');
      if (bundlePath.endsWith('.jsonl')) {
        const { readAttestations } = await import('../../format/attestation-file.js');
        const inspections = (await readAttestations(bundlePath)).map(({ bundle }) => inspectBundle(bundle));
        write(flags.json === true ? JSON.stringify(inspections, null, 2) : inspections.map((inspection, index) => `# attestation ${String(index + 1)} of ${String(inspections.length)}\n${renderInspection(inspection)}`).join('\n\n'));
        return;
      }
      const { readBundleFile } = await import('../../format/bundle.js');
      const inspection = inspectBundle(await readBundleFile(bundlePath));
      write(flags.json === true ? JSON.stringify(inspection, null, 2) : renderInspection(inspection));
    });
}

/** Exactly one kind of trust: a key, CA certificates, or a keyless identity (with a trust root). */
async function trustFromFlags(flags: TrustFlags): Promise<ArtifactTrust> {
  const identity = identityPolicyFrom(flags);
  const keyless = Object.keys(identity).length > 0;
  const given = [flags.key !== undefined, flags.certificateChain !== undefined, keyless].filter(Boolean).length;
  if (given !== 1) {
    throw new InputError('USAGE', 'verify needs exactly one of --key, --certificate-chain, or --certificate-identity with --certificate-oidc-issuer');
  }
  if (flags.key !== undefined) {
    const { parsePublicKey } = await import('../../format/keys.js');
    return { kind: 'key', publicKey: parsePublicKey(await readInputFile(flags.key, 'public key'), flags.key) };
  }
  if (flags.certificateChain !== undefined) {
    const { parseCertificates } = await import('../../format/certificates.js');
    const trustedCertificates = (await Promise.all(flags.certificateChain.map(async (file) => parseCertificates(await readInputFile(file, 'certificate chain'), file)))).flat();
    return { kind: 'certificate', trustedCertificates };
  }
  // Like cosign: a keyless signature proves nothing until both the identity and the issuer that
  // vouched for it are pinned (anyone can get a certificate for their own identity).
  if (identity.certificateIdentity === undefined && identity.certificateIdentityRegExp === undefined) {
    throw new InputError('USAGE', 'keyless verification needs --certificate-identity (or --certificate-identity-regexp)');
  }
  if (identity.certificateOidcIssuer === undefined && identity.certificateOidcIssuerRegExp === undefined) {
    throw new InputError('USAGE', 'keyless verification needs --certificate-oidc-issuer (or --certificate-oidc-issuer-regexp)');
  }
  const { compileIdentityPolicy } = await import('../../verify/identity.js');
  compileIdentityPolicy(identity);
  const { loadTrustRoot } = await import('../../verify/trust.js');
  const trustRoot = await loadTrustRoot({ ...(flags.trustedRoot === undefined ? {} : { trustedRoot: flags.trustedRoot }), ...(flags.staging === true ? { staging: true } : {}) });
  return { kind: 'sigstore', trustRoot, identity };
}
