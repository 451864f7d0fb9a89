/**
 * Human text for the terminal, rendered from result objects. Every value that may come from an
 * untrusted source (file names, bundle fields, certificate claims) passes through `printable`,
 * so it cannot move the cursor or fake a line.
 */
import { printable, type AiprovError } from '../errors.js';
import type { Finding } from '../findings.js';
import type { BundleInspection } from '../verify/inspect.js';
import type { Signer } from '../verify/signer.js';
import type { VerifyVsaResult } from '../use-cases/vsa.js';
import type { VerifyArtifactResult } from '../verify/verify-artifact.js';
import { findingMessage } from './findings.js';

/**
 * One line of human output: `printable` with a longer limit. A newline is escaped, never turned
 * into a space, so `a\nb` and `a b` stay distinguishable.
 */
export function oneLine(text: string, limit = 2000): string {
  return printable(text, limit);
}

export function renderError(error: AiprovError): string {
  return `aiprov: ${error.code}: ${oneLine(error.message)}`;
}

/** A distinguished name on one line (node:crypto separates its parts with newlines), quoted; an empty one said so. */
function distinguishedName(name: string): string {
  return name === '' ? '(empty subject)' : `"${name.replace(/\n/g, ', ')}"`;
}

/** `, timestamped <time>` for each verified RFC 3161 timestamp of a key or certificate signer. */
function timestamped(timestamps: readonly { readonly time: string }[] | undefined): string {
  return (timestamps ?? []).map((timestamp) => `, timestamped ${timestamp.time}`).join('');
}

export function renderSigner(signer: Signer): string {
  switch (signer.kind) {
    case 'key':
      return `key ${signer.keyHint ?? signer.keyId ?? '(no hint)'}${signer.curve === undefined ? '' : ` (ECDSA ${signer.curve})`}${signer.keyDetails === undefined ? '' : ` ${signer.keyDetails}`}${timestamped(signer.timestamps)}`;
    case 'certificate': {
      const anchor = signer.chain?.[signer.chain.length - 1];
      return `certificate ${distinguishedName(signer.subject)}${signer.subjectAlternativeName === undefined ? '' : ` (${signer.subjectAlternativeName})`}, ${anchor === undefined ? `issued by ${distinguishedName(signer.issuer)}` : `chain to ${distinguishedName(anchor.subject)}`}${timestamped(signer.timestamps)}`;
    }
    case 'keyless': {
      const times = (signer.timestamps ?? []).map((timestamp) => `${timestamp.kind === 'transparency-log' ? 'logged' : 'timestamped'} ${timestamp.time}`);
      const details = [...(signer.trustRoot === undefined ? [] : [`Sigstore ${signer.trustRoot}`]), ...times];
      return `${signer.identity ?? '(no identity)'} via ${signer.issuer ?? '(no issuer)'}${details.length === 0 ? '' : ` (${details.join('; ')})`}`;
    }
  }
}

/** A finding's marker shows its weight: ✗ failed, ⊘ denied by policy, ! warning, · note. */
export function findingMarker(finding: Pick<Finding, 'severity' | 'category'>): string {
  if (finding.severity === 'warning') return '!';
  if (finding.severity === 'info') return '·';
  return finding.category === 'policy' ? '⊘' : '✗';
}

export function renderFinding(finding: Finding, indent = '  '): string {
  return `${indent}${findingMarker(finding)} ${finding.code}: ${oneLine(findingMessage(finding))}`;
}

export function renderVerifyResult(result: VerifyArtifactResult): string {
  const lines: string[] = [];
  if (result.verified) {
    lines.push(`Verified ${oneLine(result.artifactPath)}`);
  } else {
    const { changed, missing, extra } = result.diff;
    lines.push(`Verification FAILED for ${oneLine(result.artifactPath)}: ${String(changed.length)} changed, ${String(missing.length)} missing, ${String(extra.length)} unsigned`);
  }
  lines.push(`  signed by   ${renderSigner(result.signer)}`);
  lines.push(`  subject     ${result.name === '' ? '(legacy, unnamed)' : oneLine(result.name)} sha256:${result.signedRootDigest}`);
  lines.push(`  manifest    ${String(result.resourceCount)} resources, ${result.serialization.method}/${result.serialization.hashType}`);
  for (const finding of result.findings) lines.push(renderFinding(finding));
  return safeLines(lines);
}

export function renderInspection(inspection: BundleInspection): string {
  const lines = ['UNVERIFIED: what this bundle claims (nothing below has been checked)', `  media type   ${inspection.mediaType}`];
  const signer = inspection.signer;
  lines.push(`  signer       ${renderSigner(signer)}`);
  if (signer.kind !== 'key') {
    if (signer.notBefore !== undefined && signer.notAfter !== undefined) {
      lines.push(`  valid        ${signer.notBefore} to ${signer.notAfter}${signer.kind === 'certificate' && signer.chainLength !== undefined ? ` (${String(signer.chainLength)} certificate(s) in bundle)` : ''}`);
    }
    if (signer.kind === 'keyless') for (const [name, value] of Object.entries(signer.claims)) lines.push(`  ${name.padEnd(12)} ${value}`);
  }
  for (const entry of inspection.transparencyLogEntries) {
    lines.push(`  tlog entry   ${entry.kind}/${entry.version} index ${entry.logIndex}${entry.integratedTime === undefined ? '' : ` at ${entry.integratedTime}`} (log ${entry.logId.slice(0, 16)}…)`);
  }
  for (const timestamp of inspection.timestamps) lines.push(`  timestamp    ${timestamp.signingTime ?? timestamp.error ?? ''}`);
  const content = inspection.content;
  switch (content.kind) {
    case 'message-signature':
      lines.push(`  content      message signature over ${content.digestAlgorithm ?? '?'} ${content.digest ?? ''}`);
      break;
    case 'dsse':
      lines.push(`  content      DSSE ${content.payloadType}`);
      if (content.parseError !== undefined) lines.push(`  payload      ${content.parseError}`);
      if (content.statementType !== undefined) lines.push(`  statement    ${content.statementType}`);
      if (content.predicateType !== undefined) lines.push(`  predicate    ${content.predicateType}`);
      for (const subject of content.subjects) {
        lines.push(`  subject      ${subject.name} ${Object.entries(subject.digest).map(([algorithm, value]) => `${algorithm}:${value}`).join(' ')}`);
      }
      if (content.resourceCount !== undefined) {
        lines.push(`  resources    ${String(content.resourceCount)}${content.totalBytes === undefined ? '' : ` (${String(content.totalBytes)} bytes)`}`);
      }
      break;
  }
  return safeLines(lines);
}

export function renderVsaResult(result: VerifyVsaResult): string {
  return safeLines([
    `Verified ${oneLine(result.name)} ${result.rootDigest}: the verification summary PASSED`,
    `  hashed as  a ${result.kind}, with the serialization the summary records (${result.serialization.method}, ${result.serialization.hashType}), file names included`,
    `  signed by   ${renderSigner(result.signer)}`,
    `  verifier    ${result.verifier} at ${result.timeVerified}`,
    `  policy      ${result.policy.uri}${result.policy.digest === undefined ? '' : ` ${result.policy.digest}`}`,
    `  resource    ${result.resourceUri}`,
    `  levels      ${result.verifiedLevels.join(', ')}`,
  ]);
}

/** Every line may quote untrusted text (file names, certificate fields): escape control characters. */
export function safeLines(lines: readonly string[]): string {
  return lines.map((line) => printable(line, 10_000)).join('\n');
}
