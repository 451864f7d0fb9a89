import { open } from 'node:fs/promises';
import { IOError, ioErrorFrom } from '../errors.js';
import { createContentHash, type HashType } from './hash-type.js';
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

const READ_BUFFER_SIZE = 8 * 1024 * 1024;

/**
 * Hashes one job by streaming its byte range through a reused buffer (never a whole file in
 * memory). A file that changed size or modification time since it was listed is an error: a
 * digest of bytes that were never one consistent file must not be signed or trusted.
 */
export async function hashJob(job: HashJob, hashType: HashType, buffer: Buffer = Buffer.allocUnsafe(Math.min(READ_BUFFER_SIZE, Math.max(job.end - job.start, 1)))): Promise<Buffer> {
  const { file } = job;
  let handle;
  try {
    handle = await open(file.sourcePath, 'r');
  } catch (error) {
    throw ioErrorFrom(error, file.name, 'open');
  }
  try {
    const hash = createContentHash(hashType);
    let position = job.start;
    while (position < job.end) {
      const length = Math.min(buffer.length, job.end - position);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      if (bytesRead === 0) throw fileChanged(file, 'shrank');
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
    const after = await handle.stat();
    if (after.size !== file.size) throw fileChanged(file, after.size > file.size ? 'grew' : 'shrank');
    if (after.mtimeMs !== file.mtimeMs) throw fileChanged(file, 'was modified');
    return hash.digest();
  } catch (error) {
    throw ioErrorFrom(error, file.name, 'read');
  } finally {
    await handle.close();
  }
}

function fileChanged(file: ArtifactFile, how: string): IOError {
  return new IOError('FILE_CHANGED_WHILE_HASHING', `${file.name} ${how} while it was being hashed`, { path: file.name });
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

/** Hashes jobs one after another on this thread: the reference every faster path must equal. */
export async function hashJobsSequentially(jobs: readonly HashJob[], options: HashJobsOptions): Promise<Buffer[]> {
  const digests: Buffer[] = [];
  let bytesHashed = 0;
  for (const job of jobs) {
    options.signal?.throwIfAborted();
    digests.push(await hashJob(job, options.hashType));
    bytesHashed += job.end - job.start;
    options.onProgress?.({ bytesHashed, jobsDone: digests.length });
  }
  return digests;
}
