import { Option, type Command } from 'commander';
import { exitStatusFor, EXIT_OK } from '../../errors.js';
import type { ArtifactKind } from '../../format/artifact-kind.js';
import type { CliContext, SetExitStatus } from '../context.js';
import { addIdentityOptions, identityPolicyFrom, type IdentityFlags } from '../identity-flags.js';
import { blockNetwork } from '../offline.js';
import { trustRootChoiceFrom, withProgress } from '../options.js';

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
  readonly allowSymlinks?: boolean;
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
      .argument('<path>', 'artifact directory or file, or hf://org/name[@revision] (hf://datasets/…) in the local Hugging Face cache')
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
    .option('--allow-symlinks', 'follow symbolic links inside the artifact even if the signer did not (a hub cache snapshot\'s links into its blobs/ are always followed)')
    .option('--allow-external-symlinks', 'also follow symbolic links that leave the artifact')
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'no progress output')
    // `verify lineage … --json`: options after the subcommand name belong to the subcommand.
    .enablePositionalOptions()
    .action(async (path: string, flags: VerifyFlags) => {
      if (flags.offline === true) blockNetwork();
      const { verifyArtifact } = await import('../../verify/verify-artifact.js');
      const { resolveArtifactTrust } = await import('../../use-cases/artifact-trust.js');
      const trust = await resolveArtifactTrust({
        ...(flags.key === undefined ? {} : { publicKeyPath: flags.key }),
        ...(flags.certificateChain === undefined ? {} : { certificateChainPaths: flags.certificateChain }),
        identity: identityPolicyFrom(flags),
        trustRoot: trustRootChoiceFrom(flags),
      });
      const result = await withProgress(context, flags, 'Verifying', (hooks) => verifyArtifact(path, {
        ...hooks,
        trust,
        kind: flags.kind,
        ...(flags.signature === undefined ? {} : { signaturePath: flags.signature }),
        ...(flags.ignorePaths === undefined ? {} : { extraIgnorePaths: flags.ignorePaths }),
        ignoreUnsignedFiles: flags.ignoreUnsignedFiles === true,
        allowSymlinks: flags.allowSymlinks === true || flags.allowExternalSymlinks === true,
        allowExternalSymlinks: flags.allowExternalSymlinks === true,
        hubEnvironment: context.env,
      }));
      if (flags.json === true) {
        const { verifyJson } = await import('../../report/json.js');
        write(JSON.stringify(verifyJson(result), null, 2));
      } else {
        const { renderVerifyResult } = await import('../../report/text.js');
        write(renderVerifyResult(result));
      }
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
      const { renderLineage } = await import('../../report/lineage.js');
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
      const { inspectFile } = await import('../../use-cases/inspect.js');
      const inspected = await inspectFile(bundlePath);
      if (flags.json === true) {
        const { inspectAttestationsJson, inspectJson } = await import('../../report/json.js');
        write(JSON.stringify(inspected.kind === 'bundle' ? inspectJson(inspected.inspection) : inspectAttestationsJson(inspected.path, inspected.attestations), null, 2));
        return;
      }
      const { renderInspection } = await import('../../report/text.js');
      write(
        inspected.kind === 'bundle'
          ? renderInspection(inspected.inspection)
          : inspected.attestations.map(({ line, inspection }, index) => `# attestation ${String(index + 1)} of ${String(inspected.attestations.length)} (line ${String(line)})\n${renderInspection(inspection)}`).join('\n\n'),
      );
    });
}
