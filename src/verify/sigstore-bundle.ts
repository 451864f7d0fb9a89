/**
 * Verification of one Sigstore bundle (protobuf-specs `sigstore_bundle.proto`, v0.1 to v0.3),
 * offline, against a trusted root: the signature, the signing certificate's chain and SCTs (or a
 * key the verifier trusts), the transparency log entries and the timestamps, then what
 * `@sigstore/verify` leaves to its caller: that the artifact is the one signed (the message
 * digest, or a subject of the in-toto statement) and that the signer is the expected identity.
 *
 * Order of checks (each one only trusts what the previous ones established):
 *   1. bound and parse the bytes; validate the bundle's shape and media type;
 *   2. refuse duplicated evidence (no entry or timestamp counts twice toward a threshold) and
 *      inclusion proofs that disagree with their own checkpoint;
 *   3. pick the verifying key (certificate, or a key the verifier pinned) and bind the artifact
 *      to the signed message digest, before any cryptography;
 *   4. `@sigstore/verify`: timestamps, certificate chain at those times, SCTs, tlog inclusion and
 *      body, signature;
 *   5. only then read the signed statement and the certificate's identity claims.
 * Every `@sigstore/*` error is re-coded into src/errors.ts with a stable code; upstream messages
 * are never shown (they may quote untrusted bytes or, from the signing side, a token).
 */
import { createHash, createPublicKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { bundleFromJSON, ValidationError, type Bundle, type TransparencyLogEntry } from '@sigstore/bundle';
import { ASN1Obj, X509Certificate } from '@sigstore/core';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { PolicyError as SigstorePolicyError, toSignedEntity, VerificationError as SigstoreVerificationError, Verifier, type KeyFinderFunc, type SignedEntity, type TrustMaterial } from '@sigstore/verify';
import { z } from 'zod';
import { AiprovError, InputError, ioErrorFrom, PolicyError, printable, VerificationError } from '../errors.js';
import { describeZodError, IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT_V1 } from '../statement/statement.js';
import { MAX_BUNDLE_BYTES } from '../format/bundle.js';
import { certificatePem } from '../format/certificates.js';
import { sameKey } from '../format/keys.js';
import { checkIdentityPolicy, compileIdentityPolicy, isEmptyPolicy, readCertificateIdentity, type CertificateIdentity, type FulcioExtensionName, type IdentityPolicy } from './identity.js';
import { loadTrustRoot, toVerifierTrustMaterial } from './trust.js';
import { verifyPrehashedSignature } from './prehashed-signature.js';

/** A bundle is kilobytes; a larger one is refused before it is read or parsed (64 MiB). */
export const MAX_SIGSTORE_BUNDLE_BYTES = MAX_BUNDLE_BYTES;
/** Artifacts up to this size are read and verified as bytes; larger ones are hashed as a stream. */
export const MAX_IN_MEMORY_ARTIFACT_BYTES = 256 * 1024 * 1024;
/** A timestamp this far past the verifier's clock is refused (clock skew allowance). */
const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

/** Statement versions whose subjects are matched (v0.1 is what older attestations carry). */
const IN_TOTO_STATEMENT_TYPES: readonly string[] = [IN_TOTO_STATEMENT_V1, 'https://in-toto.io/Statement/v0.1'];

/** The artifact: its bytes, or only its SHA-256 (the conformance suite's `sha256:<hex>`). */
export type ArtifactInput = Buffer | { readonly sha256: string };
/** A public key: a KeyObject or its PEM text. */
export type PublicKeyInput = KeyObject | string;

export interface EvidenceThresholds {
  /** Distinct transparency logs that must include the signature. */
  readonly tlog?: number;
  /** Distinct SCTs the signing certificate must carry. */
  readonly ctlog?: number;
  /** Verified timestamps (RFC 3161, or tlog integrated times backed by a SET). */
  readonly timestamp?: number;
}

export interface VerifySigstoreBundleOptions {
  /** The bundle: parsed JSON, or its bytes/text (bounded and parsed here). */
  readonly bundleJson: unknown;
  /** Required for message signatures; for DSSE it must be a subject of the statement. */
  readonly artifact?: ArtifactInput;
  readonly trustMaterial: TrustMaterial;
  /** Who must have signed (keyless bundles). Matched exactly unless a regexp is given. */
  readonly identity?: IdentityPolicy;
  /** The key a key-signed bundle must verify with, whatever its hint says. */
  readonly publicKey?: PublicKeyInput;
  /** Keys by `verificationMaterial.publicKey.hint`. */
  readonly publicKeys?: Readonly<Record<string, PublicKeyInput>>;
  /** Defaults: keyless 1 tlog, 1 SCT, 1 timestamp; key-signed 0, 0, 0 (anything present is still checked). */
  readonly thresholds?: EvidenceThresholds;
  /** The verifier's clock, only to refuse timestamps from the future; defaults to now. */
  readonly now?: Date;
}

export type BundleSigner =
  | {
      readonly kind: 'certificate';
      readonly identity: CertificateIdentity;
      readonly certificate: { readonly pem: string; readonly serialNumber: string; readonly notBefore: string; readonly notAfter: string };
    }
  | {
      readonly kind: 'key';
      /** The bundle's (unauthenticated) hint, as written. */
      readonly keyHint: string;
      /** SHA-256 (hex) of the DER SubjectPublicKeyInfo of the key that verified. */
      readonly keyId: string;
    };

export interface VerifiedTimestamp {
  readonly kind: 'transparency-log' | 'timestamp-authority';
  /** ISO 8601. */
  readonly time: string;
  /** The log ID (base64) of a tlog integrated time. */
  readonly logId?: string;
  readonly logIndex?: string;
}

export interface VerifiedTlogEntry {
  readonly logId: string;
  readonly logIndex: string;
  readonly kind: string;
  readonly version: string;
  readonly integratedTime?: string;
  readonly inclusionProof: boolean;
  readonly inclusionPromise: boolean;
}

export interface SigstoreBundleVerification {
  readonly mediaType: string;
  readonly content: 'message-signature' | 'dsse';
  readonly signer: BundleSigner;
  readonly timestamps: readonly VerifiedTimestamp[];
  readonly tlogEntries: readonly VerifiedTlogEntry[];
  /** How the artifact was bound to the signature, when one was given. */
  readonly artifact?: {
    readonly matchedBy: 'message-digest' | 'statement-subject';
    readonly algorithm: string;
    readonly digest: string;
    readonly subjectName?: string;
  };
  /** For DSSE bundles: the signed payload, exactly as signed. Parse it only from here. */
  readonly dsse?: { readonly payloadType: string; readonly payload: Buffer };
}

/**
 * Verifies a Sigstore bundle offline. Returns what was established, or throws an AiprovError:
 * input (malformed bundle, bad key or policy), verification (signature, chain, tlog, timestamp,
 * digest or subject mismatch) or policy (another identity, issuer or CI claim).
 */
export function verifySigstoreBundle(options: VerifySigstoreBundleOptions): SigstoreBundleVerification {
  const now = options.now ?? new Date();
  const json = coerceBundleJson(options.bundleJson);
  const bundle = parseSigstoreBundle(json);
  const policy = options.identity === undefined || isEmptyPolicy(options.identity) ? undefined : compileIdentityPolicy(options.identity);
  const trustedKey = options.publicKey === undefined ? undefined : parsePublicKey(options.publicKey, 'the public key');

  refuseDuplicateEvidence(bundle);
  refuseInconsistentInclusionProofs(bundle);

  let entity: SignedEntity;
  try {
    entity = toSignedEntity(bundle, Buffer.isBuffer(options.artifact) ? options.artifact : undefined);
  } catch (error) {
    throw new InputError('BUNDLE_INVALID', 'the bundle holds a certificate or timestamp that cannot be parsed', { cause: error });
  }

  // Which key verifies: the certificate's (chained to the trusted root) or one the verifier gave.
  const leaf = entity.key.$case === 'certificate' ? entity.key.certificate : undefined;
  const keyHint = entity.key.$case === 'public-key' ? entity.key.hint : '';
  let keyMode = false;
  let trustMaterial = options.trustMaterial;
  if (leaf === undefined) {
    if (policy !== undefined) {
      throw new PolicyError('IDENTITY_MISMATCH', `the bundle is signed with a bare public key (hint ${JSON.stringify(keyHint.slice(0, 120))}), so it carries no certificate identity to match the policy`);
    }
    if (trustedKey === undefined && options.publicKeys === undefined) {
      throw new InputError('KEY_REQUIRED', `the bundle is signed with a public key (hint ${JSON.stringify(keyHint.slice(0, 120))}); give the key to verify it with`);
    }
    keyMode = true;
    trustMaterial = { ...trustMaterial, publicKey: keyFinder(trustedKey, options.publicKeys) };
  } else if (trustedKey !== undefined) {
    // In key mode the chain is not verified, so the certificate's identity claims mean nothing.
    if (policy !== undefined) throw new InputError('USAGE', 'verify either with a certificate identity policy or with a public key, not both');
    // A pinned key also verifies a certificate bundle (model_signing does the same): the
    // certificate must hold exactly that key, and the chain is then not what is trusted.
    if (!sameKey(createPublicKey({ key: leaf.publicKey, format: 'der', type: 'spki' }), trustedKey)) {
      throw new VerificationError('PUBLIC_KEY_MISMATCH', 'the bundle\'s certificate holds another public key than the one given');
    }
    keyMode = true;
    entity = { ...entity, key: { $case: 'public-key', hint: '' } };
    trustMaterial = { ...trustMaterial, publicKey: keyFinder(trustedKey, undefined) };
  } else if (options.publicKeys !== undefined) {
    throw new InputError('USAGE', 'the bundle is signed with a certificate; keys by hint only verify key-signed bundles');
  } else {
    checkLeafUsage(leaf);
  }

  const artifactBinding = bindArtifact(bundle, options.artifact);
  if (artifactBinding.prehashed !== undefined) entity = { ...entity, signature: prehashedSignature(entity.signature, artifactBinding.prehashed) };

  const thresholds = {
    tlog: options.thresholds?.tlog ?? (keyMode ? 0 : 1),
    ctlog: options.thresholds?.ctlog ?? (keyMode ? 0 : 1),
    timestamp: options.thresholds?.timestamp ?? (keyMode ? 0 : 1),
  };
  // Count distinct logs, not entries: two entries in one log are one witness, not two. Every
  // entry present must still verify below, so counting before verification is sound.
  const distinctLogs = new Set(entity.tlogEntries.map((entry) => entry.logId.keyId.toString('base64'))).size;
  if (distinctLogs < thresholds.tlog) {
    throw new VerificationError('TLOG_THRESHOLD_NOT_MET', `the bundle is in ${String(distinctLogs)} distinct transparency log(s); ${String(thresholds.tlog)} required`);
  }
  checkTimestampCount(entity, thresholds.timestamp);
  try {
    new Verifier(trustMaterial, { tlogThreshold: thresholds.tlog, ctlogThreshold: thresholds.ctlog, timestampThreshold: thresholds.timestamp }).verify(entity);
  } catch (error) {
    throw recodeVerifyError(error);
  }

  const timestamps = verifiedTimestamps(entity);
  refuseFutureTimestamps(timestamps, now);

  // Verified from here on: the payload and the certificate's claims may be read.
  const dsse = bundle.content.$case === 'dsseEnvelope' ? { payloadType: bundle.content.dsseEnvelope.payloadType, payload: Buffer.from(bundle.content.dsseEnvelope.payload) } : undefined;
  const artifact = dsse === undefined ? artifactBinding.matched : matchStatementSubject(dsse, options.artifact);

  let signer: BundleSigner;
  if (leaf === undefined || keyMode) {
    const key = trustedKey ?? resolveKey(keyHint, options.publicKeys);
    signer = { kind: 'key', keyHint, keyId: createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex') };
  } else {
    const identity = readCertificateIdentity(leaf);
    if (policy !== undefined) checkIdentityPolicy(policy, identity);
    signer = {
      kind: 'certificate',
      identity,
      certificate: { pem: certificatePem(leaf.root.toDER()), serialNumber: leaf.serialNumber.toString('hex'), notBefore: leaf.notBefore.toISOString(), notAfter: leaf.notAfter.toISOString() },
    };
  }

  return {
    mediaType: bundle.mediaType,
    content: dsse === undefined ? 'message-signature' : 'dsse',
    signer,
    timestamps,
    tlogEntries: entity.tlogEntries.map(describeTlogEntry),
    ...(artifact === undefined ? {} : { artifact }),
    ...(dsse === undefined ? {} : { dsse }),
  };
}

// ---------------------------------------------------------------------------------------------
// The `verify-bundle` command (sigstore-conformance client protocol)

/** Parsed flags of `aiprov verify-bundle`; names are commander's camelCase of the flags. */
export interface VerifyBundleCommandOptions {
  /** `--bundle F` */
  readonly bundle: string;
  /** FILE_OR_DIGEST: a path, or `sha256:<64 hex>`. */
  readonly artifact: string;
  readonly certificateIdentity?: string;
  readonly certificateIdentityRegexp?: string;
  readonly certificateOidcIssuer?: string;
  readonly certificateOidcIssuerRegexp?: string;
  /** Fulcio extension requirements, e.g. `--certificate-source-repository-ref`. */
  readonly certificateExtensions?: Readonly<Partial<Record<FulcioExtensionName, string>>>;
  /** `--key K`: a PEM public key file. */
  readonly key?: string;
  readonly trustedRoot?: string;
  readonly staging?: boolean;
  readonly now?: Date;
}

export interface VerifyBundleCommandResult extends SigstoreBundleVerification {
  readonly bundlePath: string;
  readonly artifactArgument: { readonly kind: 'file'; readonly path: string } | { readonly kind: 'digest'; readonly sha256: string };
  readonly trustRoot: { readonly source: string; readonly sha256: string };
}

/**
 * `aiprov verify-bundle --bundle F (--certificate-identity ID --certificate-oidc-issuer URL | --key K)
 * [--trusted-root F] [--staging] FILE_OR_DIGEST`. Reads the files it is given and verifies; it
 * never prints, never exits and never fetches.
 */
export async function verifyBundleCommand(options: VerifyBundleCommandOptions): Promise<VerifyBundleCommandResult> {
  const identity: IdentityPolicy = {
    ...(options.certificateIdentity === undefined ? {} : { certificateIdentity: options.certificateIdentity }),
    ...(options.certificateIdentityRegexp === undefined ? {} : { certificateIdentityRegExp: options.certificateIdentityRegexp }),
    ...(options.certificateOidcIssuer === undefined ? {} : { certificateOidcIssuer: options.certificateOidcIssuer }),
    ...(options.certificateOidcIssuerRegexp === undefined ? {} : { certificateOidcIssuerRegExp: options.certificateOidcIssuerRegexp }),
    ...(options.certificateExtensions === undefined ? {} : { extensions: options.certificateExtensions }),
  };
  if (options.key !== undefined) {
    if (!isEmptyPolicy(identity)) throw new InputError('USAGE', '--key cannot be combined with certificate identity flags');
  } else {
    // Like cosign: a keyless bundle proves nothing until both the identity and the issuer that
    // vouched for it are pinned (anyone can get a certificate for their own identity).
    if (identity.certificateIdentity === undefined && identity.certificateIdentityRegExp === undefined) {
      throw new InputError('USAGE', 'give --certificate-identity (or --certificate-identity-regexp), or --key');
    }
    if (identity.certificateOidcIssuer === undefined && identity.certificateOidcIssuerRegExp === undefined) {
      throw new InputError('USAGE', 'give --certificate-oidc-issuer (or --certificate-oidc-issuer-regexp) with the certificate identity');
    }
  }
  compileIdentityPolicy(identity);

  const artifactArgument = parseArtifactArgument(options.artifact);
  const trustRoot = await loadTrustRoot({ ...(options.trustedRoot === undefined ? {} : { trustedRoot: options.trustedRoot }), ...(options.staging === undefined ? {} : { staging: options.staging }) });
  const bundleBytes = await readBoundedFile(options.bundle, MAX_SIGSTORE_BUNDLE_BYTES, 'BUNDLE_TOO_LARGE', 'read bundle');
  const publicKey = options.key === undefined ? undefined : parsePublicKey((await readBoundedFile(options.key, 1024 * 1024, 'KEY_INVALID', 'read key')).toString('utf8'), options.key);
  const artifact = artifactArgument.kind === 'digest' ? { sha256: artifactArgument.sha256 } : await readArtifact(artifactArgument.path);

  const verification = verifySigstoreBundle({
    bundleJson: bundleBytes,
    artifact,
    trustMaterial: toVerifierTrustMaterial(trustRoot),
    ...(isEmptyPolicy(identity) ? {} : { identity }),
    ...(publicKey === undefined ? {} : { publicKey }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return { ...verification, bundlePath: options.bundle, artifactArgument, trustRoot: { source: trustRoot.source, sha256: trustRoot.sha256 } };
}

function parseArtifactArgument(argument: string): VerifyBundleCommandResult['artifactArgument'] {
  if (!argument.startsWith('sha256:')) return { kind: 'file', path: argument };
  return { kind: 'digest', sha256: parseSha256(argument.slice('sha256:'.length)) };
}

function parseSha256(hex: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new InputError('DIGEST_INVALID', `a SHA-256 digest is 64 hex characters, got ${JSON.stringify(hex.slice(0, 80))}`);
  return hex.toLowerCase();
}

async function readBoundedFile(path: string, limit: number, tooLargeCode: string, action: string): Promise<Buffer> {
  try {
    const { size } = await stat(path);
    if (size > limit) throw new InputError(tooLargeCode, `${path} is ${String(size)} bytes, more than the ${String(limit)} accepted`, { path });
    return await readFile(path);
  } catch (error) {
    throw ioErrorFrom(error, path, action);
  }
}

/** Small files are verified as bytes (any signature algorithm); large ones by streamed SHA-256. */
async function readArtifact(path: string): Promise<ArtifactInput> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new InputError('ARTIFACT_NOT_FILE', `${path} is not a regular file`, { path });
    if (info.size <= MAX_IN_MEMORY_ARTIFACT_BYTES) return await readFile(path);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path, { highWaterMark: 8 * 1024 * 1024 })) hash.update(chunk as Buffer);
    return { sha256: hash.digest('hex') };
  } catch (error) {
    throw ioErrorFrom(error, path, 'read artifact');
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing: bounded, strict, before anything else

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
      checkpoint: z.strictObject({ envelope: z.string().min(1) }),
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

function coerceBundleJson(input: unknown): unknown {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) return input;
  const length = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (length > MAX_SIGSTORE_BUNDLE_BYTES) {
    throw new InputError('BUNDLE_TOO_LARGE', `the bundle is ${String(length)} bytes, more than the ${String(MAX_SIGSTORE_BUNDLE_BYTES)} accepted`);
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
  if (!shape.success) throw new InputError('BUNDLE_INVALID', `not a valid Sigstore bundle: ${printable(describeZodError(shape.error))}`, { cause: shape.error });
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

/**
 * Each piece of evidence counts once. Two copies of one tlog entry (same log, same body; a log
 * index is not covered by an inclusion proof, so it is ignored) or of one RFC 3161 token would
 * otherwise let a single witness meet a threshold of two.
 */
function refuseDuplicateEvidence(bundle: Bundle): void {
  const entries = new Set<string>();
  for (const entry of bundle.verificationMaterial.tlogEntries) {
    const key = `${entry.logId.keyId.toString('base64')}:${entry.canonicalizedBody.toString('base64')}`;
    if (entries.has(key)) throw new VerificationError('TLOG_DUPLICATE_ENTRY', `the bundle repeats a transparency log entry (log ${entry.logId.keyId.toString('base64')}); each entry may count only once`);
    entries.add(key);
  }
  const tokens = new Set<string>();
  for (const timestamp of bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []) {
    const key = Buffer.from(timestamp.signedTimestamp).toString('base64');
    if (tokens.has(key)) throw new VerificationError('TIMESTAMP_DUPLICATE', 'the bundle repeats an RFC 3161 timestamp; each timestamp may count only once');
    tokens.add(key);
  }
}

/**
 * `@sigstore/verify` checks an inclusion proof against the root hash and size of its signed
 * checkpoint and ignores the proof's own `rootHash` and `treeSize`. A proof whose fields disagree
 * with the checkpoint they come with is not what the log served: refuse it rather than report
 * values nobody verified (sigstore-python and sigstore-go refuse it too).
 */
function refuseInconsistentInclusionProofs(bundle: Bundle): void {
  for (const entry of bundle.verificationMaterial.tlogEntries) {
    const proof = entry.inclusionProof;
    if (proof === undefined) continue;
    const envelope = proof.checkpoint?.envelope ?? '';
    // C2SP tlog-checkpoint: origin, tree size (decimal), root hash (base64), then optional lines.
    const [, size, rootHash] = envelope.slice(0, Math.max(envelope.indexOf('\n\n'), 0)).split('\n');
    const sameSize = size !== undefined && /^(0|[1-9][0-9]*)$/.test(size) && size === proof.treeSize;
    if (!sameSize || rootHash === undefined || !equalBytes(Buffer.from(rootHash, 'base64'), proof.rootHash)) {
      throw new VerificationError('TLOG_INVALID', 'a transparency log inclusion proof does not match its checkpoint (root hash or tree size)');
    }
  }
}

const OID_EXTENDED_KEY_USAGE = '2.5.29.37';
const OID_EKU_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

/**
 * The leaf must be a code-signing end-entity certificate (Fulcio issues KeyUsage digitalSignature
 * and ExtendedKeyUsage codeSigning): a CA or a timestamping certificate that chains to a trusted
 * root is not a signing identity.
 */
function checkLeafUsage(leaf: X509Certificate): void {
  if (leaf.isCA) throw new VerificationError('CERTIFICATE_USAGE_INVALID', 'the signing certificate is a CA certificate, not a signing certificate');
  const keyUsage = leaf.extKeyUsage;
  if (keyUsage !== undefined && !keyUsage.digitalSignature) throw new VerificationError('CERTIFICATE_USAGE_INVALID', 'the signing certificate does not allow digital signatures (KeyUsage)');
  const eku = leaf.extension(OID_EXTENDED_KEY_USAGE);
  if (eku === undefined) return;
  let usages: string[];
  try {
    usages = ASN1Obj.parseBuffer(Buffer.from(eku.value)).subs.map((oid) => oid.toOID());
  } catch (error) {
    throw new VerificationError('CERTIFICATE_INVALID', 'the signing certificate\'s ExtendedKeyUsage is not valid DER', { cause: error });
  }
  if (!usages.includes(OID_EKU_CODE_SIGNING)) throw new VerificationError('CERTIFICATE_USAGE_INVALID', 'the signing certificate is not a code-signing certificate (ExtendedKeyUsage)');
}

// ---------------------------------------------------------------------------------------------
// Binding the artifact

const HASH_NAMES: Partial<Record<HashAlgorithm, string>> = {
  [HashAlgorithm.SHA2_256]: 'sha256',
  [HashAlgorithm.SHA2_384]: 'sha384',
  [HashAlgorithm.SHA2_512]: 'sha512',
};

interface ArtifactBinding {
  readonly matched?: NonNullable<SigstoreBundleVerification['artifact']>;
  /** Digest-only verification of a message signature: the signature is checked over this digest. */
  readonly prehashed?: Buffer;
}

/**
 * For a message signature the artifact's digest must equal the signed message digest
 * (conformance `message-digest-mismatch_fail`); `@sigstore/verify` checks the signature over the
 * artifact, but not that the bundle's stated digest is the artifact's. A DSSE bundle is matched
 * against its statement after verification (`matchStatementSubject`).
 */
function bindArtifact(bundle: Bundle, artifact: ArtifactInput | undefined): ArtifactBinding {
  if (bundle.content.$case !== 'messageSignature') return {};
  if (artifact === undefined) throw new InputError('ARTIFACT_REQUIRED', 'a message-signature bundle signs the artifact itself: give the artifact (or its sha256 digest) to verify it');
  const messageDigest = bundle.content.messageSignature.messageDigest;
  const algorithm = HASH_NAMES[messageDigest.algorithm];
  if (algorithm === undefined) throw new InputError('BUNDLE_UNSUPPORTED', `message digest algorithm ${String(messageDigest.algorithm)} is not supported`);

  let actual: Buffer;
  if (Buffer.isBuffer(artifact)) {
    actual = createHash(algorithm).update(artifact).digest();
  } else {
    if (algorithm !== 'sha256') throw new InputError('DIGEST_MODE_UNSUPPORTED', `the bundle signs a ${algorithm} digest; give the artifact file instead of its sha256`);
    actual = Buffer.from(parseSha256(artifact.sha256), 'hex');
  }
  if (!equalBytes(actual, messageDigest.digest)) {
    throw new VerificationError('DIGEST_MISMATCH', `the artifact's ${algorithm} (${actual.toString('hex')}) is not the digest the bundle signs (${messageDigest.digest.toString('hex')})`);
  }
  return {
    matched: { matchedBy: 'message-digest', algorithm, digest: actual.toString('hex') },
    ...(Buffer.isBuffer(artifact) ? {} : { prehashed: actual }),
  };
}

const StatementSubjectsSchema = z.object({
  _type: z.string(),
  subject: z.array(z.object({ name: z.string().optional(), digest: z.record(z.string(), z.string()) })),
});

/**
 * A DSSE bundle signs a statement *about* artifacts; it covers the given artifact only if the
 * artifact is one of the statement's subjects (`@sigstore/verify` does not check this: without
 * it, any validly signed attestation would "verify" any file). A subject matches when it lists
 * a digest we can compute and every such digest it lists equals the artifact's.
 */
function matchStatementSubject(dsse: { payloadType: string; payload: Buffer }, artifact: ArtifactInput | undefined): SigstoreBundleVerification['artifact'] {
  if (artifact === undefined) return undefined;
  if (dsse.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new VerificationError('SUBJECT_MISMATCH', `the DSSE payload is ${JSON.stringify(dsse.payloadType.slice(0, 120))}, not an in-toto statement, so it names no artifact`);
  }
  let json: unknown;
  try {
    json = JSON.parse(dsse.payload.toString('utf8'));
  } catch (error) {
    throw new VerificationError('SUBJECT_MISMATCH', 'the signed in-toto statement is not valid JSON', { cause: error });
  }
  const statement = StatementSubjectsSchema.safeParse(json);
  if (!statement.success || !IN_TOTO_STATEMENT_TYPES.includes(statement.data._type)) {
    throw new VerificationError('SUBJECT_MISMATCH', 'the signed payload is not an in-toto statement with subjects');
  }

  const computed = new Map<string, string>();
  const digestOf = (algorithm: string): string | undefined => {
    if (!Buffer.isBuffer(artifact)) return algorithm === 'sha256' ? parseSha256(artifact.sha256) : undefined;
    if (!['sha256', 'sha384', 'sha512'].includes(algorithm)) return undefined;
    let value = computed.get(algorithm);
    if (value === undefined) {
      value = createHash(algorithm).update(artifact).digest('hex');
      computed.set(algorithm, value);
    }
    return value;
  };

  for (const subject of statement.data.subject) {
    const comparable = Object.entries(subject.digest).flatMap(([algorithm, value]) => {
      const ours = digestOf(algorithm);
      return ours === undefined ? [] : [{ algorithm, ours, theirs: value.toLowerCase() }];
    });
    const first = comparable[0];
    if (first !== undefined && comparable.every(({ ours, theirs }) => equalBytes(Buffer.from(ours, 'utf8'), Buffer.from(theirs, 'utf8')))) {
      return { matchedBy: 'statement-subject', algorithm: first.algorithm, digest: first.ours, ...(subject.name === undefined ? {} : { subjectName: subject.name }) };
    }
  }
  const ours = Buffer.isBuffer(artifact) ? digestOf('sha256') : parseSha256(artifact.sha256);
  throw new VerificationError('SUBJECT_MISMATCH', `the artifact (sha256 ${String(ours)}) is not a subject of the signed statement (${String(statement.data.subject.length)} subject(s))`);
}

// ---------------------------------------------------------------------------------------------
// Keys

function parsePublicKey(input: PublicKeyInput, source: string): KeyObject {
  if (typeof input !== 'string') {
    if (input.type !== 'public') throw new InputError('KEY_INVALID', `${source} is not a public key`);
    return input;
  }
  try {
    return createPublicKey(input);
  } catch (error) {
    throw new InputError('KEY_INVALID', `${source} is not a PEM public key`, { cause: error });
  }
}

/**
 * The hint only selects among keys the verifier supplied; it is never trusted as a key. With a
 * single key, that key is used whatever the hint says (hints are unauthenticated and their
 * format varies between signers).
 */
function keyFinder(single: KeyObject | undefined, byHint: Readonly<Record<string, PublicKeyInput>> | undefined): KeyFinderFunc {
  return (hint) => ({ publicKey: single ?? resolveKey(hint, byHint), validFor: () => true });
}

function resolveKey(hint: string, byHint: Readonly<Record<string, PublicKeyInput>> | undefined): KeyObject {
  const input = byHint !== undefined && Object.hasOwn(byHint, hint) ? byHint[hint] : undefined;
  if (input === undefined) throw new VerificationError('PUBLIC_KEY_NOT_FOUND', `no key was given for the bundle's key hint ${JSON.stringify(hint.slice(0, 120))}`);
  return parsePublicKey(input, `the key for hint ${JSON.stringify(hint.slice(0, 120))}`);
}


// ---------------------------------------------------------------------------------------------
// Timestamps and log entries

/** Timestamps that can count: RFC 3161 tokens, and integrated times backed by a SET. */
function checkTimestampCount(entity: SignedEntity, threshold: number): void {
  const available = entity.timestamps.filter((timestamp) => timestamp.$case === 'timestamp-authority' || timestamp.tlogEntry.inclusionPromise !== undefined).length;
  if (available < threshold) {
    throw new VerificationError('TIMESTAMP_MISSING', `the bundle has ${String(available)} verifiable timestamp(s) (an RFC 3161 timestamp or a tlog integrated time with a signed entry timestamp); ${String(threshold)} required`);
  }
}

function verifiedTimestamps(entity: SignedEntity): VerifiedTimestamp[] {
  return entity.timestamps.flatMap((timestamp): VerifiedTimestamp[] => {
    switch (timestamp.$case) {
      case 'timestamp-authority':
        return [{ kind: 'timestamp-authority', time: timestamp.timestamp.signingTime.toISOString() }];
      case 'transparency-log': {
        // Only a SET authenticates the integrated time (protobuf-specs: the time is otherwise
        // just a claim); @sigstore/verify ignores the others too.
        const entry = timestamp.tlogEntry;
        if (entry.inclusionPromise === undefined) return [];
        return [{ kind: 'transparency-log', time: new Date(Number(entry.integratedTime) * 1000).toISOString(), logId: entry.logId.keyId.toString('base64'), logIndex: entry.logIndex }];
      }
    }
  });
}

/** A witness that dates the signature in the verifier's future is lying or misconfigured. */
function refuseFutureTimestamps(timestamps: readonly VerifiedTimestamp[], now: Date): void {
  for (const timestamp of timestamps) {
    if (Date.parse(timestamp.time) > now.getTime() + MAX_FUTURE_SKEW_MS) {
      throw new VerificationError('TIMESTAMP_INVALID', `a ${timestamp.kind} timestamp (${timestamp.time}) is in the future (now ${now.toISOString()})`);
    }
  }
}

function describeTlogEntry(entry: TransparencyLogEntry): VerifiedTlogEntry {
  return {
    logId: entry.logId.keyId.toString('base64'),
    logIndex: entry.logIndex,
    kind: entry.kindVersion.kind,
    version: entry.kindVersion.version,
    ...(entry.integratedTime === '0' || entry.integratedTime === '' ? {} : { integratedTime: new Date(Number(entry.integratedTime) * 1000).toISOString() }),
    inclusionProof: entry.inclusionProof !== undefined,
    inclusionPromise: entry.inclusionPromise !== undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Errors

/** Re-codes `@sigstore/verify` errors; their messages are replaced, their cause kept. */
function recodeVerifyError(error: unknown): AiprovError {
  if (error instanceof AiprovError) return error;
  if (error instanceof SigstorePolicyError) {
    return new PolicyError('IDENTITY_MISMATCH', 'the signer does not match the identity policy', { cause: error });
  }
  if (error instanceof SigstoreVerificationError) {
    switch (error.code) {
      case 'TLOG_INCLUSION_PROOF_ERROR':
        return new VerificationError('TLOG_INVALID', 'a transparency log inclusion proof does not verify (wrong root hash, path or checkpoint, or a checkpoint not signed by a trusted log)', { cause: error });
      case 'TLOG_INCLUSION_PROMISE_ERROR':
        return new VerificationError('TLOG_INVALID', 'a transparency log signed entry timestamp (inclusion promise) does not verify with a trusted log key valid at its time', { cause: error });
      case 'TLOG_MISSING_INCLUSION_ERROR':
        return new VerificationError('TLOG_INVALID', 'a transparency log entry has neither an inclusion proof nor an inclusion promise', { cause: error });
      case 'TLOG_BODY_ERROR':
        return new VerificationError('TLOG_INVALID', 'a transparency log entry records another signature, digest or key than the bundle\'s', { cause: error });
      case 'TLOG_ERROR':
        return new VerificationError('TLOG_INVALID', 'the transparency log entries do not meet the required count', { cause: error });
      case 'CERTIFICATE_ERROR':
        return new VerificationError('CERTIFICATE_CHAIN_INVALID', 'the signing certificate does not chain to a trusted CA valid at the verified time, or lacks a valid SCT from a trusted CT log', { cause: error });
      case 'PUBLIC_KEY_ERROR':
        return new VerificationError('PUBLIC_KEY_INVALID', 'the public key is unknown or not valid at the verified time', { cause: error });
      case 'SIGNATURE_ERROR':
        return new VerificationError('SIGNATURE_INVALID', 'the signature does not verify: the artifact or payload was altered, or another key signed it', { cause: error });
      case 'TIMESTAMP_ERROR':
        return new VerificationError('TIMESTAMP_INVALID', 'a timestamp does not verify (untrusted or expired timestamp authority, or it covers another signature), or timestamps are repeated', { cause: error });
      case 'NOT_IMPLEMENTED_ERROR':
        return new InputError('BUNDLE_UNSUPPORTED', 'the bundle uses a feature aiprov cannot verify', { cause: error });
    }
  }
  // Anything else (an ASN.1, certificate or timestamp parse error deep in verification) is
  // malformed evidence, never a pass.
  return new VerificationError('VERIFICATION_FAILED', 'the bundle could not be verified: part of its evidence is malformed', { cause: error });
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}


// ---------------------------------------------------------------------------------------------
// Signatures over a digest (digest-only verification of message signatures)

type SignatureContent = SignedEntity['signature'];

/**
 * In digest mode only the artifact's SHA-256 is known, but a message signature is over the
 * artifact, and Node verifies only over whole messages. The signature is then checked against
 * the digest itself: ECDSA (SEC 1 v2 §4.1.4, with the digest as `e`) and RSA PKCS#1 v1.5
 * (RFC 8017 §8.2.2, comparing the whole DigestInfo). Other key types cannot be verified from a
 * digest (Ed25519 signs the message itself) and are refused, never passed.
 */
function prehashedSignature(content: SignatureContent, digest: Buffer): SignatureContent {
  return {
    signature: content.signature,
    compareSignature: (signature) => content.compareSignature(signature),
    compareDigest: (other) => content.compareDigest(other),
    compareSignedDigest: (other) => content.compareSignedDigest(other),
    verifySignature: (key) => verifyPrehashedSignature(key, digest, content.signature),
  };
}
