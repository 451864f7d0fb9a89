import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { link, lstat, open, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ioErrorFrom } from '../errors.js';
import { TEMPORARY_FILE_PREFIX, isTemporaryFileName } from '../hashing/walk.js';

export interface AtomicWriteOptions {
  /** Permission bits from creation on (a private key is never world-readable for an instant). */
  readonly mode?: number;
  /**
   * Never replace an existing entry: the finished file is hard-linked into place, which fails
   * atomically when the name exists, so of two concurrent writers exactly one wins (a check
   * followed by a rename lets both "win", and the second silently replaces the first's key).
   */
  readonly exclusive?: boolean;
  /**
   * False skips flushing the file to disk before the rename: for a cache, whose loss in a crash
   * costs only work and whose torn contents its reader detects and ignores. A flush costs
   * 10–20 ms on this kind of machine, a tenth of an incremental re-sign.
   */
  readonly durable?: boolean;
}

/**
 * Writes a file by writing a temporary sibling and renaming (or linking) it into place, so a
 * reader (or an interrupted run) never sees a half-written signature or key.
 *
 * The sibling is named `.aiprov-tmp-<pid>-<hex>`. It lives in the target's directory (a rename
 * across file systems is not atomic, and the system temporary directory is often another file
 * system), which is usually the artifact's top level: every artifact walk skips a regular file of
 * that name there (walk.ts), so a run killed between open and rename cannot make the next
 * `verify` report an unsigned file or the next `sign` sign the leftover; `sign` removes the
 * leftovers of dead processes (`removeStaleTemporaryFiles`). A signature written deeper inside
 * the artifact (`--signature m/sub/x.sig`) has its leftover hashed: reported, never hidden.
 *
 * Returns 'exists' (and writes nothing) only when `exclusive` and the target exists.
 */
export async function writeFileAtomic(path: string, contents: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<'written' | 'exists'> {
  const temporary = join(dirname(path), `${TEMPORARY_FILE_PREFIX}${String(process.pid)}-${randomBytes(6).toString('hex')}`);
  try {
    const handle = await open(temporary, 'wx', options.mode ?? 0o644);
    try {
      await handle.writeFile(contents);
      if (options.durable !== false) await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.exclusive !== true) {
      await rename(temporary, path);
      return 'written';
    }
    try {
      await link(temporary, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
      throw error;
    }
    return 'written';
  } catch (error) {
    throw ioErrorFrom(error, path, 'write');
  } finally {
    // After a rename there is nothing left here; after a link or a failure there is.
    await rm(temporary, { force: true });
  }
}

/**
 * Removes the temporary files that killed writers left in `directory`. Only those of processes
 * that no longer exist: a concurrent `sign` or `keygen` is still writing its own. (The pid test
 * is local to this machine; on a shared network file system a live writer elsewhere looks dead
 * and may lose its temporary file, and fails with an I/O error rather than writing anything bad.)
 */
export async function removeStaleTemporaryFiles(directory: string): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const { name } = entry;
    // Only regular files: aiprov writes nothing else by this name, and a folder or link of that
    // name is the artifact's content (walk.ts hashes it), not a leftover to delete.
    if (!entry.isFile() || !isTemporaryFileName(name)) continue;
    const pid = Number(name.slice(TEMPORARY_FILE_PREFIX.length).split('-')[0]);
    if (pid === process.pid || isAlive(pid)) continue;
    await rm(join(directory, name), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
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
