/**
 * `aiprov bom`: a CycloneDX ML-BOM states facts, so one is built only from a lineage that
 * verified; otherwise the lineage comes back with the error that explains the refusal.
 */
import { PolicyError, VerificationError, type AiprovError } from '../errors.js';
import { buildMlBom } from '../lineage/bom.js';
import type { LineageResult } from '../lineage/types.js';
import { verifyLineage } from '../lineage/verify-lineage.js';
import { loadPolicy } from '../policy/resolve.js';

export interface VerifiedMlBomOptions {
  readonly modelPath: string;
  readonly policyPath: string;
  readonly searchDirectories: readonly string[];
  readonly toolVersion: string;
  readonly now: Date;
}

export type VerifiedMlBom = { readonly ok: true; readonly lineage: LineageResult; readonly bom: object } | { readonly ok: false; readonly lineage: LineageResult; readonly error: AiprovError };

export async function buildVerifiedMlBom(options: VerifiedMlBomOptions): Promise<VerifiedMlBom> {
  const lineage = await verifyLineage(options.modelPath, { policy: await loadPolicy(options.policyPath), searchDirectories: options.searchDirectories });
  switch (lineage.verdict) {
    case 'verified':
      return { ok: true, lineage, bom: buildMlBom(lineage, { toolVersion: options.toolVersion, timestamp: options.now }) };
    case 'denied':
      return { ok: false, lineage, error: new PolicyError('LINEAGE_NOT_VERIFIED', 'no ML-BOM written: the lineage is denied by the policy') };
    case 'failed':
      return { ok: false, lineage, error: new VerificationError('LINEAGE_NOT_VERIFIED', 'no ML-BOM written: the lineage failed verification') };
  }
}
