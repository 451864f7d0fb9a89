import type { KeyObject } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { InputError } from '../errors.js';

/**
 * ECDSA verification when only the message digest is known (a `sha256:<hex>` artifact given
 * instead of the file, a Rekor hashedrekord entry). node:crypto always hashes the message itself,
 * so this uses the audited @noble/curves implementation with prehashing off. High-S signatures
 * are accepted, as OpenSSL (and so every Sigstore client) accepts them.
 */
const CURVES = { prime256v1: p256, secp384r1: p384, secp521r1: p521 } as const;

export function verifyEcdsaDigest(key: KeyObject, digest: Uint8Array, signature: Uint8Array): boolean {
  const curveName = key.asymmetricKeyDetails?.namedCurve;
  const curve = curveName !== undefined && curveName in CURVES ? CURVES[curveName as keyof typeof CURVES] : undefined;
  if (curve === undefined) {
    throw new InputError('DIGEST_MODE_UNSUPPORTED', `a ${key.asymmetricKeyType ?? 'unknown'} key${curveName === undefined ? '' : ` on ${curveName}`} cannot be verified from a digest alone; give the artifact file`);
  }
  const jwk = key.export({ format: 'jwk' });
  if (jwk.x === undefined || jwk.y === undefined) return false;
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  try {
    return curve.verify(signature, digest, point, { prehash: false, format: 'der', lowS: false });
  } catch {
    // A malformed DER signature or an off-curve key is simply not a valid signature.
    return false;
  }
}
