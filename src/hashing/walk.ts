import { lstatSync, type Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { basename, sep } from 'node:path';
import { InputError, ioErrorFrom } from '../errors.js';
import { hubLinkOutsideBlobs, hubSnapshotBlobs } from './hub-cache.js';

/**
 * Paths model_signing always leaves out of a directory's manifest (top level only): version
 * control metadata is not part of a model.
 */
export const DEFAULT_IGNORED_PATHS: readonly string[] = ['.git', '.gitattributes', '.github', '.gitignore'];

/**
 * The names of aiprov's temporary files (`format/atomic-write.ts`): `.aiprov-tmp-<pid>-<12 hex>`.
 * A signature is written beside the artifact or at its top level; a run killed before its rename
 * leaves one behind. The walk skips such a name only where aiprov writes it by default: a regular
 * file at the artifact's top level (`walkDirectory`), so the leftover is neither signed
 * by the next `sign` nor reported as an unsigned file by `verify`. A folder of that name, a link,
 * or such a name at depth is content like any other: skipping it would let
 * `m/.aiprov-tmp-1-0123456789ab/evil.py` ride along unsigned in a verified model. The skip is
 * never recorded in `ignore_paths`.
 */
export const TEMPORARY_FILE_PREFIX = '.aiprov-tmp-';
const TEMPORARY_FILE_NAME = /^\.aiprov-tmp-[0-9]+-[0-9a-f]{12}$/;

export function isTemporaryFileName(name: string): boolean {
  return TEMPORARY_FILE_NAME.test(name);
}

/** Longest stretch of blocking lstat calls before the event loop gets a turn. */
const BLOCKING_SLICE_MS = 8;

/** The resource name of a single-file artifact (OMS: the file is the whole model). */
export const SINGLE_FILE_RESOURCE_NAME = '.';

export interface WalkOptions {
  /** POSIX paths relative to the artifact root; each matches whole path components. */
  readonly ignorePaths: readonly string[];
  /** Hash a symlink's target under the link's own name instead of refusing it. */
  readonly allowSymlinks: boolean;
  /**
   * Also follow links whose target is outside the artifact (a Hugging Face cache snapshot links
   * every file into `../../blobs`). Off by default: a link to `/etc/shadow` must not be signed
   * or verified as part of a model by accident.
   */
  readonly allowExternalSymlinks?: boolean;
}

export interface ArtifactFile {
  /** POSIX path relative to the artifact root, or "." for a single-file artifact. */
  readonly name: string;
  /**
   * Where the bytes are read from (a symlink's resolved target), as bytes for a directory's
   * entries: a file name need not be UTF-8 (see `fileNameOf`), and a string would name another file.
   */
  readonly sourcePath: string | Uint8Array;
  readonly size: number;
  /** Modification time at walk time, to detect a file that changes while it is hashed. */
  readonly mtimeMs: number;
  /**
   * Device and inode of what the walk listed (a followed link's target), so the hasher can tell
   * the file it opened is that file and not one swapped in since (see `worker-hasher.ts`).
   */
  readonly dev: number;
  readonly ino: number;
}

export interface ArtifactListing {
  readonly kind: 'file' | 'directory';
  /** The artifact's name: the folder or file name, used as the statement subject name. */
  readonly name: string;
  /** Files in OMS resource order (see `compareResourcePaths`). */
  readonly files: readonly ArtifactFile[];
}

/**
 * Orders paths the way model_signing orders its manifest items (PurePosixPath order): by path
 * components, each compared by Unicode code point, so "a/b" sorts before "a-b/c". UTF-8 byte
 * order is code point order; JavaScript's `<` compares UTF-16 units and differs above U+D7FF.
 */
export function compareResourcePaths(left: string, right: string): number {
  const leftParts = left.split('/');
  const rightParts = right.split('/');
  const common = Math.min(leftParts.length, rightParts.length);
  for (let index = 0; index < common; index++) {
    const a = leftParts[index] ?? '';
    const b = rightParts[index] ?? '';
    if (a !== b) return compareCodePoints(a, b);
  }
  return leftParts.length - rightParts.length;
}

function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const x = a.charCodeAt(index);
    const y = b.charCodeAt(index);
    if (x === y) continue;
    // Only surrogate halves (astral characters) compare differently as code points.
    if (x < 0xd800 && y < 0xd800) return x - y;
    return (a.codePointAt(index) ?? 0) - (b.codePointAt(index) ?? 0);
  }
  return a.length - b.length;
}

/** True when `path` is `ignored` or lies below it (whole components, no globs). */
export function isIgnoredPath(path: string, ignorePaths: readonly string[]): boolean {
  return ignorePaths.some((ignored) => path === ignored || path.startsWith(`${ignored}/`));
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The resource name of a directory entry. On POSIX a file name is bytes, not necessarily UTF-8
 * (a Latin-1 archive, a name written by a broken tool). model_signing names resources with
 * Python's `str` paths, which decode such bytes with `surrogateescape`: each byte that is not
 * part of valid UTF-8 becomes the lone surrogate U+DC80–U+DCFF (byte 0xff is "\udcff"), and JSON
 * writes it as that escape. aiprov names entries the same way, so a manifest names such a file
 * as model_signing does, and reads it back through the raw bytes it kept (`sourcePath`). Decoding
 * with replacement (U+FFFD), as node does by default, named another file: FILE_NOT_FOUND.
 */
export function fileNameOf(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (!text.includes('\ufffd') || Buffer.from(text, 'utf8').equals(bytes)) return text;
  let name = '';
  for (let index = 0; index < bytes.length; ) {
    const lead = bytes[index] ?? 0;
    const length = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
    let decoded: string | undefined;
    if (length > 0) {
      try {
        decoded = UTF8.decode(bytes.subarray(index, index + length));
      } catch {
        decoded = undefined;
      }
    }
    if (decoded !== undefined && length > 0 && index + length <= bytes.length) {
      name += decoded;
      index += length;
    } else {
      name += String.fromCharCode(0xdc00 + lead);
      index += 1;
    }
  }
  return name;
}

/** Whether `candidate` is `root` or lies below it (byte paths, as returned by realpath). */
function isInside(root: Buffer, candidate: Buffer): boolean {
  return candidate.equals(root) || (candidate.length > root.length && candidate.subarray(0, root.length).equals(root) && candidate[root.length] === SEPARATOR_BYTE);
}

const SEPARATOR_BYTE = sep.charCodeAt(0);

function childPath(directory: Buffer, name: Buffer): Buffer {
  return Buffer.concat([directory, Buffer.from(sep), name]);
}

function describeSpecialFile(stats: Stats): string | undefined {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isBlockDevice() || stats.isCharacterDevice()) return 'a device';
  return undefined;
}

export interface StreamedListing {
  readonly kind: 'file' | 'directory';
  /** The artifact's name: the folder or file name, used as the statement subject name. */
  readonly name: string;
  /**
   * Files in OMS resource order, produced as they are found: a directory's entries are sorted,
   * then walked depth first, which is `compareResourcePaths` order (components compared one by
   * one). Memory is one directory's entries per level, not the whole listing: an artifact of a
   * million files is never held at once.
   */
  readonly files: AsyncIterable<ArtifactFile>;
}

/**
 * Lists the files of an artifact deterministically. Every file is included (dotfiles too) except
 * ignored paths; anything that is not a regular file or directory is refused, because its
 * content is not a stable thing to sign. The artifact itself is checked at once; its files are
 * listed as they are consumed (see `StreamedListing`).
 */
export async function streamArtifact(artifactPath: string, options: WalkOptions): Promise<StreamedListing> {
  let rootStats: Stats;
  let rootReal: string;
  try {
    // The artifact path itself is followed: the user named it (a cache snapshot file is a link).
    rootStats = await stat(artifactPath);
    rootReal = await realpath(artifactPath);
  } catch (error) {
    throw ioErrorFrom(error, artifactPath, 'read artifact');
  }
  const name = basename(rootReal);
  if (rootStats.isFile()) {
    const file: ArtifactFile = { name: SINGLE_FILE_RESOURCE_NAME, sourcePath: rootReal, size: rootStats.size, mtimeMs: rootStats.mtimeMs, dev: rootStats.dev, ino: rootStats.ino };
    return { kind: 'file', name: basename(artifactPath) || name, files: singleFile(file) };
  }
  if (!rootStats.isDirectory()) {
    throw new InputError('UNSUPPORTED_FILE_TYPE', `${artifactPath} is ${describeSpecialFile(rootStats) ?? 'not a regular file'}; only files and directories can be signed`, { path: artifactPath });
  }
  // Directory paths are bytes from here on (see `fileNameOf`).
  let rootBytes: Buffer;
  try {
    rootBytes = await realpath(artifactPath, { encoding: 'buffer' });
  } catch (error) {
    throw ioErrorFrom(error, artifactPath, 'read artifact');
  }
  return { kind: 'directory', name, files: walkDirectory(rootBytes, rootReal, options) };
}

// eslint-disable-next-line @typescript-eslint/require-await -- an async generator: the listing's one shape
async function* singleFile(file: ArtifactFile): AsyncGenerator<ArtifactFile> {
  yield file;
}

/** `streamArtifact` with every file collected, for callers that need the whole listing. */
export async function walkArtifact(artifactPath: string, options: WalkOptions): Promise<ArtifactListing> {
  const listing = await streamArtifact(artifactPath, options);
  const files: ArtifactFile[] = [];
  for await (const file of listing.files) files.push(file);
  return { kind: listing.kind, name: listing.name, files };
}

/** A directory being listed: its entries in name order, and how far the walk has come. */
interface DirectoryFrame {
  /** As node:fs takes it: a string while every name on the way is UTF-8, bytes otherwise. */
  readonly path: string | Buffer;
  readonly relativePath: string;
  /** Key of its real path in `visitedDirectories`. */
  readonly realKey: string;
  readonly entries: readonly { readonly bytes: Buffer; readonly name: string }[];
  next: number;
}

/** A name decoded with `fileNameOf` holds U+DC80–U+DCFF only for bytes that are not UTF-8. */
const ESCAPED_BYTE = /[\udc80-\udcff]/;

/**
 * The walk proper: depth first, each directory's entries sorted, one directory per level held
 * at once. Paths are strings where they can be (a Buffer per file costs a typed array and a
 * slice of a shared 8 KiB slab, which a worker message copies whole), bytes where a name is not
 * UTF-8.
 */
async function* walkDirectory(rootBytes: Buffer, rootReal: string, options: WalkOptions): AsyncGenerator<ArtifactFile> {
  const hubBlobs = hubSnapshotBlobs(rootReal);
  const hubBlobsBytes = hubBlobs === undefined ? undefined : Buffer.from(hubBlobs, 'utf8');
  // Real paths of directories entered, so a link cycle (a -> ..) cannot recurse forever.
  const visitedDirectories = new Set<string>();
  // lstat is called directly, not through libuv's thread pool: each hand-off there costs
  // 50–200 µs on this kind of machine, ten times the call (2,000 files took 470 ms to list instead
  // of 25). The event loop still gets a turn every few milliseconds (progress, Ctrl-C).
  let sliceStart = performance.now();

  const enter = async (path: string | Buffer, relativePath: string, realKey: string): Promise<DirectoryFrame> => {
    let entries;
    try {
      entries = await readdir(path, { withFileTypes: false, encoding: 'buffer' });
    } catch (error) {
      throw ioErrorFrom(error, relativePath || '.', 'list directory');
    }
    visitedDirectories.add(realKey);
    const named = entries.map((bytes) => ({ bytes, name: fileNameOf(bytes) })).sort((a, b) => compareCodePoints(a.name, b.name));
    return { path, relativePath, realKey, entries: named, next: 0 };
  };

  const rootPath = Buffer.from(rootReal, 'utf8').equals(rootBytes) ? rootReal : rootBytes;
  const stack: DirectoryFrame[] = [await enter(rootPath, '', rootBytes.toString('latin1'))];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as DirectoryFrame;
    const entry = frame.entries[frame.next++];
    if (entry === undefined) {
      stack.pop();
      visitedDirectories.delete(frame.realKey);
      continue;
    }
    const entryName = entry.name;
    const maybeOwnTemporaryFile = frame.relativePath === '' && isTemporaryFileName(entryName);
    const relativePath = frame.relativePath === '' ? entryName : `${frame.relativePath}/${entryName}`;
    if (isIgnoredPath(relativePath, options.ignorePaths)) continue;
    const absolutePath = typeof frame.path === 'string' && !ESCAPED_BYTE.test(entryName) ? `${frame.path}${sep}${entryName}` : childPath(typeof frame.path === 'string' ? Buffer.from(frame.path, 'utf8') : frame.path, entry.bytes);
    if (performance.now() - sliceStart >= BLOCKING_SLICE_MS) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
    let entryStats: Stats;
    try {
      entryStats = lstatSync(absolutePath);
    } catch (error) {
      // A concurrent `sign`'s temporary file, renamed into place since the directory was read.
      if (maybeOwnTemporaryFile && (error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw ioErrorFrom(error, relativePath, 'read');
    }
    if (maybeOwnTemporaryFile && entryStats.isFile()) continue;
    let sourcePath: string | Buffer = absolutePath;
    if (entryStats.isSymbolicLink()) {
      const refused = new InputError('SYMLINK_REFUSED', `${relativePath} is a symbolic link; pass --allow-symlinks to hash its target under its name`, { path: relativePath });
      if (!options.allowSymlinks && hubBlobs === undefined) throw refused;
      let target: Buffer;
      try {
        target = await realpath(absolutePath, { encoding: 'buffer' });
        entryStats = await stat(target);
      } catch (error) {
        throw ioErrorFrom(error, relativePath, 'follow symbolic link');
      }
      sourcePath = target;
      // A hub snapshot's file is a link into its own repository's blobs/: that is the file.
      const inHubBlobs = hubBlobsBytes !== undefined && target.subarray(0, hubBlobsBytes.length).equals(hubBlobsBytes);
      if (!inHubBlobs) {
        // No flag makes a snapshot's link elsewhere one of its files: it is tampering.
        if (hubBlobs !== undefined) throw hubLinkOutsideBlobs(relativePath);
        if (!options.allowSymlinks) throw refused;
        if (options.allowExternalSymlinks !== true && !isInside(rootBytes, target)) {
          throw new InputError('SYMLINK_ESCAPES_ARTIFACT', `${relativePath} links outside the artifact; pass --allow-external-symlinks to follow it`, { path: relativePath });
        }
      }
    }
    if (entryStats.isDirectory()) {
      const real = typeof sourcePath === 'string' || sourcePath === absolutePath ? await realpath(absolutePath, { encoding: 'buffer' }) : sourcePath;
      const realKey = real.toString('latin1');
      if (visitedDirectories.has(realKey)) {
        throw new InputError('SYMLINK_CYCLE', `${relativePath} leads back to a directory already walked (symbolic link cycle)`, { path: relativePath });
      }
      stack.push(await enter(sourcePath, relativePath, realKey));
    } else if (entryStats.isFile()) {
      yield { name: relativePath, sourcePath, size: entryStats.size, mtimeMs: entryStats.mtimeMs, dev: entryStats.dev, ino: entryStats.ino };
    } else {
      throw new InputError('UNSUPPORTED_FILE_TYPE', `${relativePath} is ${describeSpecialFile(entryStats) ?? 'not a regular file'}; only regular files can be signed`, { path: relativePath });
    }
  }
}
