import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyEcdsaDigest } from '../../local-stack/ecdsa-digest.js';

describe('the local Rekor checks ECDSA signatures over a digest', () => {
  const message = Buffer.from('a hashedrekord artifact');
  const digest = createHash('sha256').update(message).digest();

  it.each(['prime256v1', 'secp384r1'])('accepts a signature over the digest (%s) and rejects other digests', (namedCurve) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
    // node:crypto hashes the message itself: a SHA-256 signature of the message is one over its digest.
    const signature = sign('sha256', message, privateKey);
    expect(verifyEcdsaDigest(publicKey, digest, signature)).toBe(true);
    const otherDigest = createHash('sha256').update('something else').digest();
    expect(verifyEcdsaDigest(publicKey, otherDigest, signature)).toBe(false);
  });

  it('rejects a signature by another key, a malformed signature and a non-EC key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    expect(verifyEcdsaDigest(publicKey, digest, sign('sha256', message, other.privateKey))).toBe(false);
    expect(verifyEcdsaDigest(publicKey, digest, Buffer.from('not DER'))).toBe(false);
    expect(verifyEcdsaDigest(publicKey, digest, sign('sha256', message, privateKey).subarray(1))).toBe(false);
    const ed25519 = generateKeyPairSync('ed25519');
    expect(verifyEcdsaDigest(ed25519.publicKey, digest, sign(null, digest, ed25519.privateKey))).toBe(false);
  });
});
