/**
 * ECDSA verification over a given SHA-256 digest, as Rekor checks a hashedrekord signature: it
 * only sees the artifact's digest. node:crypto always hashes the message itself, so this uses
 * @noble/curves with prehashing off (as `src/verify/prehashed-signature.ts` does for the library).
 */
import type { KeyObject } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';

const CURVES = { prime256v1: p256, secp384r1: p384, secp521r1: p521 } as const;

/** True when `signature` (DER) is a valid ECDSA signature by `key` over `digest`. High-S accepted. */
export function verifyEcdsaDigest(key: KeyObject, digest: Uint8Array, signature: Uint8Array): boolean {
  const curveName = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curveName === undefined || !(curveName in CURVES)) return false;
  const curve = CURVES[curveName as keyof typeof CURVES];
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
