import { printable, type AiprovError } from '../errors.js';
import type { Manifest } from '../manifest/manifest.js';
import type { BundleInspection } from '../verify/inspect.js';
import type { Finding } from '../findings.js';
import type { VerifiedSigner, VerifyArtifactResult } from '../verify/verify-artifact.js';

/**
 * Human text is rendered from result objects here and only here; `--json` prints the same
 * objects unchanged.
 */

export function renderError(error: AiprovError): string {
  return `aiprov: ${error.code}: ${oneLine(error.message)}`;
}

/** The JSON form of an error, for `--json` output. */
export function errorJson(error: AiprovError): { code: string; category: string; message: string; path?: string } {
  return { code: error.code, category: error.category, message: oneLine(error.message), ...(error.path === undefined ? {} : { path: error.path }) };
}

/** One line, with every control character of untrusted text escaped. */
function oneLine(text: string): string {
  return printable(text.replace(/\s*\n\s*/g, ' '), 2000);
}

export function renderSigner(signer: VerifiedSigner): string {
  switch (signer.kind) {
    case 'key':
      return `key ${signer.keyHint} (ECDSA ${signer.curve})`;
    case 'certificate':
      return `certificate "${signer.subject.replace(/\n/g, ', ')}"${signer.subjectAltName === undefined ? '' : ` (${signer.subjectAltName})`}, chain to "${(signer.chain[signer.chain.length - 1] ?? '').replace(/\n/g, ', ')}"`;
    case 'sigstore': {
      const times = signer.timestamps.map((timestamp) => `${timestamp.kind === 'transparency-log' ? 'logged' : 'timestamped'} ${timestamp.time}`);
      return `${signer.identity ?? '(no identity)'} via ${signer.issuer ?? '(no issuer)'} (Sigstore ${signer.trustRoot}${times.length === 0 ? '' : `; ${times.join(', ')}`})`;
    }
  }
}

function renderFinding(finding: Finding): string {
  const marker = finding.severity === 'error' ? '✗' : finding.severity === 'warning' ? '!' : '·';
  return `  ${marker} ${finding.code}: ${oneLine(finding.detail)}`;
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

export function renderManifestSummary(manifest: Manifest, rootDigest: string): string {
  return `sha256:${rootDigest}  ${manifest.name} (${String(manifest.resources.length)} resources, ${manifest.serialization.method}/${manifest.serialization.hashType})`;
}

export function renderInspection(inspection: BundleInspection): string {
  const lines = ['UNVERIFIED: what this bundle claims (nothing below has been checked)', `  media type   ${inspection.mediaType}`];
  const signer = inspection.signer;
  switch (signer.kind) {
    case 'public-key':
      lines.push(`  signer       public key${signer.hint === undefined ? ' (no hint)' : ` hint ${signer.hint}`}${signer.keyDetails === undefined ? '' : ` ${signer.keyDetails}`}`);
      break;
    case 'certificate': {
      lines.push(`  signer       certificate "${signer.subject.replace(/\n/g, ', ')}" issued by "${signer.issuer.replace(/\n/g, ', ')}"`);
      if (signer.subjectAltName !== undefined) lines.push(`  identity     ${signer.subjectAltName}`);
      lines.push(`  valid        ${signer.notBefore} to ${signer.notAfter} (${String(signer.chainLength)} certificate(s) in bundle)`);
      for (const [name, value] of Object.entries(signer.claims)) lines.push(`  ${name.padEnd(12)} ${value}`);
      break;
    }
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

/** Every line may quote untrusted text (file names, certificate fields): escape control characters. */
function safeLines(lines: readonly string[]): string {
  return lines.map((line) => printable(line, 10_000)).join('\n');
}
