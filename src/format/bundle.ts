import { z } from 'zod';
import { InputError } from '../errors.js';
import { issueMessage, ProblemsError } from '../input/problem.js';
import { readBounded } from '../input/read-bounded.js';

/**
 * Sigstore bundle media types (protobuf-specs sigstore_bundle.proto). aiprov writes v0.3; it
 * reads every released version.
 */
export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const BUNDLE_MEDIA_TYPES = [
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  BUNDLE_V03_MEDIA_TYPE,
] as const;

/** A bundle larger than this is refused before parsing (a signature is kilobytes). */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

/** Standard, padded base64 (RFC 4648 §4), as protobuf JSON and model_signing's reader require. */
const base64 = z.string().refine((value) => value.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(value), 'must be standard padded base64');
const int64 = z.string().regex(/^(0|-?[1-9][0-9]*)$/, 'must be a decimal integer string');

const X509CertificateSchema = z.strictObject({ rawBytes: base64 });

// Protobuf JSON leaves out fields equal to their default, so an entry at index 0 has no logIndex.
const TransparencyLogEntrySchema = z.strictObject({
  logIndex: int64.optional(),
  logId: z.strictObject({ keyId: base64 }),
  kindVersion: z.strictObject({ kind: z.string(), version: z.string() }),
  integratedTime: int64.optional(),
  inclusionPromise: z.strictObject({ signedEntryTimestamp: base64 }).optional(),
  inclusionProof: z
    .strictObject({
      logIndex: int64.optional(),
      rootHash: base64,
      treeSize: int64,
      hashes: z.array(base64),
      checkpoint: z.strictObject({ envelope: z.string() }),
    })
    .optional(),
  canonicalizedBody: base64,
});

const PublicKeyMaterialSchema = z.union([
  z.strictObject({ hint: z.string() }),
  // model_signing v0.3.1 embedded the PEM instead of a hint; the key itself still comes from
  // the verifier, and the embedded one must be the same key.
  z.strictObject({ rawBytes: base64, keyDetails: z.string() }),
]);

const VerificationMaterialSchema = z
  .strictObject({
    publicKey: PublicKeyMaterialSchema.optional(),
    x509CertificateChain: z.strictObject({ certificates: z.array(X509CertificateSchema) }).optional(),
    certificate: X509CertificateSchema.optional(),
    tlogEntries: z.array(TransparencyLogEntrySchema).optional(),
    // Bounded as in sigstore-bundle.ts: each token is verified on its own (a failing one may be set aside).
    timestampVerificationData: z.strictObject({ rfc3161Timestamps: z.array(z.strictObject({ signedTimestamp: base64 })).max(64, 'too many timestamps').optional() }).optional(),
  })
  .refine((material) => [material.publicKey, material.x509CertificateChain, material.certificate].filter((item) => item !== undefined).length === 1, 'exactly one of publicKey, x509CertificateChain, certificate is required');

const EnvelopeSchema = z.strictObject({
  payload: base64,
  payloadType: z.string(),
  signatures: z.array(z.strictObject({ sig: base64, keyid: z.string().nullable().optional() })),
});

const MessageSignatureSchema = z.strictObject({
  messageDigest: z.strictObject({ algorithm: z.string(), digest: base64 }).optional(),
  signature: base64,
});

export const BundleSchema = z
  .strictObject({
    mediaType: z.enum(BUNDLE_MEDIA_TYPES),
    verificationMaterial: VerificationMaterialSchema,
    dsseEnvelope: EnvelopeSchema.optional(),
    messageSignature: MessageSignatureSchema.optional(),
  })
  .refine((bundle) => (bundle.dsseEnvelope === undefined) !== (bundle.messageSignature === undefined), 'exactly one of dsseEnvelope, messageSignature is required');

export type BundleJson = z.infer<typeof BundleSchema>;

/** Parses bundle bytes, refusing oversized, non-JSON and off-schema input (unknown fields too). */
export function parseBundle(bytes: Uint8Array, source = 'bundle'): BundleJson {
  if (bytes.byteLength > MAX_BUNDLE_BYTES) {
    throw new InputError('BUNDLE_TOO_LARGE', `${source} is ${String(bytes.byteLength)} bytes, more than the ${String(MAX_BUNDLE_BYTES)} accepted`);
  }
  let json: unknown;
  try {
    // A view of the bytes, not a copy: an evidence file's lines are parsed from the file's buffer.
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    throw new InputError('BUNDLE_NOT_JSON', `${source} is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  return parseBundleJson(json, source);
}

export function parseBundleJson(json: unknown, source = 'bundle'): BundleJson {
  if (typeof json === 'object' && json !== null && 'mediaType' in json && !(BUNDLE_MEDIA_TYPES as readonly unknown[]).includes(json.mediaType)) {
    throw new InputError('BUNDLE_UNSUPPORTED_MEDIA_TYPE', `${source} has media type ${JSON.stringify(json.mediaType)}, which is not a Sigstore bundle version aiprov reads`);
  }
  const parsed = BundleSchema.safeParse(json, { error: issueMessage });
  if (!parsed.success) throw ProblemsError.fromZod(parsed.error, { source, code: 'BUNDLE_INVALID', schema: BundleSchema });
  return parsed.data;
}

/**
 * Reads and parses a signature file (a bundle): BUNDLE_TOO_LARGE or BUNDLE_NOT_A_FILE (a FIFO or a
 * device, such as a `model.sig` linked to /dev/zero) before anything is parsed.
 */
export async function readBundleFile(path: string): Promise<BundleJson> {
  return parseBundle(await readBounded(path, { maxBytes: MAX_BUNDLE_BYTES, kind: 'BUNDLE', what: 'signature' }), path);
}

/** What a bundle's payload claims, unverified (see `peekUnverifiedStatement`). */
export interface UnverifiedClaim {
  readonly predicateType?: string;
  readonly subjectName?: string;
  readonly subjectDigest?: string;
}

/**
 * Each bundle is peeked once: lookups into an evidence file of 10,000 lines ask about every line
 * for every artifact of the lineage, and decoding a payload (up to 64 MiB) each time made the
 * cost per line grow with the lineage. Bundles are parsed once and never changed.
 */
const peeked = new WeakMap<BundleJson, UnverifiedClaim | null>();

/**
 * What a bundle's DSSE payload claims, read without verifying anything: only for choosing which
 * bundles to verify (by predicate type) or where to look for an artifact (by subject digest).
 * Never a basis for a verdict; `undefined` when the payload is not an in-toto statement.
 */
export function peekUnverifiedStatement(bundle: BundleJson): UnverifiedClaim | undefined {
  let claim = peeked.get(bundle);
  if (claim === undefined) {
    claim = readClaim(bundle) ?? null;
    peeked.set(bundle, claim);
  }
  return claim ?? undefined;
}

function readClaim(bundle: BundleJson): UnverifiedClaim | undefined {
  if (bundle.dsseEnvelope === undefined) return undefined;
  let statement: unknown;
  try {
    statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof statement !== 'object' || statement === null) return undefined;
  const { predicateType, subject } = statement as { predicateType?: unknown; subject?: unknown };
  const first: unknown = Array.isArray(subject) ? subject[0] : undefined;
  const { name, digest } = typeof first === 'object' && first !== null ? (first as { name?: unknown; digest?: { sha256?: unknown } }) : { name: undefined, digest: undefined };
  const sha256: unknown = digest?.sha256;
  return { ...(typeof predicateType === 'string' ? { predicateType } : {}), ...(typeof name === 'string' ? { subjectName: name } : {}), ...(typeof sha256 === 'string' ? { subjectDigest: sha256 } : {}) };
}
