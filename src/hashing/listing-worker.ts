/**
 * Entry point of the listing worker (started by `artifact-hashing.ts` from the compiled
 * `dist/hashing/listing-worker.js`): it walks an artifact of many files, hashes it through the
 * pool (whose hashing workers it starts) and sends the digests back in OMS order, in batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { hashArtifactStream, type HashedResource } from './artifact-hashing.js';
import { toTransferredError, type ListingWorkerConfig, type ListingWorkerMessage } from './worker-protocol.js';

/** Resources per message: one message per thousand files costs nothing next to hashing them. */
const RESOURCES_PER_MESSAGE = 1024;

const port = parentPort;
if (port === null) throw new Error('listing-worker.js must be started as a worker thread');
const config = workerData as ListingWorkerConfig;

const post = (message: ListingWorkerMessage, transfer: ArrayBuffer[] = []): void => {
  port.postMessage(message, transfer);
};

// The batch being filled: digests packed as they come (no object per resource), and the names
// and ranges only when the caller wants them.
const names: string[] = [];
const starts: number[] = [];
const ends: number[] = [];
let digests: Buffer | undefined;
let digestLength = 0;
let count = 0;

const add = (resource: HashedResource): void => {
  digestLength = resource.digest.length;
  digests ??= Buffer.allocUnsafe(RESOURCES_PER_MESSAGE * digestLength);
  digests.set(resource.digest, count * digestLength);
  count++;
  if (!config.digestsOnly) {
    names.push(resource.file);
    starts.push(resource.start);
    ends.push(resource.end);
  }
  if (count === RESOURCES_PER_MESSAGE) flush();
};

const flush = (): void => {
  if (count === 0 || digests === undefined) return;
  const packed = new Uint8Array(digests.subarray(0, count * digestLength));
  post({ type: 'resources', count, files: names.splice(0), starts: starts.splice(0), ends: ends.splice(0), digests: packed, digestLength }, [packed.buffer]);
  count = 0;
};

try {
  await hashArtifactStream(config.artifactPath, config.walkOptions, {
    hashType: config.hashType,
    shardSize: config.shardSize,
    // This thread is the listing worker: it never hands the walk on again.
    listingWorker: false,
    onResource: add,
    ...(config.progress
      ? {
          onProgress: (progress) => {
            post({ type: 'progress', progress });
          },
        }
      : {}),
  });
  flush();
  post({ type: 'done' });
} catch (error) {
  post({ type: 'failed', error: toTransferredError(error) });
}
