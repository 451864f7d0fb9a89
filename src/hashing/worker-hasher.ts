import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync, realpathSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { IOError, ioErrorFrom, type AiprovError } from '../errors.js';
import type { HashJob } from './hash-jobs.js';
import { createContentHash, digestOnce, type HashType } from './hash-type.js';
import type { ArtifactFile } from './walk.js';
import type { IndexedJob } from './worker-protocol.js';

/**
 * The hashing loop of every hasher: each pool worker, and the main thread, alone or beside the
 * workers. It computes exactly what the tests' single-threaded reference hasher computes, with the
 * same change detection and the same errors, only faster. How it reads depends on whether other
 * cores are free (measured on a warm page cache, 2 cores, SHA-256):
 * - alone (`overlapReads`: the main thread without workers): a large job streams through two 8 MiB buffers, the
 *   read of the next chunk in flight on libuv's thread pool while this thread hashes the current
 *   one, so the copy out of the page cache (or the disk wait) runs on another core: 96 % of
 *   one core's SHA-256 speed, against 88 % reading and hashing in turn;
 * - one hasher per core (the main thread and a worker per other core): no core is free for the
 *   copy to overlap with, and handing each read to the thread pool only adds hand-offs:
 *   blocking 1 MiB reads between updates measured 2.45 GB/s on two cores against 2.1 for the
 *   double-buffered loop;
 * - a small job is read whole with blocking calls, always: open + read + fstat + close through
 *   the thread pool costs four hand-offs per file and tops out near 8k files/s however many are
 *   in flight (the pool has 4 threads for the whole process), the same calls made directly reach
 *   ~30k files/s per thread. On the main thread the loop yields to the event loop every few
 *   milliseconds, so timers, the progress bar and abort still run.
 * Memory is the buffers below, whatever the artifact's size.
 */

// The WebAssembly global of every Node release; not in the ES library this project compiles with.
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer } };

/** Chunk of a large job read while the previous one is hashed; two per hasher. */
export const READ_CHUNK_SIZE = 8 * 1024 * 1024;
/** Chunk of a large job read and hashed in turn: the copy stays in this core's caches. */
export const BLOCKING_CHUNK_SIZE = 1024 * 1024;
/** Jobs up to this size are read in one call. */
export const SMALL_JOB_SIZE = 256 * 1024;
/** Longest stretch of blocking reads before the event loop gets a turn. */
const BLOCKING_SLICE_MS = 8;

/** Where a hasher reports. */
export interface HashSink {
  /** A chunk of a large job was hashed (progress inside a job that can take seconds). */
  onChunk(bytes: number): void;
  /** A job is done; `bytes` are its bytes not already reported through `onChunk`. */
  onJobDone(index: number, digest: Buffer, bytes: number): void;
}

export interface JobHasherOptions {
  /** True when other cores are free to copy the next chunk while this thread hashes. */
  readonly overlapReads: boolean;
}

export class JobHasher {
  private emptyDigest: Buffer | undefined;
  private buffers: { readonly chunks: readonly [Buffer, Buffer]; readonly small: Buffer } | undefined;

  constructor(
    private readonly hashType: HashType,
    private readonly options: JobHasherOptions,
  ) {}

  /** Hashes jobs in order, reporting each digest to `sink`; stops at the first error. */
  async hashJobs(jobs: readonly IndexedJob[], sink: HashSink, signal?: AbortSignal): Promise<void> {
    const buffers = (this.buffers ??= allocateReadBuffers());
    let sliceStart = performance.now();
    for (const { index, job } of jobs) {
      signal?.throwIfAborted();
      const length = job.end - job.start;
      if (length > SMALL_JOB_SIZE && this.options.overlapReads) {
        sink.onJobDone(index, await this.hashLargeJob(job, buffers.chunks, sink, signal), 0);
        sliceStart = performance.now();
        continue;
      }
      if (length > SMALL_JOB_SIZE) {
        sink.onJobDone(index, await this.hashLargeJobBlocking(job, buffers.chunks[0].subarray(0, BLOCKING_CHUNK_SIZE), sink, signal), 0);
        sliceStart = performance.now();
        continue;
      }
      sink.onJobDone(index, this.hashSmallJob(job, buffers.small), length);
      if (performance.now() - sliceStart >= BLOCKING_SLICE_MS) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    }
  }

  /** A small job: one blocking read. */
  private hashSmallJob(job: HashJob, buffer: Buffer): Buffer {
    const { file } = job;
    const fd = openJobFileBlocking(file);
    try {
      const length = job.end - job.start;
      let filled = 0;
      while (filled < length) {
        const bytesRead = readSync(fd, buffer, filled, length - filled, job.start + filled);
        if (bytesRead === 0) throw fileChanged(file, 'shrank');
        filled += bytesRead;
      }
      // An empty file's digest is one constant per hash type (computed once; never mutated).
      const digest = length === 0 ? (this.emptyDigest ??= digestOnce(this.hashType, buffer.subarray(0, 0))) : digestOnce(this.hashType, buffer.subarray(0, length));
      checkUnchanged(fstatSync(fd), file);
      return digest;
    } catch (error) {
      throw replacement(statOrUndefined(() => fstatSync(fd)), file) ?? ioErrorFrom(error, file.name, 'read');
    } finally {
      closeSync(fd);
    }
  }

  /** A large job read and hashed in turn with blocking calls, yielding between slices. */
  private async hashLargeJobBlocking(job: HashJob, buffer: Buffer, sink: HashSink, signal: AbortSignal | undefined): Promise<Buffer> {
    const { file } = job;
    const fd = openJobFileBlocking(file);
    try {
      const hash = createContentHash(this.hashType);
      let position = job.start;
      let sliceStart = performance.now();
      while (position < job.end) {
        const bytesRead = readSync(fd, buffer, 0, Math.min(buffer.length, job.end - position), position);
        if (bytesRead === 0) throw fileChanged(file, 'shrank');
        hash.update(buffer.subarray(0, bytesRead));
        position += bytesRead;
        sink.onChunk(bytesRead);
        if (performance.now() - sliceStart >= BLOCKING_SLICE_MS) {
          await yieldToEventLoop();
          signal?.throwIfAborted();
          sliceStart = performance.now();
        }
      }
      checkUnchanged(fstatSync(fd), file);
      return hash.digest();
    } catch (error) {
      throw signal?.aborted === true ? signal.reason : (replacement(statOrUndefined(() => fstatSync(fd)), file) ?? ioErrorFrom(error, file.name, 'read'));
    } finally {
      closeSync(fd);
    }
  }

  private async hashLargeJob(job: HashJob, chunks: readonly [Buffer, Buffer], sink: HashSink, signal: AbortSignal | undefined): Promise<Buffer> {
    const { file } = job;
    let [current, spare] = chunks;
    const handle = await openJobFile(file);
    const readAt = (buffer: Buffer, position: number): Promise<{ bytesRead: number }> => handle.read(buffer, 0, Math.min(buffer.length, job.end - position), position);
    let inFlight: Promise<{ bytesRead: number }> | undefined;
    try {
      const hash = createContentHash(this.hashType);
      let position = job.start;
      inFlight = readAt(current, position);
      while (inFlight !== undefined) {
        const { bytesRead } = await inFlight;
        inFlight = undefined;
        if (bytesRead === 0) throw fileChanged(file, 'shrank');
        position += bytesRead;
        // The next read starts before this chunk is hashed: the two overlap.
        if (position < job.end) inFlight = readAt(spare, position);
        hash.update(current.subarray(0, bytesRead));
        sink.onChunk(bytesRead);
        [current, spare] = [spare, current];
        signal?.throwIfAborted();
      }
      checkUnchanged(await handle.stat(), file);
      return hash.digest();
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason;
      throw replacement(await handle.stat().catch(() => undefined), file) ?? ioErrorFrom(error, file.name, 'read');
    } finally {
      // The buffers are reused by the next job: never leave a read writing into one.
      await inFlight?.catch(() => undefined);
      await handle.close();
    }
  }
}

/**
 * Read buffers in page-aligned memory. Where they sit matters: the kernel copies page-cache data
 * into them with `rep movsb`, which on AMD Zen (measured here, under a hypervisor) runs at
 * ~2 GB/s into a destination 16 bytes past a page boundary (where malloc puts a large
 * ArrayBuffer, hence `Buffer.allocUnsafe`) and at ~8.5 GB/s into an aligned one: at SHA-256
 * speeds that is the difference between the copy costing 70 % of the hashing time or 18 %.
 * WebAssembly memory is page-aligned by construction; if it cannot be had (an address-space
 * limit: V8 reserves several GiB of virtual space per wasm memory), ordinary buffers still work.
 */
function allocateReadBuffers(): { readonly chunks: readonly [Buffer, Buffer]; readonly small: Buffer } {
  const bytes = 2 * READ_CHUNK_SIZE + SMALL_JOB_SIZE;
  let memory: ArrayBuffer;
  try {
    const pages = Math.ceil(bytes / 65_536);
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer;
  } catch {
    memory = new ArrayBuffer(bytes);
  }
  return {
    chunks: [Buffer.from(memory, 0, READ_CHUNK_SIZE), Buffer.from(memory, READ_CHUNK_SIZE, READ_CHUNK_SIZE)],
    small: Buffer.from(memory, 2 * READ_CHUNK_SIZE, SMALL_JOB_SIZE),
  };
}

/** A path as node:fs takes it: a byte path crosses to a worker thread as a plain Uint8Array. */
function fileSystemPath(path: string | Uint8Array): string | Buffer {
  return typeof path === 'string' ? path : Buffer.from(path.buffer, path.byteOffset, path.byteLength);
}

/**
 * How a listed file is opened: never through a symbolic link (`O_NOFOLLOW`), never blocking on a
 * FIFO (`O_NONBLOCK`; no effect on a regular file's reads). The walk listed a regular file, or
 * resolved an allowed link to its target's real path: either way the last component was no link
 * then, so a link there now was put there since, and following it could sign or verify a file
 * outside the artifact (`/etc/shadow`) under a model's name.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

function openJobFileBlocking(file: ArtifactFile): number {
  let fd: number;
  try {
    fd = openSync(fileSystemPath(file.sourcePath), OPEN_FLAGS);
  } catch (error) {
    throw openFailure(error, file);
  }
  try {
    checkOpenedPath(fd, file);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

async function openJobFile(file: ArtifactFile): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(fileSystemPath(file.sourcePath), OPEN_FLAGS);
  } catch (error) {
    throw openFailure(error, file);
  }
  try {
    checkOpenedPath(handle.fd, file);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

/**
 * `O_NOFOLLOW` guards the last component only. The walk lists every file under its real path
 * (the artifact's real path joined with real names, or an allowed link's resolved target), so
 * the file the kernel opened must have exactly that path: a folder on the way swapped for a link
 * (`sub -> /etc`, before the walk listed it or since) opens another file, under another path,
 * even when its device and inode were taken through the same link. Linux names an open file in
 * `/proc/self/fd`; elsewhere the path is resolved again, which narrows the race to the open.
 */
function checkOpenedPath(fd: number, file: ArtifactFile): void {
  // One readlink per file and no copy: this runs for every small file hashed. A string path is
  // all UTF-8 (the walk keeps bytes for any other name), so comparing strings is exact.
  const path = fileSystemPath(file.sourcePath);
  const same = typeof path === 'string' ? openedPath(fd, file, () => realpathSync(path), (link) => readlinkSync(link)) === path : path.equals(openedPath(fd, file, () => realpathSync(path, { encoding: 'buffer' }), (link) => readlinkSync(link, { encoding: 'buffer' })));
  if (!same) throw fileReplaced(file, 'a file reached through a symbolic link (a folder on its path was replaced by one)');
}

/** Whether this system names open files in /proc/self/fd (Linux); learnt from the first file. */
let procFdAvailable: boolean | undefined;

function openedPath<T>(fd: number, file: ArtifactFile, resolveAgain: () => T, readLink: (link: string) => T): T {
  if (procFdAvailable !== false) {
    try {
      const opened = readLink(`/proc/self/fd/${String(fd)}`);
      procFdAvailable = true;
      return opened;
    } catch (error) {
      if (procFdAvailable === true) throw ioErrorFrom(error, file.name, 'check the opened path of');
      procFdAvailable = false;
    }
  }
  return resolveAgain();
}

function openFailure(error: unknown, file: ArtifactFile): AiprovError {
  // ELOOP: the last component is a symbolic link (O_NOFOLLOW), or a link put in the path since.
  if ((error as NodeJS.ErrnoException | undefined)?.code === 'ELOOP') return fileReplaced(file, 'a symbolic link');
  return ioErrorFrom(error, file.name, 'open');
}

/**
 * A file whose size or modification time changed since the walk listed it: its digest would be
 * of bytes that were never one consistent file, and must not be signed or trusted. Checked once
 * the bytes are read (one fstat per file, which the small-file rate depends on); the digest is
 * returned only after it passes.
 */
function checkUnchanged(after: Stats, file: ArtifactFile): void {
  const replaced = replacement(after, file);
  if (replaced !== undefined) throw replaced;
  if (after.size !== file.size) throw fileChanged(file, after.size > file.size ? 'grew' : 'shrank');
  if (after.mtimeMs !== file.mtimeMs) throw fileChanged(file, 'was modified');
}

/**
 * The error for an opened file that is not the one the walk listed (another device or inode:
 * renamed over it, or reached through a directory swapped for a link), or undefined. Also asked
 * after a failed read, which a replacement explains better than the read's own error (EISDIR).
 */
function replacement(opened: Stats | undefined, file: ArtifactFile): IOError | undefined {
  if (opened === undefined || (opened.isFile() && opened.dev === file.dev && opened.ino === file.ino)) return undefined;
  return fileReplaced(file, 'another file');
}

function statOrUndefined(stat: () => Stats): Stats | undefined {
  try {
    return stat();
  } catch {
    return undefined;
  }
}

function fileChanged(file: ArtifactFile, how: string): IOError {
  return new IOError('FILE_CHANGED_WHILE_HASHING', `${file.name} ${how} while it was being hashed`, { path: file.name });
}

/** The same condition as `fileChanged` (the artifact did not hold still), from a swap. */
function fileReplaced(file: ArtifactFile, by: string): IOError {
  return new IOError('FILE_CHANGED_WHILE_HASHING', `${file.name} was replaced by ${by} after it was listed; it is not hashed`, { path: file.name });
}
