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
  const jobs: HashJob[] = [];
  for (const file of files) {
    if (shardSize === undefined) {
      jobs.push({ file, start: 0, end: file.size });
      continue;
    }
    for (let start = 0; start < file.size; start += shardSize) {
      jobs.push({ file, start, end: Math.min(start + shardSize, file.size) });
    }
  }
  return jobs;
}

export interface HashProgress {
  readonly bytesHashed: number;
  readonly jobsDone: number;
}

export interface HashJobsOptions {
  readonly hashType: HashType;
  readonly onProgress?: (progress: HashProgress) => void;
  readonly signal?: AbortSignal;
}
