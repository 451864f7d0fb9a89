import { randomBytes } from 'node:crypto';
import { lstat, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ioErrorFrom } from '../errors.js';

/**
 * Writes a file by writing a temporary sibling and renaming it over the target, so a reader (or
 * an interrupted run) never sees a half-written signature or key.
 */
export async function writeFileAtomic(path: string, contents: string | Uint8Array, mode = 0o644): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', mode);
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw ioErrorFrom(error, path, 'write');
  }
}

/**
 * Whether anything exists at `path`, before a write that would replace it. `lstat`: a dangling
 * symlink is an existing entry too (the rename would replace it).
 */
export async function entryExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
