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
import { loadPolicyWithDigest } from '../policy/resolve.js';
import { inputAttestation } from './vsa.js';

export interface LineageGateOptions {
  readonly modelPath: string;
  readonly policyPath: string;
  readonly searchDirectories?: readonly string[];
  /** An evidence file shipped with the model: inputs not on disk are verified from it. */
  readonly evidencePath?: string;
  /** Where to write the evidence of a verified lineage (nothing is written otherwise). */
  readonly evidenceOutPath?: string;
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
  const { policy, sha256 } = await loadPolicyWithDigest(options.policyPath);
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
