/**
 * `sign --incremental`: hashes only the files whose digest the cache does not vouch for. A file's
 * cached digest is reused only when its key — device, inode, size, modification and change time
 * in nanoseconds, as git keys its index — equals the key the file has now, under the same hash
 * type and serialization (one cache file each, `store.ts`). A file hashed now is stored only
 * when its key was the same before and after hashing and it was last modified (mtime and ctime)
 * more than RACY_MARGIN_NS before the run began (git's "racily clean" entries, below). Only files
 * of the current listing are written back, so deleted ones drop out. Verification never uses any
 * of this: it lives in `sign/`, which `verify/`, a peer, cannot import.
 */
import { statSync, type BigIntStats } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ioErrorFrom } from '../../errors.js';
import type { Finding } from '../../findings.js';
import type { HashJob } from '../../hashing/hash-jobs.js';
import { DigestTable } from '../../hashing/pool.js';
import { fileNameOf, type ArtifactFile } from '../../hashing/walk.js';
import type { ComputeOptions } from '../../manifest/compute.js';
import { decodeDigestCache, encodeDigestCache, type CacheEntry, type CacheScope } from './format.js';
import { cacheFilePath, evictCacheFiles, prepareCacheDirectory, readCacheFile, touchCacheFile, writeCacheFile } from './store.js';

/**
 * A file modified (or its inode changed) less than this before the run began is hashed but not
 * stored. A write in the same timestamp tick as our stat would leave size, mtime and ctime
 * unchanged, and the stored digest would be of the old bytes for ever; one more tick is enough on
 * a local file system (nanosecond stamps, advanced by the kernel's clock every few ms), 2 s also
 * covers FAT's 2-second modification times and the coarse stamps of some network file systems.
 */
const RACY_MARGIN_NS = 2_000_000_000n;
/** Longest stretch of blocking stat calls before the event loop gets a turn (as in walk.ts). */
const BLOCKING_SLICE_MS = 8;

export interface DigestCacheOptions {
  /** The directory of cache files (the CLI: `$XDG_CACHE_HOME/aiprov/digests`); created 0700. */
  readonly directory: string;
}

export interface IncrementalOutcome {
  /** Resources (files, or shards) whose digest came from the cache. */
  readonly reusedResources: number;
  /** Resources hashed in this run. */
  readonly hashedResources: number;
  /** Warnings about the cache (ignored, unavailable, not saved); the signature is unaffected. */
  readonly findings: readonly Finding[];
}

/** One file's consecutive jobs (one, or one per shard) and its key before hashing. */
interface FileJobs {
  readonly file: ArtifactFile;
  readonly first: number;
  readonly count: number;
  /** Undefined when the file cannot be stat'ed as a regular file (hashing reports why). */
  readonly key: string | undefined;
  /** Modified within the safety margin: never stored, whatever its key. */
  readonly racy: boolean;
  /** The cached entry, when its key is the file's key now: the file is not read. */
  readonly reuse: CacheEntry | undefined;
}

/** The digest cache of one `signArtifact` call: pass `hashJobsWith` to the manifest computation. */
export class IncrementalHashing {
  private reused = 0;
  private hashed = 0;
  private readonly findings: Finding[] = [];

  constructor(
    private readonly options: DigestCacheOptions,
    private readonly artifactPath: string,
  ) {}

  outcome(): IncrementalOutcome {
    return { reusedResources: this.reused, hashedResources: this.hashed, findings: this.findings };
  }

  readonly hashJobsWith: NonNullable<ComputeOptions['hashJobsWith']> = async (jobs, serialization, hash) => {
    const { directory } = this.options;
    const unusable = await prepareCacheDirectory(directory);
    if (unusable !== undefined) {
      this.warn('DIGEST_CACHE_UNAVAILABLE', directory, unusable);
      this.hashed = jobs.length;
      return hash(jobs);
    }
    let rootReal: Buffer;
    try {
      rootReal = await realpath(this.artifactPath, { encoding: 'buffer' });
    } catch (error) {
      throw ioErrorFrom(error, this.artifactPath, 'read artifact');
    }
    const scope: CacheScope = { root: fileNameOf(rootReal), serialization };
    const path = cacheFilePath(directory, scope);
    const loaded = await this.load(path, scope);
    // Taken before the first stat: anything modified after it is too fresh to store.
    const racyAfterNs = BigInt(Date.now()) * 1_000_000n - RACY_MARGIN_NS;
    const files = await groupAndStat(jobs, loaded ?? new Map(), racyAfterNs);
    const toHash = files.filter((group) => group.reuse === undefined);
    const some = toHash.length === files.length ? jobs : toHash.flatMap((group) => jobs.slice(group.first, group.first + group.count));
    const hashedDigests = await hash(some);

    const digests = some === jobs ? hashedDigests : new DigestTable(jobs.length);
    const entries = new Map<string, CacheEntry>();
    let position = 0;
    let stored = 0;
    let sliceStart = performance.now();
    for (const group of files) {
      if (group.reuse !== undefined) {
        group.reuse.digests.forEach((hex, offset) => {
          digests.set(group.first + offset, Buffer.from(hex, 'hex'));
        });
        entries.set(group.file.name, group.reuse);
        this.reused += group.count;
        continue;
      }
      const hex: string[] = [];
      for (let offset = 0; offset < group.count; offset++) {
        hex.push(hashedDigests.hex(position + offset));
        if (digests !== hashedDigests) digests.set(group.first + offset, hashedDigests.get(position + offset));
      }
      position += group.count;
      this.hashed += group.count;
      // The key after hashing must be the key before: else the digest may be of neither state.
      if (group.key !== undefined && !group.racy && keyOf(statKey(group.file)) === group.key) {
        entries.set(group.file.name, { key: group.key, digests: hex });
        stored++;
      }
      if (performance.now() - sliceStart >= BLOCKING_SLICE_MS) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    }
    // Unchanged (every entry reused, none dropped): only mark the file as recently used.
    if (loaded !== undefined && stored === 0 && entries.size === loaded.size) {
      await touchCacheFile(path);
    } else {
      const notSaved = await writeCacheFile(path, directory, encodeDigestCache(scope, entries));
      if (notSaved !== undefined) this.warn('DIGEST_CACHE_NOT_SAVED', path, notSaved);
    }
    await evictCacheFiles(directory, path);
    return digests;
  };

  /** The cache's entries; undefined when there is none or it may not be used (then warned). */
  private async load(path: string, scope: CacheScope): Promise<Map<string, CacheEntry> | undefined> {
    const read = await readCacheFile(path);
    if (read === undefined) return undefined;
    const decoded = 'problem' in read ? read : decodeDigestCache(read.bytes, scope);
    if ('problem' in decoded) {
      this.warn('DIGEST_CACHE_IGNORED', path, decoded.problem);
      return undefined;
    }
    return decoded.entries;
  }

  private warn(code: 'DIGEST_CACHE_IGNORED' | 'DIGEST_CACHE_UNAVAILABLE' | 'DIGEST_CACHE_NOT_SAVED', subject: string, reason: string): void {
    this.findings.push({ code, severity: 'warning', fields: { subject, value: reason } });
  }
}

/** Splits jobs into their files (a file's jobs are consecutive) and stats each file once. */
async function groupAndStat(jobs: readonly HashJob[], cache: ReadonlyMap<string, CacheEntry>, racyAfterNs: bigint): Promise<FileJobs[]> {
  const files: FileJobs[] = [];
  let sliceStart = performance.now();
  for (let first = 0; first < jobs.length; ) {
    const file = (jobs[first] as HashJob).file;
    let count = 1;
    while (jobs[first + count]?.file === file) count++;
    // Direct stat calls, not libuv's thread pool: a hand-off costs ten times the call (walk.ts).
    const before = statKey(file);
    const key = keyOf(before);
    const cached = cache.get(file.name);
    // The size the jobs were planned with must be the size the key (and the digests) are of.
    const reuse = key !== undefined && cached?.key === key && cached.digests.length === count && before?.size === BigInt(file.size) ? cached : undefined;
    const racy = before === undefined || before.mtimeNs >= racyAfterNs || before.ctimeNs >= racyAfterNs;
    files.push({ file, first, count, key, racy, reuse });
    first += count;
    if (performance.now() - sliceStart >= BLOCKING_SLICE_MS) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
  }
  return files;
}

/** The file's stat with nanosecond times, followed as the hasher opens it; undefined if unreadable. */
function statKey(file: ArtifactFile): BigIntStats | undefined {
  const path = typeof file.sourcePath === 'string' ? file.sourcePath : Buffer.from(file.sourcePath.buffer, file.sourcePath.byteOffset, file.sourcePath.byteLength);
  try {
    const stats = statSync(path, { bigint: true, throwIfNoEntry: false });
    return stats?.isFile() === true ? stats : undefined;
  } catch {
    // Hashing reports the file's error.
    return undefined;
  }
}

function keyOf(stats: BigIntStats | undefined): string | undefined {
  return stats === undefined ? undefined : `${String(stats.dev)} ${String(stats.ino)} ${String(stats.size)} ${String(stats.mtimeNs)} ${String(stats.ctimeNs)}`;
}
