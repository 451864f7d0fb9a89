/**
 * The single-threaded reference hasher: every faster path (the worker pool, BLAKE3's native
 * hasher) must give exactly its digests. It lives with the tests because only they run it.
 */
import { open } from 'node:fs/promises';
import { IOError, ioErrorFrom } from '../../src/errors.js';
import type { HashJob, HashJobsOptions } from '../../src/hashing/hash-jobs.js';
import { createContentHash, type HashType } from '../../src/hashing/hash-type.js';
import type { ArtifactFile } from '../../src/hashing/walk.js';

const READ_BUFFER_SIZE = 8 * 1024 * 1024;

/**
 * Hashes one job by streaming its byte range through a reused buffer (never a whole file in
 * memory). A file that changed size or modification time since it was listed is an error: a
 * digest of bytes that were never one consistent file must not be signed or trusted.
 */
async function hashJob(job: HashJob, hashType: HashType, buffer: Buffer = Buffer.allocUnsafe(Math.min(READ_BUFFER_SIZE, Math.max(job.end - job.start, 1)))): Promise<Buffer> {
  const { file } = job;
  let handle;
  try {
    handle = await open(typeof file.sourcePath === 'string' ? file.sourcePath : Buffer.from(file.sourcePath), 'r');
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
