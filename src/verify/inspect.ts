import { X509Certificate } from 'node:crypto';
import { RFC3161Timestamp, X509Certificate as SigstoreX509 } from '@sigstore/core';
import { parseShardName } from '../manifest/manifest.js';
import { readCertificateIdentity, type CertificateIdentity } from './identity.js';
import { rfc3339, type Signer } from './signer.js';
import type { BundleJson } from '../format/bundle.js';
import { issuerOf, subjectOf } from '../format/certificates.js';

/** What a bundle claims, before any verification: nothing here is trusted. */
export interface BundleInspection {
  readonly verified: false;
  readonly mediaType: string;
  readonly signer: Signer;
  readonly transparencyLogEntries: readonly {
    readonly logIndex: string;
    readonly logId: string;
    readonly kind: string;
    readonly version: string;
    readonly integratedTime: string | undefined;
  }[];
  readonly timestamps: readonly { readonly signingTime: string | undefined; readonly error?: string }[];
  readonly content: InspectedContent;
}

export type InspectedContent =
  | { readonly kind: 'message-signature'; readonly digestAlgorithm: string | undefined; readonly digest: string | undefined }
  | {
      readonly kind: 'dsse';
      readonly payloadType: string;
      readonly statementType: string | undefined;
      readonly predicateType: string | undefined;
      readonly subjects: readonly { readonly name: string; readonly digest: Readonly<Record<string, string>> }[];
      readonly resourceCount: number | undefined;
      /** Sum of the shard sizes for a shard manifest; a file manifest does not record sizes. */
      readonly totalBytes: number | undefined;
      readonly parseError?: string;
    };

/** Describes a parsed bundle without verifying it (clearly marked `verified: false`). */
export function inspectBundle(bundle: BundleJson): BundleInspection {
  return {
    verified: false,
    mediaType: bundle.mediaType,
    signer: inspectSigner(bundle),
    transparencyLogEntries: (bundle.verificationMaterial.tlogEntries ?? []).map((entry) => ({
      logIndex: entry.logIndex ?? '0',
      logId: Buffer.from(entry.logId.keyId, 'base64').toString('hex'),
      kind: entry.kindVersion.kind,
      version: entry.kindVersion.version,
      integratedTime: entry.integratedTime === undefined || entry.integratedTime === '0' ? undefined : new Date(Number(entry.integratedTime) * 1000).toISOString(),
    })),
    timestamps: (bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []).map((timestamp) => {
      try {
        return { signingTime: RFC3161Timestamp.parse(Buffer.from(timestamp.signedTimestamp, 'base64')).signingTime.toISOString() };
      } catch (error) {
        return { signingTime: undefined, error: `unparseable RFC 3161 timestamp: ${(error as Error).message}` };
      }
    }),
    content: inspectContent(bundle),
  };
}

function inspectSigner(bundle: BundleJson): Signer {
  const material = bundle.verificationMaterial;
  if (material.publicKey !== undefined) {
    if (!('hint' in material.publicKey)) return { kind: 'key', keyDetails: material.publicKey.keyDetails };
    return material.publicKey.hint === '' ? { kind: 'key' } : { kind: 'key', keyHint: material.publicKey.hint };
  }
  const certificates = material.x509CertificateChain?.certificates ?? (material.certificate === undefined ? [] : [material.certificate]);
  const leafJson = certificates[0];
  if (leafJson === undefined) return { kind: 'key' };
  const der = Buffer.from(leafJson.rawBytes, 'base64');
  const leaf = new X509Certificate(der);
  const notBefore = rfc3339(leaf.validFrom);
  const notAfter = rfc3339(leaf.validTo);
  const identity = readIdentity(der);
  // A certificate that names an OIDC issuer (Fulcio extension 1.1 or 1.8) is a keyless one.
  if (identity?.issuer !== undefined) {
    return {
      kind: 'keyless',
      ...(identity.subjectAlternativeName === undefined ? {} : { identity: identity.subjectAlternativeName }),
      issuer: identity.issuer,
      claims: identity.extensions,
      notBefore,
      notAfter,
    };
  }
  return {
    kind: 'certificate',
    subject: subjectOf(leaf),
    issuer: issuerOf(leaf),
    ...(leaf.subjectAltName === undefined ? {} : { subjectAlternativeName: leaf.subjectAltName }),
    notBefore,
    notAfter,
    chainLength: certificates.length,
  };
}

function readIdentity(der: Buffer): CertificateIdentity | undefined {
  try {
    return readCertificateIdentity(SigstoreX509.parse(Buffer.from(der)));
  } catch {
    // Inspection describes; unreadable extensions are simply not shown.
    return undefined;
  }
}

function inspectContent(bundle: BundleJson): InspectedContent {
  if (bundle.dsseEnvelope === undefined) {
    const digest = bundle.messageSignature?.messageDigest;
    return { kind: 'message-signature', digestAlgorithm: digest?.algorithm, digest: digest === undefined ? undefined : Buffer.from(digest.digest, 'base64').toString('hex') };
  }
  const { payloadType, payload } = bundle.dsseEnvelope;
  try {
    const statement = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as {
      _type?: unknown;
      predicateType?: unknown;
      subject?: { name?: unknown; digest?: Record<string, string> }[];
      predicate?: { resources?: { name?: unknown }[] };
    };
    const resources = Array.isArray(statement.predicate?.resources) ? statement.predicate.resources : undefined;
    const shardBytes = resources?.map((resource) => (typeof resource.name === 'string' ? parseShardName(resource.name) : undefined));
    const totalBytes = shardBytes !== undefined && shardBytes.length > 0 && shardBytes.every((shard) => shard !== undefined) ? shardBytes.reduce((sum, shard) => sum + shard.end - shard.start, 0) : undefined;
    return {
      kind: 'dsse',
      payloadType,
      statementType: typeof statement._type === 'string' ? statement._type : undefined,
      predicateType: typeof statement.predicateType === 'string' ? statement.predicateType : undefined,
      subjects: (Array.isArray(statement.subject) ? statement.subject : []).map((subject) => ({ name: typeof subject.name === 'string' ? subject.name : '', digest: subject.digest ?? {} })),
      resourceCount: resources?.length,
      totalBytes,
    };
  } catch (error) {
    return { kind: 'dsse', payloadType, statementType: undefined, predicateType: undefined, subjects: [], resourceCount: undefined, totalBytes: undefined, parseError: `payload is not JSON: ${(error as Error).message}` };
  }
}
