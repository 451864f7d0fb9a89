/**
 * Human text for the partitioned commands (`digest --partition`, `verify --partition`, `verify
 * --merge`). A part is never reported as a root digest or as "Verified": it has no root, and it
 * verifies nothing about the artifact on its own.
 */
import type { ManifestPart } from '../manifest/compute-part.js';
import type { MergedVerification } from '../use-cases/verify-merge.js';
import type { VerifyPartResult } from '../verify/verify-part.js';
import { findingMarker, oneLine, renderFinding, renderSigner, safeLines } from './text.js';

export function renderDigestPart(part: ManifestPart): string {
  const { index, count } = part.partition;
  const bytes = part.resources.reduce((sum, resource) => sum + resource.size, 0);
  return safeLines([
    `Part ${String(index)}/${String(count)} of ${oneLine(part.name)}: hashed ${String(part.resources.length)} of ${String(part.listing.resourceCount)} resources, ${String(bytes)} of ${String(part.listing.bytes)} bytes`,
    `  listing     ${part.listing.digest}`,
    `  a part has no root digest: run every part with --json, then \`aiprov digest --merge\` their outputs`,
  ]);
}

export function renderVerifyPart(result: VerifyPartResult): string {
  const { index, count } = result.partition;
  const { changed, missing, extra } = result.diff;
  const lines = [
    `Part ${String(index)}/${String(count)} of ${oneLine(result.artifactPath)} ${result.passed ? 'passed' : 'FAILED'}: re-hashed ${String(result.checked.length)} of ${String(result.resourceCount)} signed resources; ${String(changed.length)} changed, ${String(missing.length)} missing, ${String(extra.length)} unsigned`,
    `  signed by   ${renderSigner(result.signer)}`,
    `  subject     ${oneLine(result.name)} sha256:${result.signedRootDigest}`,
    `  bundle      sha256:${result.bundleSha256}`,
    ...result.findings.map((finding) => renderFinding(finding)),
    `  not verified yet: run every part with --json, then \`aiprov verify --merge\` their outputs`,
  ];
  return safeLines(lines);
}

export function renderMergedVerification(result: MergedVerification): string {
  const { changed, missing, extra } = result.diff;
  const failedParts = result.parts.filter((part) => !part.passed).map((part) => String(part.index));
  const lines = [
    result.verified
      ? `Verified ${oneLine(result.name)} ${result.rootDigest} in ${String(result.partitionCount)} parts (${String(result.resourceCount)} resources)`
      : `Verification FAILED for ${oneLine(result.name)} ${result.rootDigest}: part${failedParts.length === 1 ? '' : 's'} ${failedParts.join(', ')} of ${String(result.partitionCount)} failed; ${String(changed.length)} changed, ${String(missing.length)} missing, ${String(extra.length)} unsigned`,
    `  signed by   ${renderSigner(result.signer)}`,
    `  bundle      ${result.bundleDigest}`,
    ...result.parts.map((part) => `  part ${`${String(part.index)}/${String(result.partitionCount)}`.padEnd(6)} ${part.passed ? 'passed' : 'FAILED'}, ${String(part.checkedResourceCount)} resources (${oneLine(part.source)})`),
    ...result.findings.map((finding) => `  ${findingMarker({ severity: finding.severity, ...(finding.category === undefined ? {} : { category: finding.category }) })} ${finding.code}: ${oneLine(finding.message)}`),
  ];
  return safeLines(lines);
}
