import { Option, type Command } from 'commander';
import { exitStatusFor, EXIT_OK, InputError } from '../../errors.js';
import type { ArtifactKind } from '../../format/artifact-kind.js';
import type { ArtifactTrustOptions } from '../../use-cases/artifact-trust.js';
import type { CliContext, SetExitStatus } from '../context.js';
import { addIdentityOptions, identityPolicyFrom, type IdentityFlags } from '../identity-flags.js';
import { blockNetwork } from '../offline.js';
import { duration, trustRootChoiceFrom, withProgress } from '../options.js';
import { addVsaSigningOptions, signingMethodFromFlags, vsaSigningFlags, type VsaSigningFlags } from '../signing.js';
import type { Partition } from '../../manifest/partition.js';
import { partitionArgument, refuseGivenOptions, runVerifyMerge, runVerifyPartition } from './partition.js';

interface TrustFlags extends IdentityFlags {
  readonly key?: string;
  readonly certificateChain?: string[];
  readonly timestampAuthority?: string[];
  readonly trustedRoot?: string;
  readonly staging?: boolean;
}

interface VerifyFlags extends TrustFlags, VsaSigningFlags {
  readonly kind: ArtifactKind;
  readonly vsaOut?: string;
  readonly verifierId?: string;
  readonly resourceUri?: string;
  readonly signature?: string;
  readonly ignoreUnsignedFiles?: boolean;
  readonly ignorePaths?: string[];
  readonly allowSymlinks?: boolean;
  readonly allowExternalSymlinks?: boolean;
  readonly offline?: boolean;
  readonly partition?: Partition;
  readonly merge?: string[];
  readonly json?: boolean;
  readonly quiet?: boolean;
}

interface LineageFlags extends VsaSigningFlags {
  readonly policy: string;
  readonly search?: string[];
  readonly evidence?: string;
  readonly evidenceOut?: string;
  readonly vsaOut?: string;
  readonly verifierId?: string;
  readonly resourceUri?: string;
  readonly format: 'tree' | 'json' | 'mermaid' | 'dot';
  readonly json?: boolean;
  readonly offline?: boolean;
}

interface VsaFlags extends TrustFlags {
  readonly vsa: string;
  readonly kind: ArtifactKind;
  readonly verifiedLevel?: string[];
  readonly policyDigest?: string;
  readonly maxAge?: number;
  readonly verifierId?: string;
  readonly resourceUri?: string;
  readonly offline?: boolean;
  readonly json?: boolean;
}

interface InspectFlags {
  readonly json?: boolean;
}

export function registerVerifyCommands(program: Command, context: CliContext, setExitStatus: SetExitStatus): void {
  const write = (text: string): void => {
    context.stdout.write(`${text}\n`);
  };

  const verify = addVsaSigningOptions(addIdentityOptions(
    program
      .command('verify')
      .description('verify a model, dataset or file against its signature and report every difference; `verify lineage` checks a whole lineage')
      .argument('[path]', 'artifact directory or file, or hf://org/name[@revision] (hf://datasets/…) in the local Hugging Face cache')
      .addOption(new Option('--kind <kind>', 'what the artifact is; names the default signature file').choices(['model', 'dataset', 'recipe']).default('model'))
      .option('--signature <file>', 'the bundle (default: <kind>.sig inside a directory, <file>.sig beside a file)')
      .option('--key <public-key.pem>', 'trust signatures made by this public key')
      .option('--certificate-chain <ca.pem...>', 'trust certificates that chain to these CA certificates (the files must hold the root)'),
  ))
    .option('--trusted-root <file>', 'a Sigstore trusted_root.json: keyless, the instance to trust (default: the embedded public-good root); with --key or --certificate-chain, its timestamp authorities')
    .option('--timestamp-authority <tsa-chain.pem...>', 'with --key or --certificate-chain: trust RFC 3161 timestamps of this TSA (its certificate chain, signing certificate first)')
    .option('--staging', 'keyless: trust Sigstore\'s staging instance')
    .option('--offline', 'guarantee no network access (verification never needs it)')
    .option('--ignore-unsigned-files', 'accept files that the signature does not list')
    .option('--ignore-paths <path...>', 'paths inside the artifact to leave out, besides those the signature records')
    .option('--allow-symlinks', 'follow symbolic links inside the artifact even if the signer did not (a hub cache snapshot\'s links into its blobs/ are always followed)')
    .option('--allow-external-symlinks', 'also follow symbolic links that leave the artifact')
    .option('--vsa-out <file>', 'write a signed SLSA verification summary (PASSED or FAILED) here')
    .option('--verifier-id <uri>', 'the verifier id the summary names (default https://aiprov.dev/verifier)')
    .option('--resource-uri <uri>', 'the resource the summary names (default: the path as given)')
    .option('--partition <K/N>', 'check the signature, then re-hash only part K (1-based) of N of the signed resources; merge the parts\' --json outputs with --merge', partitionArgument)
    .option('--merge <result...>', 'merge the --json outputs of every part of a --partition verification into one verdict (no PATH; with the trust flags of verify, which authenticate the signature the parts name)')
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'no progress output')
    // `verify lineage … --json`: options after the subcommand name belong to the subcommand.
    .enablePositionalOptions()
    .action(async (path: string | undefined, flags: VerifyFlags, command: Command) => {
      if (flags.merge !== undefined) {
        if (flags.offline === true) blockNetwork();
        await runVerifyMerge(context, setExitStatus, command, path, flags, TRUST_FLAG_NAMES, async () => {
          const { resolveArtifactTrust } = await import('../../use-cases/artifact-trust.js');
          return resolveArtifactTrust(trustOptionsFrom(flags));
        });
        return;
      }
      if (path === undefined) throw new InputError('USAGE', 'verify needs an artifact PATH, or --merge RESULT… to merge the parts of a partitioned verification');
      if (flags.offline === true) blockNetwork();
      const { verifyArtifact } = await import('../../verify/verify-artifact.js');
      const { resolveArtifactTrust } = await import('../../use-cases/artifact-trust.js');
      // A summary of one part would say PASSED for a model most of which it never looked at.
      if (flags.partition !== undefined) refuseGivenOptions(command, '--partition', (name) => name.startsWith('vsa') || name === 'verifierId' || name === 'resourceUri', 'a verification summary of one part would vouch for files it never checked');
      const trust = await resolveArtifactTrust(trustOptionsFrom(flags));
      const options = {
        trust,
        kind: flags.kind,
        ...(flags.signature === undefined ? {} : { signaturePath: flags.signature }),
        ...(flags.ignorePaths === undefined ? {} : { extraIgnorePaths: flags.ignorePaths }),
        ignoreUnsignedFiles: flags.ignoreUnsignedFiles === true,
        allowSymlinks: flags.allowSymlinks === true || flags.allowExternalSymlinks === true,
        allowExternalSymlinks: flags.allowExternalSymlinks === true,
        hubEnvironment: context.env,
      };
      if (flags.partition !== undefined) {
        await runVerifyPartition(context, setExitStatus, path, flags.partition, flags, options);
        return;
      }
      if (flags.vsaOut !== undefined) {
        const { refuseUnsafeOutputs } = await import('../../use-cases/output-paths.js');
        const { resolveArtifactPath } = await import('../../hashing/hub-cache.js');
        await refuseUnsafeOutputs({ artifactPath: await resolveArtifactPath(path, context.env), kind: flags.kind, outputs: [{ flag: '--vsa-out', path: flags.vsaOut }], inputs: [...trustFiles(flags), ...(flags.signature === undefined ? [] : [flags.signature]), ...vsaSigningFiles(flags)] });
      }
      // Resolved before hashing: a signing problem (no token, a bad key) should not cost a re-hash.
      const vsaSigning = flags.vsaOut === undefined ? undefined : await signingMethodFromFlags(vsaSigningFlags(flags), context);
      const result = await withProgress(context, flags, 'Verifying', (hooks) => verifyArtifact(path, { ...hooks, ...options }));
      if (vsaSigning !== undefined && flags.vsaOut !== undefined) {
        const { AIPROV_VERIFIER_ID, inputAttestation, trustPolicy, writeVsa } = await import('../../use-cases/vsa.js');
        await writeVsa(
          flags.vsaOut,
          {
            subject: { name: result.name, rootDigest: result.signedRootDigest },
            verifierId: flags.verifierId ?? AIPROV_VERIFIER_ID,
            verifierVersion: program.version() ?? 'unknown',
            timeVerified: new Date(),
            resourceUri: flags.resourceUri ?? path,
            policy: trustPolicy(trust),
            inputAttestations: [inputAttestation(result.signaturePath, result.bundle)],
            passed: result.verified,
            level: 'AIPROV_SIGNATURE_VERIFIED',
            kind: flags.kind,
            verifiedWith: { serialization: result.verifiedWith, resourcesDigest: result.resourcesDigest },
          },
          vsaSigning,
        );
        if (flags.json !== true) context.stderr.write(`Wrote verification summary (${result.verified ? 'PASSED' : 'FAILED'}) to ${flags.vsaOut}\n`);
      }
      if (flags.json === true) {
        const { verifyJson } = await import('../../report/json.js');
        write(JSON.stringify(verifyJson(result), null, 2));
      } else {
        const { renderVerifyResult } = await import('../../report/text.js');
        write(renderVerifyResult(result));
      }
      setExitStatus(result.verified ? EXIT_OK : exitStatusFor('verification'));
    });

  addVsaSigningOptions(
    verify
      .command('lineage')
      .description('verify a model\'s whole lineage (signature, training provenance, datasets, recipe, base models) against a policy')
      .argument('<model>', 'the model directory or file')
      .requiredOption('--policy <file>', 'the policy file (see `aiprov policy init`)')
      .option('--search <dir...>', 'directories where the datasets, recipe and base models are looked for')
      .option('--evidence <file>', 'the evidence shipped with the model (from --evidence-out): inputs not on disk are verified from it')
      .option('--evidence-out <file>', 'when the lineage verifies, write the bundles the verdict rested on here (JSON Lines)')
      .option('--vsa-out <file>', 'write a signed SLSA verification summary (PASSED or FAILED) here')
      .option('--verifier-id <uri>', 'the verifier id the summary names (default https://aiprov.dev/verifier)')
      .option('--resource-uri <uri>', 'the resource the summary names (default: the model path as given)')
      .addOption(new Option('--format <format>', 'output format').choices(['tree', 'json', 'mermaid', 'dot']).default('tree'))
      .option('--json', 'same as --format json')
      .option('--offline', 'guarantee no network access'),
  ).action(async (modelPath: string, flags: LineageFlags) => {
    if (flags.offline === true) blockNetwork();
    const { verifyLineageGate } = await import('../../use-cases/gate.js');
    const { renderLineage } = await import('../../report/lineage.js');
    const vsaSigning = flags.vsaOut === undefined ? undefined : await signingMethodFromFlags(vsaSigningFlags(flags), context);
    const gate = await verifyLineageGate({
      modelPath,
      policyPath: flags.policy,
      searchDirectories: flags.search ?? [],
      ...(flags.evidence === undefined ? {} : { evidencePath: flags.evidence }),
      ...(flags.evidenceOut === undefined ? {} : { evidenceOutPath: flags.evidenceOut }),
      ...(flags.vsaOut === undefined ? {} : { vsaOutPath: flags.vsaOut }),
      otherInputs: vsaSigningFiles(flags),
    });
    const result = gate.lineage;
    if (flags.vsaOut !== undefined && vsaSigning !== undefined) {
      const { AIPROV_VERIFIER_ID, writeVsa } = await import('../../use-cases/vsa.js');
      await writeVsa(
        flags.vsaOut,
        {
          subject: { name: result.root.name, rootDigest: result.root.digest.replace(/^sha256:/, '') },
          verifierId: flags.verifierId ?? AIPROV_VERIFIER_ID,
          verifierVersion: program.version() ?? 'unknown',
          timeVerified: new Date(),
          resourceUri: flags.resourceUri ?? modelPath,
          policy: { uri: gate.policy.path, sha256: gate.policy.sha256 },
          inputAttestations: gate.inputAttestations,
          passed: result.verdict === 'verified',
          level: 'AIPROV_LINEAGE_VERIFIED',
          kind: 'model',
          ...(result.verifiedWith === undefined ? {} : { verifiedWith: result.verifiedWith }),
        },
        vsaSigning,
      );
    }
    write(renderLineage(result, flags.json === true ? 'json' : flags.format));
    if (flags.json !== true && flags.format === 'tree') {
      if (gate.evidenceOutPath !== undefined) context.stderr.write(`Wrote evidence (${String(result.evidence.length)} bundles) to ${gate.evidenceOutPath}\n`);
      else if (flags.evidenceOut !== undefined) context.stderr.write(`No evidence written: the lineage did not verify\n`);
      if (flags.vsaOut !== undefined) context.stderr.write(`Wrote verification summary (${result.verdict === 'verified' ? 'PASSED' : 'FAILED'}) to ${flags.vsaOut}\n`);
    }
    setExitStatus(result.verdict === 'verified' ? EXIT_OK : exitStatusFor(result.verdict === 'denied' ? 'policy' : 'verification'));
  });

  addIdentityOptions(
    verify
      .command('vsa')
      .description('check a signed SLSA verification summary for a model: who signed it, that it is about these bytes and PASSED, and (when asked) its policy, age, verifier and resource')
      .argument('<model>', 'the model directory or file (re-hashed)')
      .requiredOption('--vsa <file>', 'the verification summary (one Sigstore bundle, from --vsa-out)')
      .addOption(new Option('--kind <kind>', 'what the artifact is: a summary about another kind never passes').choices(['model', 'dataset', 'recipe']).default('model'))
      .option('--key <public-key.pem>', 'trust summaries signed by this public key')
      .option('--certificate-chain <ca.pem...>', 'trust summaries signed by certificates that chain to these CA certificates'),
  )
    .option('--trusted-root <file>', 'a Sigstore trusted_root.json: keyless, the instance to trust (default: the embedded public-good root); with --key or --certificate-chain, its timestamp authorities')
    .option('--timestamp-authority <tsa-chain.pem...>', 'with --key or --certificate-chain: trust RFC 3161 timestamps of this TSA (its certificate chain, signing certificate first)')
    .option('--staging', 'keyless: trust Sigstore\'s staging instance')
    .option('--policy-digest <sha256:hex>', 'require the summary to have applied exactly this policy')
    .option('--max-age <duration>', 'require the summary to be at most this old, e.g. 30m, 24h, 7d', duration)
    .option('--verified-level <level>', 'require the summary to assert this level, e.g. AIPROV_LINEAGE_VERIFIED (repeatable: each one given)', (level: string, previous: string[] | undefined) => [...(previous ?? []), level])
    .option('--verifier-id <uri>', 'require this verifier (default https://aiprov.dev/verifier)')
    .option('--resource-uri <uri>', 'require the summary to name this resource')
    .option('--offline', 'guarantee no network access (verification never needs it)')
    .option('--json', 'print the result as JSON')
    .action(async (modelPath: string, flags: VsaFlags) => {
      if (flags.offline === true) blockNetwork();
      const { resolveArtifactTrust } = await import('../../use-cases/artifact-trust.js');
      const { verifyVsaFile } = await import('../../use-cases/vsa.js');
      const trust = await resolveArtifactTrust(trustOptionsFrom(flags));
      const result = await verifyVsaFile({
        modelPath,
        vsaPath: flags.vsa,
        kind: flags.kind,
        trust,
        ...(flags.verifiedLevel === undefined ? {} : { verifiedLevels: flags.verifiedLevel }),
        ...(flags.policyDigest === undefined ? {} : { policyDigest: flags.policyDigest }),
        ...(flags.maxAge === undefined ? {} : { maxAgeMs: flags.maxAge }),
        ...(flags.verifierId === undefined ? {} : { verifierId: flags.verifierId }),
        ...(flags.resourceUri === undefined ? {} : { resourceUri: flags.resourceUri }),
      });
      if (flags.json === true) {
        const { verifyVsaJson } = await import('../../report/json.js');
        write(JSON.stringify(verifyVsaJson(result), null, 2));
      } else {
        const { renderVsaResult } = await import('../../report/text.js');
        write(renderVsaResult(result));
      }
      setExitStatus(EXIT_OK);
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

/** The files the trust flags name. */
function trustFiles(flags: TrustFlags): string[] {
  return [...(flags.key === undefined ? [] : [flags.key]), ...(flags.certificateChain ?? []), ...(flags.timestampAuthority ?? []), ...(flags.trustedRoot === undefined ? [] : [flags.trustedRoot])];
}

/** The files the `--vsa-*` signing flags name (a token only as `@file`: a token itself is never a path, nor printed). */
function vsaSigningFiles(flags: VsaSigningFlags): string[] {
  return [...(flags.vsaKey === undefined ? [] : [flags.vsaKey]), ...(flags.vsaCertificate === undefined ? [] : [flags.vsaCertificate]), ...(flags.vsaCertificateChain ?? []), ...(flags.vsaIdentityToken?.startsWith('@') === true ? [flags.vsaIdentityToken.slice(1)] : []), ...(flags.vsaSigningConfig === undefined ? [] : [flags.vsaSigningConfig])];
}

/** The attribute names of every flag `trustOptionsFrom` reads (those `verify --merge` accepts). */
const TRUST_FLAG_NAMES: readonly string[] = [
  'key', 'certificateChain', 'timestampAuthority', 'trustedRoot', 'staging',
  'certificateIdentity', 'certificateIdentityRegexp', 'certificateOidcIssuer', 'certificateOidcIssuerRegexp', 'identity', 'identityProvider',
  'sourceRepository', 'sourceRef', 'sourceDigest', 'signerWorkflow', 'runnerEnvironment', 'denySelfHostedRunners',
] satisfies readonly (keyof TrustFlags)[];

/** What `verify` and `verify vsa` trust, from their flags (`resolveArtifactTrust` checks that exactly one is given). */
function trustOptionsFrom(flags: TrustFlags): ArtifactTrustOptions {
  return {
    ...(flags.key === undefined ? {} : { publicKeyPath: flags.key }),
    ...(flags.certificateChain === undefined ? {} : { certificateChainPaths: flags.certificateChain }),
    ...(flags.timestampAuthority === undefined ? {} : { timestampAuthorityPaths: flags.timestampAuthority }),
    identity: identityPolicyFrom(flags),
    trustRoot: trustRootChoiceFrom(flags),
  };
}
