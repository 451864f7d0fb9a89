/**
 * The single-threaded reference hasher: every faster path (the worker pool, BLAKE3's native
 * hasher) must give exactly its digests. It lives with the tests because only they run it.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { IOError, ioErrorFrom } from '../../src/errors.js';
import type { HashJob, HashJobsOptions } from '../../src/hashing/hash-jobs.js';
import { createContentHash, type HashType } from '../../src/hashing/hash-type.js';
import type { ArtifactFile } from '../../src/hashing/walk.js';

const READ_BUFFER_SIZE = 8 * 1024 * 1024;

/**
 * Hashes one job by streaming its byte range through a reused buffer (never a whole file in
 * memory). A file that changed size, modification time, device or inode (a swap) since it was
 * listed, or that became a symbolic link, is an error: a digest of bytes that were never one
 * consistent file must not be signed or trusted.
 */
async function hashJob(job: HashJob, hashType: HashType, buffer: Buffer = Buffer.allocUnsafe(Math.min(READ_BUFFER_SIZE, Math.max(job.end - job.start, 1)))): Promise<Buffer> {
  const { file } = job;
  let handle;
  try {
    // Never through a link put where the walk listed none (worker-hasher.ts, OPEN_FLAGS).
    handle = await open(typeof file.sourcePath === 'string' ? file.sourcePath : Buffer.from(file.sourcePath), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw fileReplaced(file);
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
    if (!after.isFile() || after.dev !== file.dev || after.ino !== file.ino) throw fileReplaced(file);
    if (after.size !== file.size) throw fileChanged(file, after.size > file.size ? 'grew' : 'shrank');
    if (after.mtimeMs !== file.mtimeMs) throw fileChanged(file, 'was modified');
    return hash.digest();
  } catch (error) {
    throw ioErrorFrom(error, file.name, 'read');
  } finally {
    await handle.close();
  }
}

function fileReplaced(file: ArtifactFile): IOError {
  return new IOError('FILE_CHANGED_WHILE_HASHING', `${file.name} was replaced after it was listed; it is not hashed`, { path: file.name });
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
