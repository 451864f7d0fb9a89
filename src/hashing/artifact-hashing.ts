import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AiprovError, InternalError } from '../errors.js';
import { fileJobs, type HashJob, type HashProgress, type StreamTotals } from './hash-jobs.js';
import type { HashType } from './hash-type.js';
import { hashKnowingDigests, type KnownDigests } from './known-digests.js';
import { hashJobStream, STREAM_WINDOW_JOBS } from './pool.js';
import { streamArtifact, type ArtifactFile, type WalkOptions } from './walk.js';
import { fromTransferredError, type ListingWorkerConfig, type ListingWorkerMessage } from './worker-protocol.js';

/**
 * An artifact walked and hashed as one stream: each resource's digest is reported in OMS order
 * as soon as it and every resource before it are hashed, so a caller that folds them keeps
 * nothing per file.
 *
 * An artifact of more jobs than the pool's window is hashed from a listing worker: a worker
 * thread walks it, hands jobs to the hashing workers and sends the digests back. A long walk
 * and hand-out on the main thread grew V8's young generation there to its 48 MiB maximum (Node
 * offers no way to cap it once started), where a worker's is capped: on 100,000 files this kept
 * peak memory under 128 MiB. Smaller artifacts, and walks that filter files with a callback
 * (which cannot cross threads), stay on this thread, with no worker start-up to pay.
 */

export interface ArtifactHashOptions {
  readonly hashType: HashType;
  /** Bytes per shard, or undefined for one job per file. */
  readonly shardSize: number | undefined;
  /** Decides which listed files are hashed; forces the walk onto this thread. */
  readonly selectFiles?: (name: string) => boolean;
  /**
   * Chooses the jobs to hash from all of them (a part of a partitioned digest): the whole
   * listing is walked before any hashing, on this thread.
   */
  readonly selectJobs?: (jobs: readonly HashJob[]) => readonly HashJob[];
  /** Called with each resource, in OMS order. `digest` may be a view: copy it to keep it. */
  readonly onResource: (resource: HashedResource) => void;
  /**
   * The caller uses only the digests (a root digest): from the listing worker, resources then
   * come without names or ranges (`file` is empty), which spares this thread a string per file.
   */
  readonly digestsOnly?: boolean;
  readonly onProgress?: (progress: HashProgress & StreamTotals) => void;
  readonly signal?: AbortSignal;
  /** The listing worker's entry point (default: the compiled one beside this module), or false to stay on this thread. */
  readonly listingWorker?: URL | false;
  /** Digests known without reading (`sign --incremental`); keeps the walk on this thread. */
  readonly knownDigests?: KnownDigests;
}

export interface HashedResource {
  /** The file's resource name ("." for a single-file artifact). */
  readonly file: string;
  readonly start: number;
  readonly end: number;
  readonly digest: Buffer;
}

/** Walks and hashes; returns the artifact's name (the statement subject name). */
export async function hashArtifactStream(artifactPath: string, walkOptions: WalkOptions, options: ArtifactHashOptions): Promise<string> {
  const listing = await streamArtifact(artifactPath, walkOptions);
  if (options.knownDigests !== undefined) {
    await hashKnowingDigests(listing.files, options.knownDigests, options);
    return listing.name;
  }
  const { selectFiles, selectJobs } = options;
  if (selectJobs !== undefined) {
    const all: HashJob[] = [];
    const listed = new Set<string>();
    for await (const file of listing.files) {
      if (selectFiles !== undefined && !selectFiles(file.name)) continue;
      all.push(...fileJobs(file, options.shardSize));
    }
    const chosen = selectJobs(all);
    for (const job of chosen) listed.add(job.file.name);
    await hashOnThisThread(chosen, () => listed.size, options);
    return listing.name;
  }
  const files = listing.files[Symbol.asyncIterator]();
  // The first window of jobs decides where the walk goes on.
  const first: HashJob[] = [];
  let filesListed = 0;
  let complete = false;
  while (first.length < STREAM_WINDOW_JOBS) {
    const next = await files.next();
    if (next.done === true) {
      complete = true;
      break;
    }
    if (selectFiles !== undefined && !selectFiles(next.value.name)) continue;
    filesListed++;
    first.push(...fileJobs(next.value, options.shardSize));
  }
  const workerUrl = options.listingWorker === false ? undefined : (options.listingWorker ?? defaultListingWorkerUrl());
  if (!complete && selectFiles === undefined && workerUrl !== undefined) {
    // Started over on the worker: listing a window again costs milliseconds.
    await files.return?.();
    await hashInListingWorker(artifactPath, walkOptions, options, workerUrl);
    return listing.name;
  }
  async function* jobs(): AsyncGenerator<HashJob> {
    yield* first;
    if (complete) return;
    for (let next = await files.next(); next.done !== true; next = await files.next()) {
      const file: ArtifactFile = next.value;
      if (selectFiles !== undefined && !selectFiles(file.name)) continue;
      filesListed++;
      yield* fileJobs(file, options.shardSize);
    }
  }
  await hashOnThisThread(jobs(), () => filesListed, options);
  return listing.name;
}

async function hashOnThisThread(jobs: AsyncIterable<HashJob> | Iterable<HashJob>, filesListed: () => number, options: ArtifactHashOptions): Promise<void> {
  // Jobs listed and not yet reported, by index: at most the pool's window of them.
  const listed = new Map<number, HashJob>();
  let index = 0;
  async function* indexed(): AsyncGenerator<HashJob> {
    for await (const job of jobs) {
      listed.set(index++, job);
      yield job;
    }
  }
  let totals: StreamTotals = { totalBytes: 0, totalFiles: 0, totalJobs: 0, listingComplete: false };
  const { onProgress } = options;
  await hashJobStream(indexed(), {
    hashType: options.hashType,
    onListed: (jobsListed, bytesListed, listingComplete) => {
      totals = { totalBytes: bytesListed, totalFiles: filesListed(), totalJobs: jobsListed, listingComplete };
    },
    onDigest: (jobIndex, digest) => {
      const job = listed.get(jobIndex);
      listed.delete(jobIndex);
      if (job !== undefined) options.onResource({ file: job.file.name, start: job.start, end: job.end, digest });
    },
    ...(onProgress === undefined ? {} : { onProgress: (progress: HashProgress) => { onProgress({ ...progress, ...totals }); } }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}

function hashInListingWorker(artifactPath: string, walkOptions: WalkOptions, options: ArtifactHashOptions, workerUrl: URL): Promise<void> {
  const config: ListingWorkerConfig = { artifactPath, walkOptions, hashType: options.hashType, shardSize: options.shardSize, progress: options.onProgress !== undefined, digestsOnly: options.digestsOnly === true };
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const worker = new Worker(workerUrl, { workerData: config, execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: LISTING_WORKER_YOUNG_GENERATION_MB } });
    const settle = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      // Terminating the listing worker stops the hashing workers it started.
      void worker.terminate().finally(() => {
        if (error === undefined) resolve();
        else reject(error instanceof AiprovError ? error : listingFailed(error));
      });
    };
    const onAbort = (): void => {
      settle(options.signal?.reason);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: ListingWorkerMessage) => {
      if (settled) return;
      try {
        receive(message);
      } catch (error) {
        settle(error);
      }
    });
    worker.on('error', (error) => {
      settle(error);
    });
    worker.on('exit', (code) => {
      settle(new InternalError('HASH_WORKER_FAILED', `the listing worker exited unexpectedly with code ${String(code)}`));
    });
    const receive = (message: ListingWorkerMessage): void => {
      switch (message.type) {
        case 'resources': {
          const digests = Buffer.from(message.digests.buffer, message.digests.byteOffset, message.digests.byteLength);
          for (let position = 0; position < message.count; position++) {
            const start = position * message.digestLength;
            options.onResource({ file: message.files[position] ?? '', start: message.starts[position] ?? 0, end: message.ends[position] ?? 0, digest: digests.subarray(start, start + message.digestLength) });
          }
          return;
        }
        case 'progress':
          options.onProgress?.(message.progress);
          return;
        case 'done':
          settle();
          return;
        case 'failed':
          settle(fromTransferredError(message.error));
          return;
      }
    };
  });
}

/** The listing worker's young generation: its garbage is a stat, a name and a job per file. */
const LISTING_WORKER_YOUNG_GENERATION_MB = 2;

function listingFailed(error: unknown): AiprovError {
  return new InternalError('HASH_WORKER_FAILED', `the listing worker failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/** The compiled listing worker beside this module, or undefined (see `defaultWorkerUrl` in pool.ts). */
function defaultListingWorkerUrl(moduleUrl: string = import.meta.url): URL | undefined {
  if (!moduleUrl.startsWith('file:') || !moduleUrl.endsWith('.js')) return undefined;
  const url = new URL('./listing-worker.js', moduleUrl);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}
