import { constants, publicDecrypt, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { SignedEntity } from '@sigstore/verify';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { InputError } from '../errors.js';

/**
 * Signature checks when only the message's SHA-256 digest is known: a `sha256:<hex>` artifact
 * given instead of the file (sigstore-conformance DIGEST mode), or a Rekor hashedrekord entry.
 * node:crypto always hashes the message itself, so ECDSA uses the audited @noble/curves with
 * prehashing off, and RSA PKCS#1 v1.5 uses the RSAVP1 primitive and compares the whole DigestInfo.
 * Other key types sign the message itself (Ed25519) and cannot be checked from a digest: refused,
 * never passed.
 */
export function verifyPrehashedSignature(key: KeyObject, digest: Uint8Array, signature: Uint8Array): boolean {
  switch (key.asymmetricKeyType) {
    case 'ec':
      return verifyEcdsaDigest(key, digest, signature);
    case 'rsa':
      return verifyRsaPkcs1Digest(key, digest, signature);
    default:
      throw new InputError('DIGEST_MODE_UNSUPPORTED', `a ${key.asymmetricKeyType ?? 'unknown'} signature cannot be verified from a digest alone; give the artifact file`);
  }
}

const CURVES = { prime256v1: p256, secp384r1: p384, secp521r1: p521 } as const;

/** ECDSA over a given digest. High-S signatures are accepted, as OpenSSL accepts them. */
export function verifyEcdsaDigest(key: KeyObject, digest: Uint8Array, signature: Uint8Array): boolean {
  const curveName = key.asymmetricKeyDetails?.namedCurve;
  const curve = curveName !== undefined && curveName in CURVES ? CURVES[curveName as keyof typeof CURVES] : undefined;
  if (curve === undefined) {
    throw new InputError('DIGEST_MODE_UNSUPPORTED', `EC curve ${curveName ?? 'unknown'} cannot be verified from a digest alone; give the artifact file`);
  }
  const jwk = key.export({ format: 'jwk' });
  if (jwk.x === undefined || jwk.y === undefined) return false;
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  try {
    return curve.verify(signature, digest, point, { prehash: false, format: 'der', lowS: false });
  } catch {
    // A malformed DER signature is simply not a valid signature.
    return false;
  }
}

/** DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1). */
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

function verifyRsaPkcs1Digest(key: KeyObject, digest: Uint8Array, signature: Uint8Array): boolean {
  let encoded: Buffer;
  try {
    // Public "decryption" with PKCS#1 v1.5 type 1 padding is RSAVP1 plus the padding check; the
    // DigestInfo it yields must be exactly the expected one (RFC 8017 §8.2.2).
    encoded = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
  const expected = Buffer.concat([SHA256_DIGEST_INFO_PREFIX, digest]);
  return encoded.length === expected.length && timingSafeEqual(encoded, expected);
}


type SignatureContent = SignedEntity['signature'];

/**
 * In digest mode only the artifact's SHA-256 is known, but a message signature is over the
 * artifact, and Node verifies only over whole messages. The signature is then checked against
 * the digest itself: ECDSA (SEC 1 v2 §4.1.4, with the digest as `e`) and RSA PKCS#1 v1.5
 * (RFC 8017 §8.2.2, comparing the whole DigestInfo). Other key types cannot be verified from a
 * digest (Ed25519 signs the message itself) and are refused, never passed.
 */
export function prehashedSignature(content: SignatureContent, digest: Buffer): SignatureContent {
  return {
    signature: content.signature,
    compareSignature: (signature) => content.compareSignature(signature),
    compareDigest: (other) => content.compareDigest(other),
    compareSignedDigest: (other) => content.compareSignedDigest(other),
    verifySignature: (key) => verifyPrehashedSignature(key, digest, content.signature),
  };
}

