import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

/** The content hashes of the OMS serialization (`predicate.serialization.hash_type`). */
export const HASH_TYPES = ['sha256', 'blake2b', 'blake3'] as const;
export type HashType = (typeof HASH_TYPES)[number];

/** The incremental hash every hasher in aiprov streams into. */
export interface IncrementalHash {
  update(chunk: Uint8Array): void;
  digest(): Buffer;
}

interface NativeBlake3 {
  update(input: Uint8Array): unknown;
  digestBuffer(): Buffer;
}

// Loaded lazily: the native binding is only needed for blake3 artifacts.
let blake3Constructor: (new () => NativeBlake3) | undefined;
function newBlake3(): NativeBlake3 {
  if (blake3Constructor === undefined) {
    const require = createRequire(import.meta.url);
    blake3Constructor = (require('@napi-rs/blake-hash') as { Blake3Hasher: new () => NativeBlake3 }).Blake3Hasher;
  }
  return new blake3Constructor();
}

/**
 * model_signing uses hashlib.blake2b with its default 64-byte digest, which is OpenSSL's
 * `blake2b512`, and the reference BLAKE3 with its default 32-byte output.
 */
export function createContentHash(hashType: HashType): IncrementalHash {
  switch (hashType) {
    case 'sha256':
    case 'blake2b': {
      const hash = createHash(hashType === 'sha256' ? 'sha256' : 'blake2b512');
      return { update: (chunk) => hash.update(chunk), digest: () => hash.digest() };
    }
    case 'blake3': {
      const hash = newBlake3();
      return { update: (chunk) => hash.update(chunk), digest: () => hash.digestBuffer() };
    }
  }
}
