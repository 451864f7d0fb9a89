import type { HashType } from './hash-type.js';
import type { ArtifactFile } from './walk.js';

/** One unit of hashing work: a whole file (`files`) or one shard of it (`shards`). */
export interface HashJob {
  readonly file: ArtifactFile;
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
}

/** The default OMS shard size, as model_signing writes it. */
export const DEFAULT_SHARD_SIZE = 1_000_000_000;

/**
 * Splits files into jobs: one per file, or one per `shardSize` bytes. An empty file has no
 * shard, as in model_signing (its shard manifest lists nothing for it).
 */
export function planHashJobs(files: readonly ArtifactFile[], shardSize: number | undefined): HashJob[] {
  return files.flatMap((file) => fileJobs(file, shardSize));
}

export interface HashProgress {
  readonly bytesHashed: number;
  readonly jobsDone: number;
}

/** What has been listed of an artifact hashed as a stream (see `artifact-hashing.ts`). */
export interface StreamTotals {
  readonly totalBytes: number;
  readonly totalFiles: number;
  readonly totalJobs: number;
  /** False while the walk is still under way: the totals are of what was listed so far. */
  readonly listingComplete: boolean;
}

/** The jobs of one file: the whole file, or one per `shardSize` bytes. */
export function fileJobs(file: ArtifactFile, shardSize: number | undefined): HashJob[] {
  if (shardSize === undefined) return [{ file, start: 0, end: file.size }];
  const jobs: HashJob[] = [];
  for (let start = 0; start < file.size; start += shardSize) jobs.push({ file, start, end: Math.min(start + shardSize, file.size) });
  return jobs;
}

export interface HashJobsOptions {
  readonly hashType: HashType;
  readonly onProgress?: (progress: HashProgress) => void;
  readonly signal?: AbortSignal;
}
