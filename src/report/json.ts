/**
 * The JSON contract: what every `--json` output is, one function per command, each matching its
 * schema in `schemas/` (JSON Schema 2020-12; the tests validate real outputs against them). The
 * same thing has the same name and form everywhere: root digests are `sha256:<hex>`, times are
 * RFC 3339, the signer object is `verify/signer.ts`'s, a finding carries its code, structured
 * fields and rendered message, a verifying command has a top-level `verified` boolean, and every
 * failure is `{ …, error: { code, category, message, path? } }`.
 */
import type { AiprovError, ErrorCategory } from '../errors.js';
import type { Finding, FindingFields } from '../findings.js';
import type { LineageNode, LineageResult } from '../lineage/types.js';
import type { ManifestPart } from '../manifest/compute-part.js';
import type { Manifest, Serialization } from '../manifest/manifest.js';
import type { SizedManifest } from '../manifest/merge-parts.js';
import type { PolicyCheckResult } from '../policy/resolve.js';
import type { AttestationResult } from '../sign/attest.js';
import type { SignArtifactResult } from '../sign/sign-artifact.js';
import type { VerifyBundleFileResult } from '../use-cases/verify-bundle.js';
import type { MergedVerification } from '../use-cases/verify-merge.js';
import type { VerifyVsaResult } from '../use-cases/vsa.js';
import type { BundleInspection } from '../verify/inspect.js';
import type { Signer } from '../verify/signer.js';
import type { VerifyArtifactResult } from '../verify/verify-artifact.js';
import type { VerifyPartResult } from '../verify/verify-part.js';
import { findingMessage } from './findings.js';
import { oneLine } from './text.js';

export interface ErrorJson {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly message: string;
  readonly path?: string;
}

export function errorJson(error: AiprovError): ErrorJson {
  return { code: error.code, category: error.category, message: oneLine(error.message), ...(error.path === undefined ? {} : { path: error.path }) };
}

/** What a command prints with `--json` when it fails: verifying commands also say `verified: false`. */
export function failureJson(error: AiprovError, verifying: boolean): { readonly verified?: false; readonly error: ErrorJson } {
  return verifying ? { verified: false, error: errorJson(error) } : { error: errorJson(error) };
}

export interface FindingJson {
  readonly code: string;
  readonly severity: Finding['severity'];
  readonly category?: ErrorCategory;
  readonly path?: string;
  readonly fields: FindingFields;
  readonly message: string;
}

export function findingJson(finding: Finding): FindingJson {
  return { ...finding, message: oneLine(findingMessage(finding)) };
}

const rootDigest = (hex: string): string => `sha256:${hex}`;

export function digestJson(manifest: Manifest, rootDigestHex: string): { name: string; rootDigest: string; serialization: Serialization; resources: Manifest['resources'] } {
  return { name: manifest.name, rootDigest: rootDigest(rootDigestHex), serialization: manifest.serialization, resources: manifest.resources };
}

/** `digest --partition`: one part's resources, with their sizes, and what it knows of the whole listing. */
export function digestPartJson(part: ManifestPart): Record<string, unknown> {
  return { partition: part.partition, name: part.name, serialization: part.serialization, listing: part.listing, resources: part.resources };
}

/** `digest --merge`: the manifest of `digest --json`, each resource with its size. */
export function digestMergeJson(manifest: SizedManifest, rootDigestHex: string): Record<string, unknown> {
  return { name: manifest.name, rootDigest: rootDigest(rootDigestHex), serialization: manifest.serialization, resources: manifest.resources };
}

export function signJson(result: SignArtifactResult): { signaturePath: string; name: string; rootDigest: string; resourceCount: number; serialization: Serialization; incremental?: { reusedResources: number; hashedResources: number } } {
  const { incremental } = result;
  return {
    signaturePath: result.signaturePath,
    name: result.manifest.name,
    rootDigest: rootDigest(result.rootDigest),
    resourceCount: result.manifest.resources.length,
    serialization: result.manifest.serialization,
    ...(incremental === undefined ? {} : { incremental: { reusedResources: incremental.reusedResources, hashedResources: incremental.hashedResources } }),
  };
}

export function attestJson(result: AttestationResult): { attestationsPath: string; predicateType: string; subject: { name: string; digest: string } } {
  return { attestationsPath: result.attestationsPath, predicateType: result.predicateType, subject: { name: result.subject.name, digest: result.subject.digest } };
}

export function verifyJson(result: VerifyArtifactResult): Record<string, unknown> {
  return {
    verified: result.verified,
    artifactPath: result.artifactPath,
    signaturePath: result.signaturePath,
    name: result.name,
    predicateType: result.predicateType,
    rootDigest: rootDigest(result.signedRootDigest),
    serialization: result.serialization,
    signer: result.signer,
    resourceCount: result.resourceCount,
    diff: result.diff,
    findings: result.findings.map(findingJson),
  };
}

/**
 * `verify --partition`: one part. `verified` is always false, as in `inspect`: a part alone
 * verifies nothing about the artifact; `passed` says whether this part's checks passed.
 */
export function verifyPartJson(result: VerifyPartResult): Record<string, unknown> {
  return {
    verified: false,
    passed: result.passed,
    partition: result.partition,
    artifactPath: result.artifactPath,
    signaturePath: result.signaturePath,
    bundleDigest: rootDigest(result.bundleSha256),
    name: result.name,
    predicateType: result.predicateType,
    rootDigest: rootDigest(result.signedRootDigest),
    serialization: result.serialization,
    signer: result.signer,
    resourceCount: result.resourceCount,
    checkedResources: result.checked.map((resource) => ({ name: resource.name, digest: resource.digest })),
    diff: result.diff,
    findings: result.findings.map(findingJson),
  };
}

/** `verify --merge`: the verdict over every part (their findings are already in JSON form). */
export function verifyMergeJson(result: MergedVerification): Record<string, unknown> {
  return {
    verified: result.verified,
    name: result.name,
    rootDigest: result.rootDigest,
    bundleDigest: result.bundleDigest,
    predicateType: result.predicateType,
    serialization: result.serialization,
    signer: result.signer,
    resourceCount: result.resourceCount,
    partition: { count: result.partitionCount },
    parts: result.parts,
    diff: result.diff,
    findings: result.findings,
  };
}

/**
 * What a bundle claims. Its transparency-log entries are `tlogEntries` with base64 log IDs, as in
 * `verify-bundle` and in the bundle itself (the text report shows them in hex).
 */
export function inspectJson(inspection: BundleInspection): Record<string, unknown> {
  return {
    verified: inspection.verified,
    mediaType: inspection.mediaType,
    signer: inspection.signer,
    tlogEntries: inspection.transparencyLogEntries.map((entry) => ({ ...entry, logId: Buffer.from(entry.logId, 'hex').toString('base64') })),
    timestamps: inspection.timestamps,
    content: inspection.content,
  };
}

/** `inspect` of an attestations file: each line's inspection, by line number. */
export function inspectAttestationsJson(path: string, inspections: readonly { readonly line: number; readonly inspection: BundleInspection }[]): Record<string, unknown> {
  return { verified: false, attestationsPath: path, attestations: inspections.map(({ line, inspection }) => ({ line, ...inspectJson(inspection) })) };
}

/** The signer of a verified Sigstore bundle, in the one signer shape. */
export function bundleSigner(result: VerifyBundleFileResult): Signer {
  return result.signer.kind === 'key'
      ? { kind: 'key', ...(result.signer.keyHint === '' ? {} : { keyHint: result.signer.keyHint }), keyId: result.signer.keyId }
      : {
          kind: 'keyless',
          ...(result.signer.identity.subjectAlternativeName === undefined ? {} : { identity: result.signer.identity.subjectAlternativeName }),
          ...(result.signer.identity.issuer === undefined ? {} : { issuer: result.signer.identity.issuer }),
          claims: result.signer.identity.extensions,
          notBefore: result.signer.certificate.notBefore,
          notAfter: result.signer.certificate.notAfter,
          timestamps: result.timestamps,
          trustRoot: result.trustRoot.source,
        };
}

export function verifyBundleJson(result: VerifyBundleFileResult): Record<string, unknown> {
  return {
    verified: true,
    bundlePath: result.bundlePath,
    mediaType: result.mediaType,
    content: result.content,
    signer: bundleSigner(result),
    ...(result.signer.kind === 'certificate' ? { certificate: { pem: result.signer.certificate.pem, serialNumber: result.signer.certificate.serialNumber } } : {}),
    timestamps: result.timestamps,
    tlogEntries: result.tlogEntries,
    ...(result.artifact === undefined ? {} : { artifact: result.artifact }),
    artifactArgument: result.artifactArgument,
    trustRoot: result.trustRoot,
    ...(result.dsse === undefined ? {} : { dsse: { payloadType: result.dsse.payloadType, payload: result.dsse.payload.toString('base64') } }),
  };
}

const ROOT_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** A node whose digest is unknown (its signature failed and no parent names it) has none. */
function lineageNodeJson(node: LineageNode): Record<string, unknown> {
  const json: Record<string, unknown> = { ...node, findings: node.findings.map(findingJson), children: node.children.map(lineageNodeJson) };
  if (!ROOT_DIGEST.test(node.digest)) delete json['digest'];
  return json;
}

export function lineageJson(result: LineageResult): Record<string, unknown> {
  // result.evidence is what --evidence-out writes, not part of the report.
  return { verified: result.verdict === 'verified', verdict: result.verdict, root: lineageNodeJson(result.root) };
}

export function policyCheckJson(result: PolicyCheckResult, error?: AiprovError): Record<string, unknown> {
  return { ...result, ...(error === undefined ? {} : { error: errorJson(error) }) };
}

export function verifyVsaJson(result: VerifyVsaResult): VerifyVsaResult {
  return result;
}
