import { createHash, hash as hashOnce } from 'node:crypto';
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

interface Blake3Binding {
  readonly Blake3Hasher: new () => NativeBlake3;
  readonly blake3: (input: Uint8Array) => Buffer;
}

// Loaded lazily: the native binding is only needed for blake3 artifacts.
let blake3Binding: Blake3Binding | undefined;
function blake3(): Blake3Binding {
  if (blake3Binding === undefined) {
    const require = createRequire(import.meta.url);
    blake3Binding = require('@napi-rs/blake-hash') as Blake3Binding;
  }
  return blake3Binding;
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
      const hash = new (blake3().Blake3Hasher)();
      return { update: (chunk) => hash.update(chunk), digest: () => hash.digestBuffer() };
    }
  }
}

/**
 * The digest of bytes held whole (a small file read in one call), without a hash object: a
 * dataset of a million small files would otherwise leave a million of them, each holding native
 * memory (a BLAKE3 hasher keeps ~2 KiB) until V8 collects it, which a quick scavenge does not.
 */
export function digestOnce(hashType: HashType, data: Uint8Array): Buffer {
  switch (hashType) {
    case 'sha256':
    case 'blake2b':
      return hashOnce(hashType === 'sha256' ? 'sha256' : 'blake2b512', data, 'buffer');
    case 'blake3':
      return blake3().blake3(data);
  }
}
