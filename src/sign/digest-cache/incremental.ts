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
import { lstatSync, type BigIntStats } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { ioErrorFrom } from '../../errors.js';
import type { Finding } from '../../findings.js';
import type { HashJob } from '../../hashing/hash-jobs.js';
import type { KnownDigests } from '../../hashing/known-digests.js';
import { fileNameOf, type ArtifactFile } from '../../hashing/walk.js';
import type { Serialization } from '../../manifest/manifest.js';
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

type CacheWarning = 'DIGEST_CACHE_IGNORED' | 'DIGEST_CACHE_UNAVAILABLE' | 'DIGEST_CACHE_NOT_SAVED';

/** What one run counts and warns about. */
interface Tally {
  reused: number;
  hashed: number;
  warn(code: CacheWarning, subject: string, reason: string): void;
}

/** The digest cache of one `signArtifact` call: pass `open` to the manifest computation as `knownDigests`. */
export class IncrementalHashing {
  private readonly tally: Tally;
  private readonly findings: Finding[] = [];

  constructor(
    private readonly options: DigestCacheOptions,
    private readonly artifactPath: string,
  ) {
    const findings = this.findings;
    this.tally = {
      reused: 0,
      hashed: 0,
      warn(code, subject, reason) {
        findings.push({ code, severity: 'warning', fields: { subject, value: reason } });
      },
    };
  }

  outcome(): IncrementalOutcome {
    return { reusedResources: this.tally.reused, hashedResources: this.tally.hashed, findings: this.findings };
  }

  /** Loads this artifact's cache for the serialization (or warns and knows nothing). */
  readonly open = async (serialization: Serialization): Promise<KnownDigests & { close(): Promise<void> }> => {
    const { directory } = this.options;
    const tally = this.tally;
    const unusable = await prepareCacheDirectory(directory);
    if (unusable !== undefined) {
      tally.warn('DIGEST_CACHE_UNAVAILABLE', directory, unusable);
      return {
        lookup: (_file, jobs) => {
          tally.hashed += jobs.length;
          return undefined;
        },
        hashed: () => undefined,
        close: () => Promise.resolve(),
      };
    }
    let rootReal: Buffer;
    try {
      rootReal = await realpath(this.artifactPath, { encoding: 'buffer' });
    } catch (error) {
      throw ioErrorFrom(error, this.artifactPath, 'read artifact');
    }
    const scope: CacheScope = { root: fileNameOf(rootReal), serialization };
    const path = cacheFilePath(directory, scope);
    const loaded = await loadCache(path, scope, tally);
    // Taken before the first stat: anything modified after it is too fresh to store.
    const racyAfterNs = BigInt(Date.now()) * 1_000_000n - RACY_MARGIN_NS;
    return new CacheSession(directory, path, scope, loaded, racyAfterNs, tally);
  };
}

/** A hashed file waiting for the rest of its digests (shards come one by one). */
interface Pending {
  readonly key: string;
  readonly count: number;
  readonly digests: string[];
}

/** One run's use of one cache file: lookups during the walk, then the file rewritten. */
class CacheSession implements KnownDigests {
  /** What is written back: the current listing's files only, so deleted ones drop out. */
  private readonly entries = new Map<string, CacheEntry>();
  private readonly pending = new Map<ArtifactFile, Pending>();
  private stored = 0;

  constructor(
    private readonly directory: string,
    private readonly path: string,
    private readonly scope: CacheScope,
    private readonly loaded: ReadonlyMap<string, CacheEntry> | undefined,
    private readonly racyAfterNs: bigint,
    private readonly tally: Tally,
  ) {}

  lookup(file: ArtifactFile, jobs: readonly HashJob[]): readonly Buffer[] | undefined {
    // An empty file has no shard: nothing to read, nothing to store.
    if (jobs.length === 0) return [];
    const stats = statKey(file);
    const key = keyOf(stats);
    const cached = this.loaded?.get(file.name);
    // The size the jobs were planned with must be the size the key (and the digests) are of.
    if (key !== undefined && cached?.key === key && cached.digests.length === jobs.length && stats?.size === BigInt(file.size)) {
      this.entries.set(file.name, cached);
      this.tally.reused += jobs.length;
      return cached.digests.map((hex) => Buffer.from(hex, 'hex'));
    }
    this.tally.hashed += jobs.length;
    const racy = stats === undefined || stats.mtimeNs >= this.racyAfterNs || stats.ctimeNs >= this.racyAfterNs;
    if (key !== undefined && !racy) this.pending.set(file, { key, count: jobs.length, digests: [] });
    return undefined;
  }

  hashed(job: HashJob, digest: Buffer): void {
    const pending = this.pending.get(job.file);
    if (pending === undefined) return;
    pending.digests.push(digest.toString('hex'));
    if (pending.digests.length < pending.count) return;
    this.pending.delete(job.file);
    // The key after hashing must be the key before: else the digest may be of neither state.
    if (keyOf(statKey(job.file)) !== pending.key) return;
    this.entries.set(job.file.name, { key: pending.key, digests: pending.digests });
    this.stored++;
  }

  async close(): Promise<void> {
    // Unchanged (every entry reused, none dropped): only mark the file as recently used.
    if (this.loaded !== undefined && this.stored === 0 && this.entries.size === this.loaded.size) {
      await touchCacheFile(this.path);
    } else {
      const notSaved = await writeCacheFile(this.path, this.directory, encodeDigestCache(this.scope, this.entries));
      if (notSaved !== undefined) this.tally.warn('DIGEST_CACHE_NOT_SAVED', this.path, notSaved);
    }
    await evictCacheFiles(this.directory, this.path);
  }
}

/** The cache's entries; undefined when there is none or it may not be used (then warned). */
async function loadCache(path: string, scope: CacheScope, tally: Tally): Promise<Map<string, CacheEntry> | undefined> {
  const read = await readCacheFile(path);
  if (read === undefined) return undefined;
  const decoded = 'problem' in read ? read : decodeDigestCache(read.bytes, scope);
  if ('problem' in decoded) {
    tally.warn('DIGEST_CACHE_IGNORED', path, decoded.problem);
    return undefined;
  }
  return decoded.entries;
}

/**
 * The file's stat with nanosecond times, not followed, as the hasher opens it (`O_NOFOLLOW`);
 * undefined if unusable, or if it is no longer the file the walk listed (a link or another file
 * swapped in since): a cached digest is then never reused for it, and hashing reports the swap.
 */
function statKey(file: ArtifactFile): BigIntStats | undefined {
  const path = typeof file.sourcePath === 'string' ? file.sourcePath : Buffer.from(file.sourcePath.buffer, file.sourcePath.byteOffset, file.sourcePath.byteLength);
  try {
    // Direct calls, not libuv's thread pool: a hand-off costs ten times the call (walk.ts).
    const stats = lstatSync(path, { bigint: true, throwIfNoEntry: false });
    return stats?.isFile() === true && Number(stats.dev) === file.dev && Number(stats.ino) === file.ino ? stats : undefined;
  } catch {
    // Hashing reports the file's error.
    return undefined;
  }
}

function keyOf(stats: BigIntStats | undefined): string | undefined {
  return stats === undefined ? undefined : `${String(stats.dev)} ${String(stats.ino)} ${String(stats.size)} ${String(stats.mtimeNs)} ${String(stats.ctimeNs)}`;
}
