/**
 * Where the digest caches of `sign --incremental` live, and the checks before one is believed.
 * A cache entry stands in for reading a file, so whoever can write a cache file decides what a
 * signature says: only a regular file owned by this user in a directory owned by this user,
 * neither writable by group or others, is read. Everything else is reported as a problem and
 * treated as an empty cache (and replaced, when the directory itself is sound). The directory
 * is bounded (the most recently used files, by count and bytes) and cleans itself.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rm, utimes, type FileHandle } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { removeStaleTemporaryFiles, writeFileAtomic } from '../../format/atomic-write.js';
import { scopeHeader, type CacheScope } from './format.js';

/** A cache file larger than this is not read (about 700,000 files' entries), nor written. */
export const MAX_CACHE_FILE_BYTES = 128 * 1024 * 1024;
/** The directory keeps at most this many cache files (artifact × serialization)… */
export const MAX_CACHE_FILES = 64;
/** …and at most this many bytes of them: the least recently used go first. */
export const MAX_CACHE_DIRECTORY_BYTES = 512 * 1024 * 1024;

const CACHE_FILE_NAME = /^[0-9a-f]{64}$/;

/**
 * `$XDG_CACHE_HOME/aiprov/digests`, else `$HOME/.cache/aiprov/digests`; undefined when neither
 * is an absolute path (the XDG Base Directory specification ignores a relative one).
 */
export function digestCacheDirectory(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'aiprov', 'digests');
  const home = env['HOME'];
  return home !== undefined && isAbsolute(home) ? join(home, '.cache', 'aiprov', 'digests') : undefined;
}

/** One file per artifact and serialization, named by the SHA-256 of its header line. */
export function cacheFilePath(directory: string, scope: CacheScope): string {
  return join(directory, createHash('sha256').update(scopeHeader(scope)).digest('hex'));
}

/** The user file ownership is checked against; undefined where there is none (Windows). */
function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

interface Owned {
  readonly uid: number;
  readonly mode: number;
}

/** Why this user should not trust an entry with these owner and mode bits, if they should not. */
function untrustedBecause(stats: Owned, uid: number): string | undefined {
  if (stats.uid !== uid) return `owned by user ${String(stats.uid)}, not by you (${String(uid)})`;
  if ((stats.mode & 0o022) !== 0) return `writable by ${(stats.mode & 0o002) !== 0 ? 'others' : 'group'} (mode 0${(stats.mode & 0o777).toString(8)})`;
  return undefined;
}

/** Creates the directory (0700) if needed; returns why it cannot be used, if it cannot. */
export async function prepareCacheDirectory(directory: string): Promise<string | undefined> {
  const uid = currentUid();
  if (uid === undefined) return 'file owners cannot be checked on this platform';
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const stats = await lstat(directory);
    if (!stats.isDirectory()) return stats.isSymbolicLink() ? 'it is a symbolic link' : 'it is not a directory';
    return untrustedBecause(stats, uid);
  } catch (error) {
    return describeFsError(error);
  }
}

export type ReadCache = { readonly bytes: Buffer } | { readonly problem: string } | undefined;

/** A cache file's bytes; undefined when there is none yet; a problem when it may not be believed. */
export async function readCacheFile(path: string): Promise<ReadCache> {
  const uid = currentUid();
  if (uid === undefined) return { problem: 'file owners cannot be checked on this platform' };
  let handle: FileHandle;
  try {
    // O_NOFOLLOW: a link would make another file the cache; O_NONBLOCK: a FIFO cannot stall.
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    return { problem: code === 'ELOOP' ? 'it is a symbolic link' : describeFsError(error) };
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return { problem: 'not a regular file' };
    const untrusted = untrustedBecause(stats, uid);
    if (untrusted !== undefined) return { problem: untrusted };
    if (stats.size > MAX_CACHE_FILE_BYTES) return { problem: `larger than ${String(MAX_CACHE_FILE_BYTES)} bytes` };
    // One byte more than the limit: a file that grows after the fstat is caught.
    const buffer = Buffer.allocUnsafe(stats.size + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > stats.size) return { problem: 'it changed while it was read' };
    return { bytes: buffer.subarray(0, filled) };
  } catch (error) {
    return { problem: describeFsError(error) };
  } finally {
    await handle.close();
  }
}

/**
 * Replaces a cache file atomically (temporary file + rename, mode 0600): a concurrent signer
 * reads the old file or the new one, never a mix, and the last writer wins. Not flushed to disk
 * first: a crash may lose the cache, and a file torn by one fails its integrity line and is
 * ignored. Returns why it was not written, if it was not.
 */
export async function writeCacheFile(path: string, directory: string, bytes: Buffer): Promise<string | undefined> {
  if (bytes.length > MAX_CACHE_FILE_BYTES) {
    // An outdated file would only cost a read next time: remove it.
    await rm(path, { force: true }).catch(() => undefined);
    return `it would be larger than ${String(MAX_CACHE_FILE_BYTES)} bytes`;
  }
  try {
    await removeStaleTemporaryFiles(directory);
    await writeFileAtomic(path, bytes, { mode: 0o600, durable: false });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Marks an unchanged cache file as just used (eviction goes by modification time). */
export async function touchCacheFile(path: string): Promise<void> {
  const now = new Date();
  await utimes(path, now, now).catch(() => undefined);
}

/**
 * Keeps the most recently used cache files, at most MAX_CACHE_FILES and MAX_CACHE_DIRECTORY_BYTES
 * of them, and always `keep` (the one just used); removes the rest. Another signer evicting at
 * the same time removes the same files: `force`, so neither fails.
 */
export async function evictCacheFiles(directory: string, keep: string): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(directory)).filter((name) => CACHE_FILE_NAME.test(name));
  } catch {
    return;
  }
  if (names.length <= 1) return;
  const files: { path: string; size: number; mtimeMs: number }[] = [];
  for (const name of names) {
    const path = join(directory, name);
    const stats = await lstat(path).catch(() => undefined);
    if (stats !== undefined) files.push({ path, size: stats.size, mtimeMs: stats.mtimeMs });
  }
  files.sort((a, b) => (a.path === keep ? -1 : b.path === keep ? 1 : b.mtimeMs - a.mtimeMs));
  let count = 0;
  let bytes = 0;
  for (const file of files) {
    count++;
    bytes += file.size;
    if (file.path !== keep && (count > MAX_CACHE_FILES || bytes > MAX_CACHE_DIRECTORY_BYTES)) await rm(file.path, { force: true }).catch(() => undefined);
  }
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'a path component is not a directory';
  // mkdir -p over an existing file.
  if (code === 'EEXIST') return 'it is not a directory';
  return code ?? (error instanceof Error ? error.message : String(error));
}
