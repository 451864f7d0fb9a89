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

let batch: HashedResource[] = [];
const flush = (): void => {
  if (batch.length === 0) return;
  const digestLength = batch[0]?.digest.length ?? 0;
  const digests = new Uint8Array(batch.length * digestLength);
  batch.forEach((resource, position) => {
    digests.set(resource.digest, position * digestLength);
  });
  post({ type: 'resources', files: batch.map((resource) => resource.file), starts: batch.map((resource) => resource.start), ends: batch.map((resource) => resource.end), digests, digestLength }, [digests.buffer]);
  batch = [];
};

try {
  await hashArtifactStream(config.artifactPath, config.walkOptions, {
    hashType: config.hashType,
    shardSize: config.shardSize,
    // This thread is the listing worker: it never hands the walk on again.
    listingWorker: false,
    onResource: (resource) => {
      batch.push({ ...resource, digest: Buffer.from(resource.digest) });
      if (batch.length >= RESOURCES_PER_MESSAGE) flush();
    },
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
