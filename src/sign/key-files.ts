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
 * cannot be undone.
 */
export async function writeNewKeyFiles(prefix: string, pair: GeneratedKeyPair, overwrite: boolean): Promise<KeyFilePaths> {
  const paths = { privateKeyPath: `${prefix}.key`, publicKeyPath: `${prefix}.pub` };
  if (!overwrite) {
    for (const path of [paths.privateKeyPath, paths.publicKeyPath]) {
      if (await entryExists(path)) throw new InputError('KEY_FILE_EXISTS', `${path} already exists; pass --force to overwrite it`, { path });
    }
  }
  await writeFileAtomic(paths.privateKeyPath, pair.privateKeyPem, 0o600);
  await writeFileAtomic(paths.publicKeyPath, pair.publicKeyPem, 0o644);
  return paths;
}
