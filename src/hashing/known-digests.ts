import { fileJobs, type HashJob, type HashProgress, type StreamTotals } from './hash-jobs.js';
import type { HashType } from './hash-type.js';
import { hashJobStream } from './pool.js';
import type { ArtifactFile } from './walk.js';

/**
 * An artifact hashed when the digests of some files are known without reading them (`sign
 * --incremental`, whose cache is `sign/digest-cache/`): only the other files go to the pool, and
 * every resource is still reported in OMS order, the known ones among the hashed ones.
 */
export interface KnownDigests {
  /**
   * This file's digests, one per job, when they are known (the file is then not read); undefined
   * to hash it. Called once per listed file, in OMS order.
   */
  lookup(file: ArtifactFile, jobs: readonly HashJob[]): readonly Buffer[] | undefined;
  /** Each digest hashed of a file `lookup` did not know, in OMS order. `digest` may be a view. */
  hashed(job: HashJob, digest: Buffer): void;
}

interface Resource {
  readonly file: string;
  readonly start: number;
  readonly end: number;
  readonly digest: Buffer;
}

export interface KnownDigestsHashOptions {
  readonly hashType: HashType;
  readonly shardSize: number | undefined;
  readonly selectFiles?: (name: string) => boolean;
  readonly onResource: (resource: Resource) => void;
  readonly onProgress?: (progress: HashProgress & StreamTotals) => void;
  readonly signal?: AbortSignal;
}

/**
 * Hashes the files `known` does not know, on this thread's pool (the lookups are callbacks, which
 * cannot cross to a listing worker). A known file listed after a job not yet reported waits, with
 * its digests, until that job is: memory grows with the known files listed ahead of the slowest
 * hashed one, at most the cache `known` already holds.
 */
export async function hashKnowingDigests(files: AsyncIterable<ArtifactFile>, known: KnownDigests, options: KnownDigestsHashOptions): Promise<void> {
  const { selectFiles, onResource } = options;
  // Hashed jobs listed and not yet reported, by index.
  const listed = new Map<number, HashJob>();
  let jobsListed = 0;
  let jobsReported = 0;
  let filesHashed = 0;
  // Known resources in OMS order, each to be reported once `jobsReported` reaches its `after`.
  const waiting: { readonly after: number; readonly resources: readonly Resource[] }[] = [];
  let nextWaiting = 0;
  const reportWaiting = (): void => {
    for (let item = waiting[nextWaiting]; item !== undefined && item.after <= jobsReported; item = waiting[nextWaiting]) {
      item.resources.forEach(onResource);
      nextWaiting++;
    }
    if (nextWaiting === waiting.length) {
      waiting.length = 0;
      nextWaiting = 0;
    }
  };

  async function* jobsToHash(): AsyncGenerator<HashJob> {
    for await (const file of files) {
      if (selectFiles !== undefined && !selectFiles(file.name)) continue;
      const jobs = fileJobs(file, options.shardSize);
      const digests = known.lookup(file, jobs);
      // Fail closed: digests that do not fit the jobs are not used.
      if (digests?.length !== jobs.length) {
        filesHashed++;
        for (const job of jobs) {
          listed.set(jobsListed++, job);
          yield job;
        }
        continue;
      }
      const resources = jobs.map((job, index) => ({ file: file.name, start: job.start, end: job.end, digest: digests[index] as Buffer }));
      waiting.push({ after: jobsListed, resources });
      reportWaiting();
    }
  }

  let totals: StreamTotals = { totalBytes: 0, totalFiles: 0, totalJobs: 0, listingComplete: false };
  const { onProgress } = options;
  await hashJobStream(jobsToHash(), {
    hashType: options.hashType,
    onListed: (jobs, bytes, listingComplete) => {
      totals = { totalBytes: bytes, totalFiles: filesHashed, totalJobs: jobs, listingComplete };
    },
    onDigest: (index, digest) => {
      const job = listed.get(index);
      listed.delete(index);
      if (job === undefined) return;
      known.hashed(job, digest);
      onResource({ file: job.file.name, start: job.start, end: job.end, digest });
      jobsReported = index + 1;
      reportWaiting();
    },
    ...(onProgress === undefined ? {} : { onProgress: (progress: HashProgress) => { onProgress({ ...progress, ...totals }); } }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  // Known files after the last hashed job (or every file, when none was hashed).
  reportWaiting();
}
