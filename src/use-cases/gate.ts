/**
 * Gating a deployment: verify a model's lineage once at release time and keep what the verdict
 * rested on (the evidence file, and a signed verification summary), then decide on a host that
 * has only the model and that evidence.
 */
import { basename } from 'node:path';
import { readEvidenceFile } from '../format/attestation-file.js';
import { writeFileAtomic } from '../format/atomic-write.js';
import type { BundleJson } from '../format/bundle.js';
import type { LineageResult } from '../lineage/types.js';
import { verifyLineage } from '../lineage/verify-lineage.js';
import { DEFAULT_POLICY_LOADERS, loadPolicyWithDigest, type PolicyLoaders } from '../policy/resolve.js';
import type { TrustRootChoice } from '../verify/trust.js';
import { refuseUnsafeOutputs } from './output-paths.js';
import { inputAttestation } from './vsa.js';

export interface LineageGateOptions {
  readonly modelPath: string;
  readonly policyPath: string;
  readonly searchDirectories?: readonly string[];
  /** An evidence file shipped with the model: inputs not on disk are verified from it. */
  readonly evidencePath?: string;
  /** Where to write the evidence of a verified lineage (nothing is written otherwise). */
  readonly evidenceOutPath?: string;
  /**
   * Where the caller will write the verification summary: checked here with the evidence output,
   * before anything is verified, against the artifact and every file the policy reads.
   */
  readonly vsaOutPath?: string;
  /** Other files the command reads (the summary's signing key and certificates). */
  readonly otherInputs?: readonly string[];
  readonly now?: Date;
}

export interface LineageGateResult {
  readonly lineage: LineageResult;
  /** The policy applied: its path and the SHA-256 of the bytes that were evaluated. */
  readonly policy: { readonly path: string; readonly sha256: string };
  /** The bundles the verdict rested on, as named in a verification summary's `inputAttestations`. */
  readonly inputAttestations: readonly { readonly name: string; readonly sha256: string }[];
  /** Set when the evidence was written. */
  readonly evidenceOutPath?: string;
}

export async function verifyLineageGate(options: LineageGateOptions): Promise<LineageGateResult> {
  // Every key, CA and trust root file the policy names is an input an output must not replace.
  const policyFiles: string[] = [];
  const recording: PolicyLoaders = {
    readText: (path, what) => {
      policyFiles.push(path);
      return DEFAULT_POLICY_LOADERS.readText(path, what);
    },
    loadTrustRoot: (choice: TrustRootChoice) => {
      if (choice.trustedRoot !== undefined) policyFiles.push(choice.trustedRoot);
      return DEFAULT_POLICY_LOADERS.loadTrustRoot(choice);
    },
  };
  const { policy, sha256 } = await loadPolicyWithDigest(options.policyPath, recording);
  await refuseUnsafeOutputs({
    artifactPath: options.modelPath,
    kind: 'model',
    outputs: [
      ...(options.evidenceOutPath === undefined ? [] : [{ flag: '--evidence-out', path: options.evidenceOutPath, insideAs: 'model.evidence.jsonl' }]),
      ...(options.vsaOutPath === undefined ? [] : [{ flag: '--vsa-out', path: options.vsaOutPath }]),
    ],
    inputs: [options.policyPath, ...policyFiles, ...(options.evidencePath === undefined ? [] : [options.evidencePath]), ...(options.otherInputs ?? [])],
  });
  const evidence = options.evidencePath === undefined ? undefined : { source: basename(options.evidencePath), bundles: await readEvidenceFile(options.evidencePath) };
  const lineage = await verifyLineage(options.modelPath, {
    policy,
    searchDirectories: options.searchDirectories ?? [],
    ...(evidence === undefined ? {} : { evidence }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const lines = lineage.evidence.map((bundle: BundleJson) => JSON.stringify(bundle));
  const evidenceName = basename(options.evidenceOutPath ?? options.evidencePath ?? 'evidence.jsonl');
  const inputAttestations = lineage.evidence.map((bundle, index) => inputAttestation(`${evidenceName}:${String(index + 1)}`, bundle));
  // Evidence states what a verified verdict rested on: a failed or denied one writes nothing.
  if (options.evidenceOutPath !== undefined && lineage.verdict === 'verified') {
    await writeFileAtomic(options.evidenceOutPath, lines.map((line) => `${line}\n`).join(''));
    return { lineage, policy: { path: options.policyPath, sha256 }, inputAttestations, evidenceOutPath: options.evidenceOutPath };
  }
  return { lineage, policy: { path: options.policyPath, sha256 }, inputAttestations };
}
