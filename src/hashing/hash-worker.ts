/**
 * Entry point of a hashing worker thread (started by `pool.ts` from the compiled
 * `dist/hashing/hash-worker.js`). It hashes the batches it is sent, in order, and answers each
 * with the digests; a failure is sent back as data for the main thread to re-create.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { JobHasher } from './worker-hasher.js';
import { toTransferredError, type BatchMessage, type HashWorkerConfig, type IndexedJob, type WorkerMessage } from './worker-protocol.js';

/** Progress inside large jobs is sent at most every this many bytes: a few messages a second. */
const PROGRESS_INTERVAL_BYTES = 64 * 1024 * 1024;

const port = parentPort;
if (port === null) throw new Error('hash-worker.js must be started as a worker thread');
const config = workerData as HashWorkerConfig;
// Every core hashes (the main thread and one worker per other core): none is free for reads to
// overlap with, so they block between updates (see worker-hasher.ts).
const hasher = new JobHasher(config.hashType, { overlapReads: false });

const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []): void => {
  port.postMessage(message, transfer);
};

async function hashBatch(jobs: readonly IndexedJob[]): Promise<void> {
  const indices: number[] = [];
  const digests: Buffer[] = [];
  let unreported = 0;
  await hasher.hashJobs(jobs, {
    onChunk: (bytes) => {
      unreported += bytes;
      if (unreported >= PROGRESS_INTERVAL_BYTES) {
        post({ type: 'progress', bytes: unreported });
        unreported = 0;
      }
    },
    onJobDone: (index, digest, bytes) => {
      indices.push(index);
      digests.push(digest);
      unreported += bytes;
    },
  });
  // One buffer for the whole batch, moved rather than copied: a batch can hold hundreds of
  // small files, and one clone per digest would cost more than hashing them.
  const digestLength = digests[0]?.length ?? 0;
  const packed = new Uint8Array(digests.length * digestLength);
  digests.forEach((digest, position) => {
    packed.set(digest, position * digestLength);
  });
  post({ type: 'done', bytes: unreported, indices, digests: packed, digestLength }, [packed.buffer]);
}

// Batches run one after another (the pool sends the next before this one ends so the worker
// never waits for it); after a failure the rest is skipped, the pool terminates the worker.
let queue: Promise<void> = Promise.resolve();
let failed = false;
port.on('message', (message: BatchMessage) => {
  queue = queue.then(async () => {
    if (failed) return;
    try {
      await hashBatch(message.jobs);
    } catch (error) {
      failed = true;
      post({ type: 'failed', error: toTransferredError(error) });
    }
  });
});
