import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AiprovError, InternalError } from '../errors.js';
import type { HashJob, HashJobsOptions } from './hash-jobs.js';
import { JobHasher } from './worker-hasher.js';
import { fromTransferredError, type BatchMessage, type HashWorkerConfig, type IndexedJob, type WorkerMessage } from './worker-protocol.js';

/**
 * Hashes jobs as fast as the machine allows, with digests in job order (what `compute.ts` and
 * every verifier expect). Equal, job for job, to the single-threaded reference hasher of the
 * tests (`test/support/reference-hasher.ts`): same digests, same change detection, same errors.
 *
 * Small work stays on this thread, because starting a worker costs ~60 ms and the CLI's
 * start-up matters. Larger work is shared, largest jobs first, by this thread and one worker per
 * other core: this thread starts hashing at once instead of waiting for the workers, and each
 * job, a whole file or a shard, is one sequential hash on one thread. Memory is bounded by each
 * hasher's buffers, a few batches of job descriptions and the digests, whatever the sizes.
 */

export interface HashPoolOptions extends HashJobsOptions {
  /**
   * Worker threads hashing beside this one; 0 hashes on this thread alone. Default: one per
   * other core when the work is large enough to pay for their start-up (see `chooseThreads`).
   */
  readonly threads?: number;
  /** The worker entry point; defaults to the compiled `hash-worker.js` beside this module. */
  readonly workerUrl?: URL;
}

/** Below this much work, hashing on this thread finishes before workers would have started. */
export const WORKERS_MIN_BYTES = 64 * 1024 * 1024;
/** …unless there are this many jobs: per-file latency then dominates and parallelises well. */
export const WORKERS_MIN_JOBS = 2_000;
/**
 * A worker's young generation, where the garbage of hashing (a hash object, a stat and a view
 * per file) lives until scavenged. V8 would let it grow to 48 MiB; with 2 the peak RSS of a
 * 100,000-file dataset is ~15 MiB lower per worker, at no measurable speed cost (3.52 s at 4,
 * 3.54 s at 2).
 */
const WORKER_YOUNG_GENERATION_MB = 2;
/** A batch sent to a worker holds jobs up to this many bytes (a large job goes alone)… */
const BATCH_MAX_BYTES = 16 * 1024 * 1024;
/** …and at most this many jobs, so the message round trip is paid once per many small files. */
const BATCH_MAX_JOBS = 512;
/**
 * A worker gets its next batch before finishing the current one only while it holds less than
 * this: small batches must not wait for a round trip, but a queued large job could not be
 * handed to another worker that becomes free first.
 */
const PREFETCH_MAX_BYTES = 32 * 1024 * 1024;
/** Progress is reported at most this often (a progress bar redraws ten times a second). */
const PROGRESS_INTERVAL_MS = 50;

export async function hashJobs(jobs: readonly HashJob[], options: HashPoolOptions): Promise<Buffer[]> {
  return (await hashJobsToTable(jobs, options)).toBuffers();
}

/** `hashJobs` without one Buffer per digest: for artifacts of very many files. */
export async function hashJobsToTable(jobs: readonly HashJob[], options: HashPoolOptions): Promise<DigestTable> {
  const digests = new DigestTable(jobs.length);
  await hashJobStream(jobs, {
    ...options,
    onDigest: (index, digest) => {
      digests.set(index, digest);
    },
  });
  return digests;
}

export interface JobStreamOptions extends HashPoolOptions {
  /** Called once per job with its digest, in job order. The digest may be a view: copy to keep it. */
  readonly onDigest: (index: number, digest: Buffer) => void;
  /** Called as jobs are taken from the stream: how many, and their bytes, so far. */
  readonly onListed?: (jobsListed: number, bytesListed: number, complete: boolean) => void;
}

/**
 * Hashes jobs as they come (from a walk still under way), with memory bounded by a window of
 * jobs rather than by the artifact: at most STREAM_WINDOW_JOBS jobs are listed and not yet reported.
 * Digests are reported in job order, so a caller can fold them into a root digest and keep
 * nothing per file. Returns the number of jobs.
 */
export async function hashJobStream(jobs: AsyncIterable<HashJob> | Iterable<HashJob>, options: JobStreamOptions): Promise<number> {
  options.signal?.throwIfAborted();
  const feed = new JobFeed(jobs, options);
  // A window's worth first: an artifact of fewer jobs (most models) is listed whole, so threads
  // are chosen, and the largest job started first, knowing all of it; a larger one has enough
  // jobs to keep a hasher per core busy.
  await feed.fillUntil();
  if (feed.listedJobs === 0) return 0;
  const workerUrl = options.workerUrl ?? defaultWorkerUrl();
  // More jobs than a window: this thread lists, hands out jobs and hashes, beside a worker per
  // other core (what `chooseThreads` gives for that many jobs).
  const threads = workerUrl === undefined ? 0 : (options.threads ?? (feed.complete ? chooseThreads(feed.pendingJobs()) : availableParallelism() - 1));
  return new HashRun(feed, options, Math.min(threads, feed.listedJobs), threads === 0 ? undefined : workerUrl).run();
}

/**
 * Jobs listed and not yet reported (waiting, being hashed, or hashed out of order) stay below
 * this: with a walk that runs ahead, the memory of a million-file artifact would be its listing.
 * At least WORKERS_MIN_JOBS, so the first window decides as the whole listing would (see
 * `hashJobStream`). A larger window costs memory, not speed: 8,192 jobs peaked ~15 MiB higher
 * on 100,000 files, every job object living long enough to be promoted to V8's old generation
 * before it is collected.
 */
export const STREAM_WINDOW_JOBS = 2_048;

/**
 * Jobs between the stream and the hashers: pulled from the stream while the window has room,
 * handed out largest first (the longest jobs start first, so no hasher ends far behind), and
 * their digests reported in job order.
 */
class JobFeed {
  private readonly iterator: AsyncIterator<HashJob> | Iterator<HashJob>;
  /** Listed, not yet handed to a hasher; largest first. */
  private pending: IndexedJob[] = [];
  private pendingSorted = true;
  /** Hashed out of order, waiting for an earlier job. */
  private readonly early = new Map<number, Buffer>();
  listedJobs = 0;
  listedBytes = 0;
  reported = 0;
  complete = false;
  private pulling: Promise<void> | undefined;

  constructor(
    jobs: AsyncIterable<HashJob> | Iterable<HashJob>,
    private readonly options: JobStreamOptions,
  ) {
    this.iterator = Symbol.asyncIterator in jobs ? jobs[Symbol.asyncIterator]() : jobs[Symbol.iterator]();
  }

  get waiting(): number {
    return this.pending.length;
  }

  /** Lists jobs until the window is full or the stream ends. */
  async fillUntil(): Promise<void> {
    while (!this.complete && this.listedJobs - this.reported < STREAM_WINDOW_JOBS) {
      const next = await this.iterator.next();
      if (next.done === true) {
        this.complete = true;
        break;
      }
      const job = next.value;
      this.pending.push({ index: this.listedJobs, job });
      this.pendingSorted = false;
      this.listedJobs++;
      this.listedBytes += jobSize(job);
    }
    this.options.onListed?.(this.listedJobs, this.listedBytes, this.complete);
  }

  /** One pull at a time, shared by every hasher waiting for jobs. */
  refill(): Promise<void> {
    this.pulling ??= this.fillUntil().finally(() => {
      this.pulling = undefined;
    });
    return this.pulling;
  }

  pendingJobs(): HashJob[] {
    return this.pending.map((item) => item.job);
  }

  /** The next jobs, largest first, as many as fit a batch; fewer near the end to keep hashers even. */
  takeBatch(hashers: number): IndexedJob[] {
    if (!this.pendingSorted) {
      // Ascending, so the largest is taken from the end: taking is then O(1).
      this.pending.sort((a, b) => jobSize(a.job) - jobSize(b.job) || b.index - a.index);
      this.pendingSorted = true;
    }
    const remaining = this.pending.length;
    const maxJobs = Math.max(1, Math.min(BATCH_MAX_JOBS, Math.floor(remaining / (hashers * 4))));
    const batch: IndexedJob[] = [];
    let bytes = 0;
    while (this.pending.length > 0 && batch.length < maxJobs) {
      const next = this.pending[this.pending.length - 1] as IndexedJob;
      if (batch.length > 0 && bytes + jobSize(next.job) > BATCH_MAX_BYTES) break;
      batch.push(next);
      this.pending.pop();
      bytes += jobSize(next.job);
    }
    return batch;
  }

  /** Records a digest; reports it and every digest it was holding back, in job order. */
  done(index: number, digest: Buffer): void {
    if (index !== this.reported) {
      this.early.set(index, Buffer.from(digest));
      return;
    }
    this.options.onDigest(index, digest);
    this.reported++;
    for (let next = this.early.get(this.reported); next !== undefined; next = this.early.get(this.reported)) {
      this.early.delete(this.reported);
      this.options.onDigest(this.reported, next);
      this.reported++;
    }
  }

  get finished(): boolean {
    return this.complete && this.reported === this.listedJobs;
  }
}

/**
 * The digests of a run, in job order, back to back in one buffer. A Buffer per digest costs
 * ~450 bytes (a typed array, an array buffer, a backing store): 45 MiB for a dataset of 100,000
 * files, against 3 MiB here.
 */
export class DigestTable {
  private bytes: Buffer | undefined;
  private digestLength = 0;

  constructor(readonly count: number) {}

  set(index: number, digest: Uint8Array): void {
    if (this.bytes === undefined) {
      // Every digest of a run has the same length (one hash type).
      this.digestLength = digest.length;
      this.bytes = Buffer.alloc(this.count * digest.length);
    }
    this.bytes.set(digest, index * this.digestLength);
  }

  /** Digest `index` as a view into the table. */
  get(index: number): Buffer {
    const start = index * this.digestLength;
    return (this.bytes ?? Buffer.alloc(0)).subarray(start, start + this.digestLength);
  }

  hex(index: number): string {
    const start = index * this.digestLength;
    return (this.bytes ?? Buffer.alloc(0)).toString('hex', start, start + this.digestLength);
  }

  toBuffers(): Buffer[] {
    return Array.from({ length: this.count }, (_, index) => this.get(index));
  }
}

/**
 * How many workers the default strategy starts for these jobs (0: this thread alone): one per
 * other core. Not more, even for a few large jobs that one thread per core cannot share evenly
 * (5 shards on 2 cores leave one core hashing the fifth alone): one hasher per shard, time-shared
 * by the kernel, measured 2.52–2.72 GB/s on a 4 GiB file against 2.57–2.76 for two hashers,
 * and 2.40–2.46 against 2.49–2.52 on four 1 GiB files; the switching costs what it evens out.
 */
export function chooseThreads(jobs: readonly HashJob[], cores: number = availableParallelism()): number {
  // One job is one sequential hash: a worker could not make it faster than this thread.
  if (cores < 2 || jobs.length < 2) return 0;
  const totalBytes = jobs.reduce((sum, job) => sum + jobSize(job), 0);
  if (totalBytes < WORKERS_MIN_BYTES && jobs.length < WORKERS_MIN_JOBS) return 0;
  // One core is this thread's: it hashes too.
  return Math.min(cores, jobs.length) - 1;
}

/**
 * The compiled worker beside this module, or undefined when there is none to start: when this
 * module runs from its TypeScript source (vitest), whose worker Node 20 cannot load, or from a
 * bundle that left the worker file out. Hashing then stays on this thread, with the same result.
 */
export function defaultWorkerUrl(moduleUrl: string = import.meta.url): URL | undefined {
  if (!moduleUrl.startsWith('file:') || !moduleUrl.endsWith('.js')) return undefined;
  const url = new URL('./hash-worker.js', moduleUrl);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

/**
 * `onProgress`, called at most every PROGRESS_INTERVAL_MS and always for the last job: a
 * dataset of 100,000 files must not make 100,000 calls to redraw one progress bar.
 */
function throttledProgress(options: HashJobsOptions, feed: JobFeed): (bytesHashed: number, jobsDone: number) => void {
  const { onProgress } = options;
  if (onProgress === undefined) return () => undefined;
  let lastCall = Number.NEGATIVE_INFINITY;
  return (bytesHashed, jobsDone) => {
    const now = performance.now();
    if (!(feed.complete && jobsDone === feed.listedJobs) && now - lastCall < PROGRESS_INTERVAL_MS) return;
    lastCall = now;
    onProgress({ bytesHashed, jobsDone });
  };
}

interface WorkerState {
  readonly worker: Worker;
  /** Batches sent and not yet answered, and their bytes. */
  batches: number;
  bytes: number;
}

/**
 * One run of the pool: this thread hashes, with `workers` worker threads beside it; the workers
 * live exactly as long as the run.
 */
class HashRun {
  private bytesHashed = 0;
  private jobsDone = 0;
  private readonly workers: WorkerState[] = [];
  private settled = false;
  /** Set while this thread waits for a worker to report (see `hashOnThisThread`). */
  private wakeThisThread: (() => void) | undefined;
  private readonly report: (bytesHashed: number, jobsDone: number) => void;
  private resolveRun: (count: number) => void = () => undefined;
  private rejectRun: (error: unknown) => void = () => undefined;

  constructor(
    private readonly feed: JobFeed,
    private readonly options: HashJobsOptions,
    private readonly workerCount: number,
    private readonly workerUrl: URL | undefined,
  ) {
    this.report = throttledProgress(options, feed);
  }

  run(): Promise<number> {
    const done = new Promise<number>((resolve, reject) => {
      this.resolveRun = resolve;
      this.rejectRun = reject;
    });
    const { signal } = this.options;
    const onAbort = (): void => {
      this.finish(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const config: HashWorkerConfig = { hashType: this.options.hashType };
    for (let count = 0; count < this.workerCount && !this.settled; count++) this.start(config);
    this.hashOnThisThread().catch((error: unknown) => {
      this.finish(error);
    });
    return done.finally(() => signal?.removeEventListener('abort', onAbort));
  }

  private get hashers(): number {
    return this.workerCount + 1;
  }

  private start(config: HashWorkerConfig): void {
    if (this.workerUrl === undefined) return;
    let worker: Worker;
    try {
      // No inherited Node flags: the worker needs none, and some break it (`--input-type` is
      // refused for a file entry point; `--import` loaders would run again in every worker).
      worker = new Worker(this.workerUrl, { workerData: config, execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    } catch (error) {
      this.finish(workerFailed(`cannot start a hashing worker: ${describe(error)}`, error));
      return;
    }
    const state: WorkerState = { worker, batches: 0, bytes: 0 };
    this.workers.push(state);
    worker.on('message', (message: WorkerMessage) => {
      this.receive(state, message);
    });
    worker.on('error', (error) => {
      this.finish(workerFailed(`a hashing worker crashed: ${describe(error)}`, error));
    });
    worker.on('messageerror', (error) => {
      this.finish(workerFailed(`a hashing worker sent an unreadable message: ${describe(error)}`, error));
    });
    worker.on('exit', (exitCode) => {
      this.finish(workerFailed(`a hashing worker exited unexpectedly with code ${String(exitCode)}`));
    });
    // Sent now, queued until the worker has loaded: it starts hashing the moment it can.
    this.feedWorker(state);
  }

  /**
   * This thread hashes too, taking batches like a worker: it can start at once, while a worker
   * takes ~0.1 s to start (a new V8 isolate loading its modules), and it is one isolate fewer in
   * memory. Beside workers it reads in blocking slices and yields between them, so worker
   * messages wait at most one slice; alone, it overlaps its reads with hashing (see
   * worker-hasher.ts). It also pulls the listing forward when the hashers run short of jobs.
   */
  private async hashOnThisThread(): Promise<void> {
    const hasher = new JobHasher(this.options.hashType, { overlapReads: this.workerCount === 0 });
    while (!this.settled) {
      if (this.feed.waiting < this.hashers * BATCH_MAX_JOBS && !this.feed.complete) {
        await this.feed.refill();
        this.feedIdleWorkers();
      }
      const batch = this.feed.takeBatch(this.hashers);
      if (batch.length === 0) {
        if (this.feed.finished) this.finish();
        if (this.feed.complete) return;
        // Every listed job is out with a worker and the window is full: wait for one to report.
        await new Promise<void>((resolve) => {
          this.wakeThisThread = resolve;
        });
        continue;
      }
      await hasher.hashJobs(
        batch,
        {
          onChunk: (bytes) => {
            this.addProgress(bytes, 0);
          },
          onJobDone: (index, digest, bytes) => {
            this.feed.done(index, digest);
            this.addProgress(bytes, 1);
          },
        },
        this.options.signal,
      );
      if (this.feed.finished) this.finish();
    }
  }

  private receive(state: WorkerState, message: WorkerMessage): void {
    if (this.settled) return;
    switch (message.type) {
      case 'progress':
        this.addProgress(message.bytes, 0);
        return;
      case 'done': {
        const digests = Buffer.from(message.digests.buffer, message.digests.byteOffset, message.digests.byteLength);
        message.indices.forEach((index, position) => {
          const start = position * message.digestLength;
          this.feed.done(index, digests.subarray(start, start + message.digestLength));
        });
        state.batches--;
        state.bytes = 0;
        this.addProgress(message.bytes, message.indices.length);
        this.wake();
        if (this.feed.finished) this.finish();
        else this.feedWorker(state);
        return;
      }
      case 'failed':
        this.finish(fromTransferredError(message.error));
        return;
    }
  }

  private wake(): void {
    const wake = this.wakeThisThread;
    this.wakeThisThread = undefined;
    wake?.();
  }

  private addProgress(bytes: number, jobs: number): void {
    this.bytesHashed += bytes;
    this.jobsDone += jobs;
    this.report(this.bytesHashed, this.jobsDone);
  }

  private feedIdleWorkers(): void {
    for (const state of this.workers) this.feedWorker(state);
  }

  private feedWorker(state: WorkerState): void {
    while (this.feed.waiting > 0 && (state.batches === 0 || (state.batches === 1 && state.bytes < PREFETCH_MAX_BYTES))) {
      const batch = this.feed.takeBatch(this.hashers);
      state.batches++;
      state.bytes += batch.reduce((sum, item) => sum + jobSize(item.job), 0);
      const message: BatchMessage = { type: 'batch', jobs: batch };
      state.worker.postMessage(message);
    }
  }

  /** Ends the run once: with the count, or with an error. Either way every worker is stopped. */
  private finish(error?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.wake();
    const stopped = Promise.all(this.workers.map(({ worker }) => worker.terminate()));
    void stopped.then(
      () => {
        if (error === undefined) this.resolveRun(this.feed.listedJobs);
        else this.rejectRun(error);
      },
      (terminateError: unknown) => {
        this.rejectRun(error ?? workerFailed(`cannot stop a hashing worker: ${describe(terminateError)}`, terminateError));
      },
    );
  }
}

function jobSize(job: HashJob | undefined): number {
  return job === undefined ? 0 : job.end - job.start;
}

function workerFailed(message: string, cause?: unknown): AiprovError {
  return new InternalError('HASH_WORKER_FAILED', message, cause === undefined ? {} : { cause });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
