/**
 * The keys a verifier gives for key-signed Sigstore bundles. A bundle's key hint only selects
 * among them; it is never trusted as a key.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { KeyFinderFunc } from '@sigstore/verify';
import { InputError, VerificationError } from '../errors.js';
import { refusePrivateKeyPem } from '../format/keys.js';

/** A public key: a KeyObject or its PEM text. */
export type PublicKeyInput = KeyObject | string;


export function parsePublicKey(input: PublicKeyInput, source: string): KeyObject {
  if (typeof input !== 'string') {
    if (input.type !== 'public') throw new InputError('KEY_INVALID', `${source} is not a public key`);
    return input;
  }
  refusePrivateKeyPem(input, source);
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
export function keyFinder(single: KeyObject | undefined, byHint: Readonly<Record<string, PublicKeyInput>> | undefined): KeyFinderFunc {
  return (hint) => ({ publicKey: single ?? resolveKey(hint, byHint), validFor: () => true });
}

export function resolveKey(hint: string, byHint: Readonly<Record<string, PublicKeyInput>> | undefined): KeyObject {
  const input = byHint !== undefined && Object.hasOwn(byHint, hint) ? byHint[hint] : undefined;
  if (input === undefined) throw new VerificationError('PUBLIC_KEY_NOT_FOUND', `no key was given for the bundle's key hint ${JSON.stringify(hint.slice(0, 120))}`);
  return parsePublicKey(input, `the key for hint ${JSON.stringify(hint.slice(0, 120))}`);
}


