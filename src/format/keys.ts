import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, timingSafeEqual, type KeyObject } from 'node:crypto';
import { InputError } from '../errors.js';

/** The ECDSA curves OMS signatures use, each with the hash of its security level. */
export const CURVES = {
  'P-256': { nodeName: 'prime256v1', hash: 'sha256', keyDetails: 'PKIX_ECDSA_P256_SHA_256' },
  'P-384': { nodeName: 'secp384r1', hash: 'sha384', keyDetails: 'PKIX_ECDSA_P384_SHA_384' },
  'P-521': { nodeName: 'secp521r1', hash: 'sha512', keyDetails: 'PKIX_ECDSA_P521_SHA_512' },
} as const;
export type CurveName = keyof typeof CURVES;
export const CURVE_NAMES = Object.keys(CURVES) as CurveName[];

const CURVE_BY_NODE_NAME = new Map<string, CurveName>(CURVE_NAMES.map((name) => [CURVES[name].nodeName, name]));

/** The curve of an EC key; anything else (RSA, Ed25519, other curves) is refused. */
export function curveOf(key: KeyObject): CurveName {
  const namedCurve = key.asymmetricKeyDetails?.namedCurve;
  const curve = key.asymmetricKeyType === 'ec' && namedCurve !== undefined ? CURVE_BY_NODE_NAME.get(namedCurve) : undefined;
  if (curve === undefined) {
    const what = key.asymmetricKeyType === 'ec' ? `EC curve ${namedCurve ?? 'unknown'}` : `${key.asymmetricKeyType ?? 'unknown'} key`;
    throw new InputError('UNSUPPORTED_KEY_TYPE', `${what} is not supported; use ECDSA P-256, P-384 or P-521`);
  }
  return curve;
}

/** The digest ECDSA uses with this key (P-256/SHA-256, P-384/SHA-384, P-521/SHA-512). */
export function hashForKey(key: KeyObject): string {
  return CURVES[curveOf(key)].hash;
}

/** The SPKI PEM text of a public key, as model_signing writes and hashes it. */
export function publicKeyPem(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

/**
 * The `publicKey.hint` of a key bundle: lowercase hex SHA-256 of the SPKI PEM text (model_signing
 * v1.1). It names the key; it is never trusted as the key.
 */
export function publicKeyHint(key: KeyObject): string {
  let hint = hints.get(key);
  if (hint === undefined) {
    hint = createHash('sha256').update(publicKeyPem(key)).digest('hex');
    hints.set(key, hint);
  }
  return hint;
}

/**
 * Each key's hint, computed once: every key-signed bundle checked against a policy signer asks
 * for it, and exporting the key cost as much as verifying the signature (half of checking an
 * evidence file of 10,000 lines). KeyObjects are immutable.
 */
const hints = new WeakMap<KeyObject, string>();

/**
 * Refuses a private key given where a public key belongs (`verify --key`, a policy's `key:`).
 * node's `createPublicKey` accepts a private PEM and derives its public half, so the check would
 * pass, but the signing key has then been handed to every verifier, CI log and policy repository
 * that holds the file. The PEM label is checked, so an encrypted private key is refused too.
 */
export function refusePrivateKeyPem(pem: string | Buffer, source: string): void {
  if (/-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/.test(String(pem))) {
    throw new InputError('KEY_IS_PRIVATE', `${source} is a private key; give the public key (the .pub file): a private key must not be shared with verifiers`, { path: source });
  }
}

/** Parses a PEM public key (an SPKI block anywhere in the text, or a certificate's key); never a private key. */
export function parsePublicKey(pem: string | Buffer, source: string): KeyObject {
  refusePrivateKeyPem(pem, source);
  try {
    const key = createPublicKey(pem);
    curveOf(key);
    return key;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError('KEY_INVALID', `${source} is not a PEM public key`, { path: source, cause: error });
  }
}

/**
 * Parses a PEM private key, encrypted or not. The passphrase error is re-coded so that neither
 * the passphrase nor key material ever reaches a message.
 */
export function parsePrivateKey(pem: string | Buffer, source: string, passphrase?: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(passphrase === undefined ? { key: pem, format: 'pem' } : { key: pem, format: 'pem', passphrase });
  } catch (error) {
    const encrypted = String(pem).includes('ENCRYPTED');
    if (encrypted) {
      throw new InputError(passphrase === undefined ? 'KEY_PASSPHRASE_REQUIRED' : 'KEY_PASSPHRASE_WRONG', passphrase === undefined ? `${source} is encrypted; put its passphrase in an environment variable and pass --passphrase-env VAR (or run on a terminal to be asked)` : `cannot decrypt ${source}: wrong passphrase`, { path: source });
    }
    throw new InputError('KEY_INVALID', `${source} is not a PEM private key`, { path: source, cause: error });
  }
  curveOf(key);
  return key;
}

export interface GeneratedKeyPair {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

/** Generates an ECDSA key pair; the private key is PKCS#8, AES-256-CBC encrypted when asked. */
export function generateKeyPair(curve: CurveName, passphrase?: string): GeneratedKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: CURVES[curve].nodeName });
  const privateKeyPem = passphrase === undefined ? privateKey.export({ type: 'pkcs8', format: 'pem' }) : privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase });
  return { privateKeyPem: privateKeyPem.toString(), publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** Whether two keys are the same public key (compared as DER SubjectPublicKeyInfo). */
export function sameKey(a: KeyObject, b: KeyObject): boolean {
  const [left, right] = [a, b].map((key) => (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' }));
  return left !== undefined && right !== undefined && left.byteLength === right.byteLength && timingSafeEqual(left, right);
}

/** Whether a PEM key embedded in a bundle (model_signing v0.3.1) is `key`; unparseable is "no". */
export function sameEmbeddedKey(embeddedPem: Buffer, key: KeyObject): boolean {
  try {
    return sameKey(createPublicKey(embeddedPem), key);
  } catch {
    return false;
  }
}
