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
 * per file) lives until scavenged. V8 would let it grow to 48 MiB; with 8 the peak RSS of a
 * 100,000-file dataset is ~8 MiB lower per worker, at no measurable speed cost.
 */
const WORKER_YOUNG_GENERATION_MB = 8;
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
  options.signal?.throwIfAborted();
  if (jobs.length === 0) return new DigestTable(0);
  const workerUrl = options.workerUrl ?? defaultWorkerUrl();
  const threads = workerUrl === undefined ? 0 : (options.threads ?? chooseThreads(jobs));
  if (threads === 0 || workerUrl === undefined) return hashOnThisThread(jobs, options);
  return new WorkerRun(jobs, options, Math.min(threads, jobs.length), workerUrl).run();
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

/** How many workers the default strategy starts for these jobs (0: this thread alone). */
export function chooseThreads(jobs: readonly HashJob[], cores: number = availableParallelism()): number {
  // One job is one sequential hash: a worker could not make it faster than this thread.
  if (cores < 2 || jobs.length < 2) return 0;
  const totalBytes = jobs.reduce((sum, job) => sum + (job.end - job.start), 0);
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
function throttledProgress(options: HashJobsOptions, totalJobs: number): (bytesHashed: number, jobsDone: number) => void {
  const { onProgress } = options;
  if (onProgress === undefined) return () => undefined;
  let lastCall = Number.NEGATIVE_INFINITY;
  return (bytesHashed, jobsDone) => {
    const now = performance.now();
    if (jobsDone < totalJobs && now - lastCall < PROGRESS_INTERVAL_MS) return;
    lastCall = now;
    onProgress({ bytesHashed, jobsDone });
  };
}

async function hashOnThisThread(jobs: readonly HashJob[], options: HashJobsOptions): Promise<DigestTable> {
  const digests = new DigestTable(jobs.length);
  const report = throttledProgress(options, jobs.length);
  let bytesHashed = 0;
  let jobsDone = 0;
  await new JobHasher(options.hashType, { overlapReads: true }).hashJobs(
    jobs.map((job, index) => ({ index, job })),
    {
      onChunk: (bytes) => {
        bytesHashed += bytes;
        report(bytesHashed, jobsDone);
      },
      onJobDone: (index, digest, bytes) => {
        digests.set(index, digest);
        bytesHashed += bytes;
        jobsDone++;
        report(bytesHashed, jobsDone);
      },
    },
    options.signal,
  );
  return digests;
}

interface WorkerState {
  readonly worker: Worker;
  /** Batches sent and not yet answered, and their bytes. */
  batches: number;
  bytes: number;
}

/** One run of the pool: its workers live exactly as long as the run. */
class WorkerRun {
  private readonly digests: DigestTable;
  /** Job indices, largest first: the longest jobs start first, so no hasher ends far behind. */
  private readonly order: number[];
  private nextInOrder = 0;
  private bytesHashed = 0;
  private jobsDone = 0;
  private readonly workers: WorkerState[] = [];
  private settled = false;
  private readonly report: (bytesHashed: number, jobsDone: number) => void;
  private resolveRun: (digests: DigestTable) => void = () => undefined;
  private rejectRun: (error: unknown) => void = () => undefined;

  constructor(
    private readonly jobs: readonly HashJob[],
    private readonly options: HashJobsOptions,
    private readonly threads: number,
    private readonly workerUrl: URL,
  ) {
    this.digests = new DigestTable(jobs.length);
    this.report = throttledProgress(options, jobs.length);
    this.order = jobs.map((_, index) => index).sort((a, b) => jobSize(jobs[b]) - jobSize(jobs[a]) || a - b);
  }

  run(): Promise<DigestTable> {
    const done = new Promise<DigestTable>((resolve, reject) => {
      this.resolveRun = resolve;
      this.rejectRun = reject;
    });
    const { signal } = this.options;
    const onAbort = (): void => {
      this.finish(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const config: HashWorkerConfig = { hashType: this.options.hashType };
    for (let count = 0; count < this.threads && !this.settled; count++) this.start(config);
    this.hashOnThisThreadToo().catch((error: unknown) => {
      this.finish(error);
    });
    return done.finally(() => signal?.removeEventListener('abort', onAbort));
  }

  private start(config: HashWorkerConfig): void {
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
    this.feed(state);
  }

  /**
   * This thread hashes too, taking batches like a worker: it can start at once, while a worker
   * takes ~0.1 s to start (a new V8 isolate loading its modules), and it is one isolate fewer in
   * memory. It reads in blocking slices and yields between them, so worker messages wait at most
   * one slice.
   */
  private async hashOnThisThreadToo(): Promise<void> {
    const hasher = new JobHasher(this.options.hashType, { overlapReads: false });
    for (let batch = this.takeBatch(); batch.length > 0 && !this.settled; batch = this.takeBatch()) {
      await hasher.hashJobs(
        batch,
        {
          onChunk: (bytes) => {
            this.addProgress(bytes, 0);
          },
          onJobDone: (index, digest, bytes) => {
            this.digests.set(index, digest);
            this.addProgress(bytes, 1);
          },
        },
        this.options.signal,
      );
      if (this.jobsDone === this.jobs.length) this.finish();
    }
  }

  private receive(state: WorkerState, message: WorkerMessage): void {
    if (this.settled) return;
    switch (message.type) {
      case 'progress':
        this.addProgress(message.bytes, 0);
        return;
      case 'done': {
        message.indices.forEach((index, position) => {
          const start = position * message.digestLength;
          this.digests.set(index, message.digests.subarray(start, start + message.digestLength));
        });
        state.batches--;
        state.bytes = 0;
        this.addProgress(message.bytes, message.indices.length);
        if (this.jobsDone === this.jobs.length) this.finish();
        else this.feed(state);
        return;
      }
      case 'failed':
        this.finish(fromTransferredError(message.error));
        return;
    }
  }

  private addProgress(bytes: number, jobs: number): void {
    this.bytesHashed += bytes;
    this.jobsDone += jobs;
    this.report(this.bytesHashed, this.jobsDone);
  }

  private feed(state: WorkerState): void {
    while (this.nextInOrder < this.order.length && (state.batches === 0 || (state.batches === 1 && state.bytes < PREFETCH_MAX_BYTES))) {
      const batch = this.takeBatch();
      state.batches++;
      state.bytes += batch.reduce((sum, item) => sum + jobSize(item.job), 0);
      const message: BatchMessage = { type: 'batch', jobs: batch };
      state.worker.postMessage(message);
    }
  }

  /** The next jobs in size order, as many as fit a batch; fewer near the end to keep workers even. */
  private takeBatch(): IndexedJob[] {
    const remaining = this.order.length - this.nextInOrder;
    const maxJobs = Math.max(1, Math.min(BATCH_MAX_JOBS, Math.floor(remaining / ((this.threads + 1) * 4))));
    const batch: IndexedJob[] = [];
    let bytes = 0;
    while (this.nextInOrder < this.order.length && batch.length < maxJobs) {
      const index = this.order[this.nextInOrder] as number;
      const job = this.jobs[index] as HashJob;
      if (batch.length > 0 && bytes + jobSize(job) > BATCH_MAX_BYTES) break;
      batch.push({ index, job });
      bytes += jobSize(job);
      this.nextInOrder++;
    }
    return batch;
  }

  /** Ends the run once: with the digests, or with an error. Either way every worker is stopped. */
  private finish(error?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    const stopped = Promise.all(this.workers.map(({ worker }) => worker.terminate()));
    void stopped.then(
      () => {
        if (error === undefined) this.resolveRun(this.digests);
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
