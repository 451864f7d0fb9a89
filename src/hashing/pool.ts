import { hashJob, type HashJob, type HashJobsOptions } from './hash-jobs.js';

const JOBS_IN_FLIGHT = 16;

/**
 * Hashes jobs with several reads in flight; digests come back in job order.
 */
export async function hashJobs(jobs: readonly HashJob[], options: HashJobsOptions): Promise<Buffer[]> {
  const digests = new Array<Buffer>(jobs.length);
  let next = 0;
  let bytesHashed = 0;
  let jobsDone = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      options.signal?.throwIfAborted();
      const index = next++;
      const job = jobs[index];
      if (job === undefined) return;
      digests[index] = await hashJob(job, options.hashType);
      bytesHashed += job.end - job.start;
      jobsDone++;
      options.onProgress?.({ bytesHashed, jobsDone });
    }
  };
  await Promise.all(Array.from({ length: Math.min(JOBS_IN_FLIGHT, jobs.length) }, worker));
  return digests;
}
