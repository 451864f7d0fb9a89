/**
 * Verification of one Sigstore bundle (protobuf-specs `sigstore_bundle.proto`, v0.1 to v0.3),
 * offline, against a trusted root: the signature, the signing certificate's chain and SCTs (or a
 * key the verifier trusts), the transparency log entries and the timestamps, then what
 * `@sigstore/verify` leaves to its caller: that the artifact is the one signed (the message
 * digest, or a subject of the in-toto statement) and that the signer is the expected identity.
 *
 * Order of checks (each one only trusts what the previous ones established):
 *   1. bound and parse the bytes; validate the bundle's shape and media type;
 *   2. refuse duplicated tlog entries and inclusion proofs that disagree with their own
 *      checkpoint; a repeated RFC 3161 token is kept once (no evidence counts twice toward a
 *      threshold, and timestamps count once per authority), and one that does not verify is set
 *      aside when the verified time sources still meet the threshold;
 *   3. pick the verifying key (certificate, or a key the verifier pinned) and bind the artifact
 *      to the signed message digest, before any cryptography;
 *   4. `@sigstore/verify`: timestamps, certificate chain at those times, SCTs, tlog inclusion and
 *      body, signature (a Rekor v1 checkpoint's signer name aside: checkpoint-signer-name.ts);
 *   5. only then read the signed statement and the certificate's identity claims.
 * Every `@sigstore/*` error is re-coded into src/errors.ts with a stable code; upstream messages
 * are never shown (they may quote untrusted bytes or, from the signing side, a token).
 */
import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { toSignedEntity, Verifier, type SignedEntity, type TrustMaterial } from '@sigstore/verify';
import { InputError, PolicyError, VerificationError } from '../errors.js';
import { certificatePem } from '../format/certificates.js';
import { preAuthEncoding } from '../format/dsse.js';
import { hashForKey, sameKey } from '../format/keys.js';
import { coerceBundleJson, parseSigstoreBundle } from '../format/sigstore-bundle.js';
import { bindArtifact, matchStatementSubject, type ArtifactInput, type ArtifactMatch } from './artifact-binding.js';
import { keyFinder, parsePublicKey, resolveKey, type PublicKeyInput } from './bundle-keys.js';
import { withTrustedLogSignerNames } from './checkpoint-signer-name.js';
import { checkTimestampCount, describeTlogEntry, refuseDuplicateEvidence, refuseFutureTimestamps, refuseInconsistentInclusionProofs, verifiedTimestamps, withoutFailingTimestamps, withoutRepeatedTimestamps, type EvidenceThresholds, type VerifiedTimestamp, type VerifiedTlogEntry } from './evidence.js';
import { checkIdentityPolicy, compileIdentityPolicy, isEmptyPolicy, readCertificateIdentity, type CertificateIdentity, type IdentityPolicy } from './identity.js';
import { checkSigningLeafUsage } from './leaf-usage.js';
import { prehashedSignature } from './prehashed-signature.js';
import { recodeVerifyError } from './recode-error.js';

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

export interface SigstoreBundleVerification {
  readonly mediaType: string;
  readonly content: 'message-signature' | 'dsse';
  readonly signer: BundleSigner;
  readonly timestamps: readonly VerifiedTimestamp[];
  readonly tlogEntries: readonly VerifiedTlogEntry[];
  /** How the artifact was bound to the signature, when one was given. */
  readonly artifact?: ArtifactMatch;
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
    entity = withoutRepeatedTimestamps(toSignedEntity(bundle, Buffer.isBuffer(options.artifact) ? options.artifact : undefined));
  } catch (error) {
    throw new InputError('BUNDLE_INVALID', 'the bundle holds a certificate or timestamp that cannot be parsed', { cause: error });
  }
  // A Rekor v1 checkpoint signed under a host name missing from the log's baseUrl (a private
  // deployment's pod name) is checked as sigstore-go checks it: by key hint and signature.
  entity = withTrustedLogSignerNames(entity, options.trustMaterial.tlogs);

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
    // Fulcio issues end-entity code-signing certificates; a CA that chains to the root is not a signer.
    checkSigningLeafUsage(leaf.root.toDER(), { allowCertificateAuthority: false });
  }

  if (keyMode && bundle.content.$case === 'dsseEnvelope') entity = { ...entity, signature: curveHashedDsseSignature(entity.signature, preAuthEncoding(bundle.content.dsseEnvelope.payloadType, Buffer.from(bundle.content.dsseEnvelope.payload))) };

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
  // A token that does not verify is set aside when the verified time sources still meet the
  // threshold (sigstore-go and sigstore-python count them so); otherwise it fails below as before.
  entity = withoutFailingTimestamps(entity, thresholds.timestamp, trustMaterial.timestampAuthorities, () => trustedKey ?? (leaf === undefined ? resolveKey(keyHint, options.publicKeys) : createPublicKey({ key: leaf.publicKey, format: 'der', type: 'spki' })));
  checkTimestampCount(entity, thresholds.timestamp);
  try {
    new Verifier(trustMaterial, { tlogThreshold: thresholds.tlog, ctlogThreshold: thresholds.ctlog, timestampThreshold: thresholds.timestamp }).verify(entity);
  } catch (error) {
    // The first check to fail may be a timestamp's, but the cause worth naming is a certificate
    // from another Sigstore instance (staging, a private one) than the trust root given.
    if (!keyMode && leaf !== undefined && !issuedByTrustedCa(leaf, trustMaterial)) {
      throw new VerificationError('CERTIFICATE_CHAIN_INVALID', 'the signing certificate was not issued by a Fulcio CA of this trust root: it is from another Sigstore instance; verify with that instance\'s trust root (--staging, or --trusted-root FILE)', { cause: error });
    }
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

/**
 * `@sigstore/verify` checks a DSSE signature with OpenSSL's default digest, SHA-256, whatever the
 * key. A key-signed bundle from model_signing or aiprov signs with the curve's own hash (ECDSA
 * P-384 with SHA-384, P-521 with SHA-512: FIPS 186-5 §6.4, OMS v1.0 keys): that is tried too,
 * over the same pre-authentication encoding and with the same key, so nothing unsigned can pass.
 */
function curveHashedDsseSignature(content: SignedEntity['signature'], pae: Buffer): SignedEntity['signature'] {
  const curveHashVerifies = (key: KeyObject): boolean => {
    if (key.asymmetricKeyType !== 'ec') return false;
    try {
      return cryptoVerify(hashForKey(key), pae, { key, dsaEncoding: 'der' }, content.signature);
    } catch {
      return false;
    }
  };
  return {
    signature: content.signature,
    compareSignature: (signature) => content.compareSignature(signature),
    compareDigest: (other) => content.compareDigest(other),
    compareSignedDigest: (other) => content.compareSignedDigest(other),
    verifySignature: (key) => content.verifySignature(key) || curveHashVerifies(key),
  };
}

type SigstoreCertificate = NonNullable<Extract<SignedEntity['key'], { $case: 'certificate' }>['certificate']>;

/** Whether some certificate of the trust root's Fulcio CAs signed this leaf (validity aside). */
function issuedByTrustedCa(leaf: SigstoreCertificate, trustMaterial: TrustMaterial): boolean {
  return trustMaterial.certificateAuthorities.some((authority) => authority.certChain.some((ca) => ca.subject.equals(leaf.issuer) && safeVerify(leaf, ca)));
}

function safeVerify(leaf: SigstoreCertificate, issuer: SigstoreCertificate): boolean {
  try {
    return leaf.verify(issuer);
  } catch {
    return false;
  }
}
