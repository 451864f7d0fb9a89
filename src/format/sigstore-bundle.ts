/**
 * Sigstore bundles as any Sigstore client must read them (protobuf-specs `sigstore_bundle.proto`,
 * media types v0.1 to v0.3, proto3 JSON: base64 in either alphabet, padding optional, int64 as a
 * string or number, `null` for absent fields). This is the lenient reading the conformance suite
 * requires; `bundle.ts` holds the strict variant aiprov writes and model_signing's reader accepts.
 * Either way the bytes are bounded and parsed before anything else looks at them.
 */
import { bundleFromJSON, ValidationError, type Bundle } from '@sigstore/bundle';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { ProblemsError } from '../input/problem.js';
import { MAX_BUNDLE_BYTES } from './bundle.js';

/** Far above any real checkpoint (C2SP signed notes with a few witness cosignatures). */
const MAX_CHECKPOINT_CHARACTERS = 64 * 1024;


/**
 * proto3 JSON `bytes`: standard or URL-safe base64, padding optional. Line breaks are skipped as
 * Go's and Python's decoders do (`base64` wraps at 76 columns); any other character is refused,
 * where `Buffer.from(…, 'base64')` would silently drop it and decode something else.
 */
function isProtoBase64(raw: string): boolean {
  const value = raw.replace(/\r?\n/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) return false;
  const body = value.replace(/=+$/, '');
  if (body.length % 4 === 1) return false;
  return value.length === body.length || value.length % 4 === 0;
}
const bytes = z.string().refine(isProtoBase64, 'must be base64');
const nonEmptyBytes = bytes.refine((value) => value.length > 0, 'must not be empty');
/** proto3 JSON int64: a decimal string (or number). Log indices and times are never negative. */
const uint64 = z.union([z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'must be a non-negative integer'), z.number().int().nonnegative()]);

const TlogEntrySchema = z.strictObject({
  logIndex: uint64,
  logId: z.strictObject({ keyId: nonEmptyBytes }),
  kindVersion: z.strictObject({ kind: z.string().min(1), version: z.string().min(1) }),
  integratedTime: uint64.nullish(),
  inclusionPromise: z.strictObject({ signedEntryTimestamp: nonEmptyBytes }).nullish(),
  inclusionProof: z
    .strictObject({
      logIndex: uint64,
      rootHash: nonEmptyBytes,
      treeSize: uint64,
      hashes: z.array(nonEmptyBytes),
      // A checkpoint is a signed note of a few hundred bytes (a few KiB with witness cosignatures);
      // bounded, so that checking its signature lines costs little whatever a bundle holds.
      checkpoint: z.strictObject({ envelope: z.string().min(1).max(MAX_CHECKPOINT_CHARACTERS, `a checkpoint is at most ${String(MAX_CHECKPOINT_CHARACTERS)} characters`) }),
    })
    .nullish(),
  // Required here: it is what binds the entry to this signature (TLOG body check).
  canonicalizedBody: nonEmptyBytes,
});

const CertificateSchema = z.strictObject({ rawBytes: nonEmptyBytes });

const SerializedBundleSchema = z
  .strictObject({
    mediaType: z.string(),
    verificationMaterial: z
      .strictObject({
        // model_signing v0.3.1 wrote the key itself (rawBytes, keyDetails) instead of a hint:
        // tolerated, never used; the verifier's own key decides.
        publicKey: z.strictObject({ hint: z.string().nullish(), rawBytes: bytes.nullish(), keyDetails: z.string().nullish() }).nullish(),
        x509CertificateChain: z.strictObject({ certificates: z.array(CertificateSchema).min(1, 'the certificate chain is empty') }).nullish(),
        certificate: CertificateSchema.nullish(),
        tlogEntries: z.array(TlogEntrySchema).max(64, 'too many tlog entries').nullish(),
        timestampVerificationData: z.strictObject({ rfc3161Timestamps: z.array(z.strictObject({ signedTimestamp: nonEmptyBytes })).max(64, 'too many timestamps').nullish() }).nullish(),
      })
      .refine((material) => [material.publicKey, material.x509CertificateChain, material.certificate].filter((item) => item !== undefined && item !== null).length === 1, 'exactly one of publicKey, x509CertificateChain, certificate is required'),
    messageSignature: z
      .strictObject({
        messageDigest: z.strictObject({ algorithm: z.string(), digest: nonEmptyBytes }).nullish(),
        signature: nonEmptyBytes,
      })
      .nullish(),
    dsseEnvelope: z
      .strictObject({
        payload: nonEmptyBytes,
        payloadType: z.string().min(1),
        signatures: z.array(z.strictObject({ sig: nonEmptyBytes, keyid: z.string().nullish() })).length(1, 'a bundle\'s DSSE envelope has exactly one signature'),
      })
      .nullish(),
  })
  .refine((bundle) => (bundle.messageSignature == null) !== (bundle.dsseEnvelope == null), 'exactly one of messageSignature, dsseEnvelope is required');

/**
 * Known media types: `…bundle+json;version=0.N` (0.1 to 0.3) and `…bundle.v0.N+json` (0.3 on).
 * A later 0.N is read with the 0.3 rules (as sigstore-js does); another major version is refused,
 * since its fields could mean something else (conformance `bundle-unknown-version_fail`).
 */
const MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.bundle(?:\+json;version=0\.([1-9][0-9]*)|\.v0\.([3-9]|[1-9][0-9]+)\+json)$/;

export function coerceBundleJson(input: unknown): unknown {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) return input;
  const length = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (length > MAX_BUNDLE_BYTES) {
    throw new InputError('BUNDLE_TOO_LARGE', `the bundle is ${String(length)} bytes, more than the ${String(MAX_BUNDLE_BYTES)} accepted`);
  }
  try {
    return JSON.parse(typeof input === 'string' ? input : Buffer.from(input).toString('utf8')) as unknown;
  } catch (error) {
    // The parser's message quotes the input; say where, not what.
    throw new InputError('BUNDLE_NOT_JSON', 'the bundle is not valid JSON (truncated or malformed)', { cause: error });
  }
}

/** Validates a bundle's JSON and converts it for `@sigstore/verify`. */
export function parseSigstoreBundle(json: unknown): Bundle {
  const shape = SerializedBundleSchema.safeParse(json);
  if (!shape.success) throw ProblemsError.fromZod(shape.error, { code: 'BUNDLE_INVALID', source: 'the Sigstore bundle', schema: SerializedBundleSchema });
  if (!MEDIA_TYPE.test(shape.data.mediaType)) {
    throw new InputError('BUNDLE_UNSUPPORTED_VERSION', `bundle media type ${JSON.stringify(shape.data.mediaType.slice(0, 120))} is not a Sigstore bundle version aiprov reads (0.1 to 0.3)`);
  }
  try {
    // Applies the per-version rules: v0.1 entries need an inclusion promise, v0.2+ an inclusion
    // proof with a checkpoint, v0.3 a single certificate rather than a chain.
    return bundleFromJSON(json);
  } catch (error) {
    const fields = error instanceof ValidationError ? `: ${error.fields.join(', ')}` : '';
    throw new InputError('BUNDLE_INVALID', `not a valid Sigstore bundle for its media type${fields}`, { cause: error });
  }
}
