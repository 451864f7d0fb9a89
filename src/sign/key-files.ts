import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { InputError } from '../errors.js';
import { entryExists, writeFileAtomic } from '../format/atomic-write.js';
import type { GeneratedKeyPair } from '../format/keys.js';

export interface KeyFilePaths {
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
}

/**
 * Writes `<prefix>.key` (mode 0600 from creation, never world-readable for an instant) and
 * `<prefix>.pub`. Existing files are kept unless `overwrite`: losing a signing key by accident
 * cannot be undone. Without `overwrite` each file is created exclusively (`writeFileAtomic`'s
 * `exclusive`): of two concurrent `keygen` runs to one prefix exactly one succeeds; the early
 * check only gives a clear message before a key is generated in vain.
 */
export async function writeNewKeyFiles(prefix: string, pair: GeneratedKeyPair, overwrite: boolean): Promise<KeyFilePaths> {
  // `dir/` would write the hidden files `dir/.key` and `dir/.pub`; `dir/.` likewise.
  const name = basename(prefix);
  if (prefix.endsWith('/') || name === '' || name === '.' || name === '..') {
    throw new InputError('KEY_PREFIX_INVALID', `output prefix ${JSON.stringify(prefix)} names a directory; give a file name prefix such as ${JSON.stringify(`${prefix.replace(/\/*$/, '')}/signing`)}`);
  }
  const paths = { privateKeyPath: `${prefix}.key`, publicKeyPath: `${prefix}.pub` };
  const exists = (path: string): InputError => new InputError('KEY_FILE_EXISTS', `${path} already exists; pass --force to overwrite it`, { path });
  if (overwrite) {
    await writeFileAtomic(paths.privateKeyPath, pair.privateKeyPem, { mode: 0o600 });
    await writeFileAtomic(paths.publicKeyPath, pair.publicKeyPem);
    return paths;
  }
  for (const path of [paths.privateKeyPath, paths.publicKeyPath]) {
    if (await entryExists(path)) throw exists(path);
  }
  if ((await writeFileAtomic(paths.privateKeyPath, pair.privateKeyPem, { mode: 0o600, exclusive: true })) === 'exists') throw exists(paths.privateKeyPath);
  if ((await writeFileAtomic(paths.publicKeyPath, pair.publicKeyPem, { exclusive: true })) === 'exists') {
    // Another writer took the public key's name: keep the pair whole, take back our private key.
    await rm(paths.privateKeyPath, { force: true });
    throw exists(paths.publicKeyPath);
  }
  return paths;
}
