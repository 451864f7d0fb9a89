import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InputError, InternalError, IOError, PolicyError, VerificationError } from '../../src/errors.js';
import { planHashJobs, type HashJob } from '../../src/hashing/hash-jobs.js';
import { hashJobsSequentially } from '../support/reference-hasher.js';
import { HASH_TYPES } from '../../src/hashing/hash-type.js';
import { chooseThreads, defaultWorkerUrl, hashJobs, hashJobsToTable, WORKERS_MIN_BYTES, WORKERS_MIN_JOBS, type HashPoolOptions } from '../../src/hashing/pool.js';
import { walkArtifact } from '../../src/hashing/walk.js';
import { READ_CHUNK_SIZE, SMALL_JOB_SIZE } from '../../src/hashing/worker-hasher.js';
import { fromTransferredError, toTransferredError } from '../../src/hashing/worker-protocol.js';
import { REPO_ROOT } from '../support/paths.js';

// Every worker the pool starts, to check that none outlives a run.
const startedWorkers = vi.hoisted(() => [] as Worker[]);
vi.mock('node:worker_threads', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:worker_threads')>();
  class TrackedWorker extends original.Worker {
    constructor(...args: ConstructorParameters<typeof original.Worker>) {
      super(...args);
      startedWorkers.push(this);
    }
  }
  return { ...original, Worker: TrackedWorker };
});

// The compiled worker: vitest's global setup builds dist/ from these sources before any test,
// and Node 20 cannot start a worker from a .ts file.
const DIST = join(REPO_ROOT, 'dist');
const WORKER_URL = pathToFileURL(join(DIST, 'hashing', 'hash-worker.js'));

/** The ways the pool hashes; each must equal the sequential reference exactly. */
const MODES: readonly { readonly name: string; readonly options: Pick<HashPoolOptions, 'threads' | 'workerUrl'> }[] = [
  { name: 'this thread alone', options: { threads: 0 } },
  { name: 'this thread and one worker', options: { threads: 1, workerUrl: WORKER_URL } },
  { name: 'this thread and two workers', options: { threads: 2, workerUrl: WORKER_URL } },
];

let root: string;
let artifact: string;

/** Deterministic bytes, different for every file (a shared pattern could hide a mix-up). */
function content(seed: number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  let state = (seed * 2_654_435_761) >>> 0 || 1;
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'aiprov-pool-'));
  artifact = join(root, 'model');
  mkdirSync(join(artifact, 'shards', 'deeper'), { recursive: true });
  writeFileSync(join(artifact, 'empty.bin'), '');
  // Larger than both read buffers together, and not a multiple of the chunk size.
  writeFileSync(join(artifact, 'weights.bin'), content(1, 2 * READ_CHUNK_SIZE + 12_345));
  writeFileSync(join(artifact, 'at-small-limit.bin'), content(2, SMALL_JOB_SIZE));
  writeFileSync(join(artifact, 'past-small-limit.bin'), content(3, SMALL_JOB_SIZE + 1));
  for (let index = 0; index < 300; index++) {
    writeFileSync(join(artifact, 'shards', index % 3 === 0 ? 'deeper' : '', `part-${String(index)}.json`), content(100 + index, (index * 977) % 9_000));
  }
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

async function jobsOf(path: string, shardSize?: number): Promise<HashJob[]> {
  const listing = await walkArtifact(path, { ignorePaths: [], allowSymlinks: false });
  return planHashJobs(listing.files, shardSize);
}

function hex(digests: readonly Buffer[]): string[] {
  return digests.map((digest) => digest.toString('hex'));
}

function expectAllWorkersStopped(): void {
  // threadId becomes -1 once a worker has exited.
  expect(startedWorkers.map((worker) => worker.threadId)).toEqual(startedWorkers.map(() => -1));
}

describe('hashJobs equals the sequential reference', () => {
  for (const mode of MODES) {
    for (const hashType of HASH_TYPES) {
      for (const [method, shardSize] of [
        ['files', undefined],
        ['shards of 1 MiB + 7', 1024 * 1024 + 7],
        ['shards of 64 KiB + 1', 65_537],
      ] as const) {
        it(`${mode.name}, ${hashType}, ${method}`, async () => {
          const jobs = await jobsOf(artifact, shardSize);
          const expected = await hashJobsSequentially(jobs, { hashType });
          const digests = await hashJobs(jobs, { hashType, ...mode.options });
          expect(hex(digests)).toEqual(hex(expected));
          expectAllWorkersStopped();
        });
      }
    }
  }

  it('hashes a single file artifact and an empty job list', async () => {
    const jobs = await jobsOf(join(artifact, 'weights.bin'));
    expect(jobs).toHaveLength(1);
    for (const mode of MODES) {
      expect(hex(await hashJobs(jobs, { hashType: 'sha256', ...mode.options }))).toEqual(hex(await hashJobsSequentially(jobs, { hashType: 'sha256' })));
      expect(await hashJobs([], { hashType: 'sha256', ...mode.options })).toEqual([]);
    }
  });

  it('gives the same digests as one table, by index and as hex', async () => {
    const jobs = await jobsOf(artifact, 1024 * 1024);
    const expected = await hashJobsSequentially(jobs, { hashType: 'blake2b' });
    for (const mode of MODES) {
      const table = await hashJobsToTable(jobs, { hashType: 'blake2b', ...mode.options });
      expect(table.count).toBe(jobs.length);
      expect(jobs.map((_, index) => table.hex(index))).toEqual(hex(expected));
      expect(hex(jobs.map((_, index) => table.get(index)))).toEqual(hex(expected));
    }
  });

  it('reports progress up to every byte and every job', async () => {
    const jobs = await jobsOf(artifact, 3 * 1024 * 1024);
    const totalBytes = jobs.reduce((sum, job) => sum + job.end - job.start, 0);
    for (const mode of MODES) {
      const seen: { bytesHashed: number; jobsDone: number }[] = [];
      await hashJobs(jobs, { hashType: 'sha256', ...mode.options, onProgress: (progress) => seen.push(progress) });
      expect(seen.at(-1)).toEqual({ bytesHashed: totalBytes, jobsDone: jobs.length });
      for (let index = 1; index < seen.length; index++) {
        const [before, after] = [seen[index - 1], seen[index]];
        expect(after?.bytesHashed).toBeGreaterThanOrEqual(before?.bytesHashed ?? 0);
        expect(after?.jobsDone).toBeGreaterThanOrEqual(before?.jobsDone ?? 0);
      }
    }
  });
});

describe('choosing where to hash', () => {
  const job = (size: number): HashJob => ({ file: { name: 'f', sourcePath: '/f', size, mtimeMs: 0, dev: 0, ino: 0 }, start: 0, end: size });

  it('stays on this thread for small work, one job, or one core', () => {
    expect(chooseThreads([job(1000), job(1000)], 8)).toBe(0);
    expect(chooseThreads([job(10 * WORKERS_MIN_BYTES)], 8)).toBe(0);
    expect(chooseThreads([job(WORKERS_MIN_BYTES), job(WORKERS_MIN_BYTES)], 1)).toBe(0);
  });

  it('uses this thread and one worker per other core for large work or many files, never more hashers than jobs', () => {
    expect(chooseThreads([job(WORKERS_MIN_BYTES), job(1)], 8)).toBe(1);
    expect(chooseThreads(Array.from({ length: WORKERS_MIN_JOBS }, () => job(10)), 8)).toBe(7);
    expect(chooseThreads(Array.from({ length: 5 }, () => job(WORKERS_MIN_BYTES)), 4)).toBe(3);
    expect(chooseThreads(Array.from({ length: 5 }, () => job(WORKERS_MIN_BYTES)), 2)).toBe(1);
  });

  it('finds the compiled worker beside the compiled pool, and none beside the TypeScript source', () => {
    expect(defaultWorkerUrl(pathToFileURL(join(DIST, 'hashing', 'pool.js')).href)?.href).toBe(WORKER_URL.href);
    expect(defaultWorkerUrl(pathToFileURL(join(REPO_ROOT, 'src', 'hashing', 'pool.ts')).href)).toBeUndefined();
    expect(defaultWorkerUrl(pathToFileURL(join(root, 'bundle.js')).href)).toBeUndefined();
  });

  it('runs workers from the compiled dist/ with no help (a separate Node process)', async () => {
    const jobs = await jobsOf(artifact, 1024 * 1024);
    const expected = hex(await hashJobsSequentially(jobs, { hashType: 'blake3' }));
    const script = `
      const { walkArtifact } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'hashing', 'walk.js')).href)});
      const { planHashJobs } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'hashing', 'hash-jobs.js')).href)});
      const { hashJobs, defaultWorkerUrl } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'hashing', 'pool.js')).href)});
      const listing = await walkArtifact(${JSON.stringify(artifact)}, { ignorePaths: [], allowSymlinks: false });
      const digests = await hashJobs(planHashJobs(listing.files, 1024 * 1024), { hashType: 'blake3', threads: 2 });
      console.log(JSON.stringify({ worker: defaultWorkerUrl()?.href, digests: digests.map((d) => d.toString('hex')) }));
    `;
    const output = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { worker: string; digests: string[] };
    expect(output.worker).toBe(WORKER_URL.href);
    expect(output.digests).toEqual(expected);
  });
});

describe('files that change while they are hashed', () => {
  for (const mode of MODES) {
    it(`${mode.name}: a file that shrank is FILE_CHANGED_WHILE_HASHING`, async () => {
      const dir = mkdtempSync(join(root, 'shrink-'));
      writeFileSync(join(dir, 'a.bin'), content(7, 3 * READ_CHUNK_SIZE));
      writeFileSync(join(dir, 'b.bin'), content(8, 1000));
      const jobs = await jobsOf(dir);
      truncateSync(join(dir, 'a.bin'), READ_CHUNK_SIZE);
      const error = await hashJobs(jobs, { hashType: 'sha256', ...mode.options }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(IOError);
      expect(error).toMatchObject({ code: 'FILE_CHANGED_WHILE_HASHING', path: 'a.bin', category: 'io' });
      expectAllWorkersStopped();
    });

    it(`${mode.name}: a small file that grew is FILE_CHANGED_WHILE_HASHING`, async () => {
      const dir = mkdtempSync(join(root, 'grow-'));
      writeFileSync(join(dir, 'a.bin'), content(7, 100));
      writeFileSync(join(dir, 'b.bin'), content(8, 1000));
      const jobs = await jobsOf(dir);
      appendFileSync(join(dir, 'b.bin'), 'more');
      await expect(hashJobs(jobs, { hashType: 'blake3', ...mode.options })).rejects.toMatchObject({ code: 'FILE_CHANGED_WHILE_HASHING', path: 'b.bin' });
      expectAllWorkersStopped();
    });

    it(`${mode.name}: a missing file is FILE_NOT_FOUND with its path`, async () => {
      const dir = mkdtempSync(join(root, 'gone-'));
      writeFileSync(join(dir, 'a.bin'), content(7, 100));
      writeFileSync(join(dir, 'b.bin'), content(8, 1000));
      const jobs = await jobsOf(dir);
      unlinkSync(join(dir, 'a.bin'));
      const error = await hashJobs(jobs, { hashType: 'sha256', ...mode.options }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(IOError);
      expect(error).toMatchObject({ code: 'FILE_NOT_FOUND', path: 'a.bin' });
      expect((error as IOError).cause).toMatchObject({ code: 'ENOENT' });
    });
  }

  it('a file that grows between two chunks is FILE_CHANGED_WHILE_HASHING (this thread alone)', async () => {
    const dir = mkdtempSync(join(root, 'during-'));
    const path = join(dir, 'a.bin');
    writeFileSync(path, content(9, 3 * READ_CHUNK_SIZE));
    const jobs = await jobsOf(dir);
    let grown = false;
    const onProgress = (): void => {
      if (grown) return;
      grown = true;
      appendFileSync(path, 'appended while hashing');
    };
    await expect(hashJobs(jobs, { hashType: 'sha256', threads: 0, onProgress })).rejects.toMatchObject({ code: 'FILE_CHANGED_WHILE_HASHING', path: 'a.bin' });
    expect(grown).toBe(true);
  });
});

describe('files swapped after the listing (never followed, never hashed)', () => {
  // A whole second: the stand-in gets exactly the listed file's size and modification time, so
  // only the open (O_NOFOLLOW) and the device and inode can tell the two apart.
  const LISTED_TIME = 1_700_000_000;
  const SIZES = [
    { label: 'small', size: 100 },
    { label: 'large', size: SMALL_JOB_SIZE + 4096 },
  ] as const;

  /** A model of one file `a.bin` and a stand-in outside it, same size and time; the listing's jobs. */
  async function listedWithStandIn(prefix: string, size: number): Promise<{ listed: string; standIn: string; jobs: HashJob[]; model: string }> {
    const dir = mkdtempSync(join(root, prefix));
    const model = join(dir, 'model');
    mkdirSync(model);
    const listed = join(model, 'a.bin');
    const standIn = join(dir, 'outside.bin');
    writeFileSync(listed, content(11, size));
    writeFileSync(standIn, content(12, size));
    utimesSync(listed, LISTED_TIME, LISTED_TIME);
    utimesSync(standIn, LISTED_TIME, LISTED_TIME);
    return { listed, standIn, model, jobs: await jobsOf(model) };
  }

  for (const mode of MODES) {
    for (const { label, size } of SIZES) {
      it(`${mode.name}: a ${label} file swapped for a symbolic link to a file outside is FILE_CHANGED_WHILE_HASHING`, async () => {
        const { listed, standIn, jobs } = await listedWithStandIn('swap-link-', size);
        unlinkSync(listed);
        symlinkSync(standIn, listed);
        const error = await hashJobs(jobs, { hashType: 'sha256', ...mode.options }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(IOError);
        expect(error).toMatchObject({ code: 'FILE_CHANGED_WHILE_HASHING', path: 'a.bin', category: 'io' });
        expectAllWorkersStopped();
      });

      it(`${mode.name}: a ${label} file replaced by another of the same size and time is FILE_CHANGED_WHILE_HASHING`, async () => {
        const { listed, standIn, jobs } = await listedWithStandIn('swap-file-', size);
        renameSync(standIn, listed);
        await expect(hashJobs(jobs, { hashType: 'sha256', ...mode.options })).rejects.toMatchObject({ code: 'FILE_CHANGED_WHILE_HASHING', path: 'a.bin' });
        expectAllWorkersStopped();
      });
    }
  }

  it('a folder on the way swapped for a link to a folder outside is FILE_CHANGED_WHILE_HASHING (device and inode, not the name)', async () => {
    const dir = mkdtempSync(join(root, 'swap-folder-'));
    const model = join(dir, 'model');
    const outside = join(dir, 'outside');
    mkdirSync(join(model, 'weights'), { recursive: true });
    mkdirSync(outside);
    for (const [folder, seed] of [[join(model, 'weights'), 13], [outside, 14]] as const) {
      writeFileSync(join(folder, 'a.bin'), content(seed, 100));
      utimesSync(join(folder, 'a.bin'), LISTED_TIME, LISTED_TIME);
    }
    const jobs = await jobsOf(model);
    rmSync(join(model, 'weights'), { recursive: true });
    symlinkSync(outside, join(model, 'weights'));
    await expect(hashJobs(jobs, { hashType: 'sha256', threads: 0 })).rejects.toMatchObject({ code: 'FILE_CHANGED_WHILE_HASHING', path: 'weights/a.bin' });
  });

  it('a file replaced by a directory is FILE_CHANGED_WHILE_HASHING, not a read error', async () => {
    const { listed, jobs } = await listedWithStandIn('swap-dir-', 100);
    unlinkSync(listed);
    mkdirSync(listed);
    await expect(hashJobs(jobs, { hashType: 'sha256', threads: 0 })).rejects.toMatchObject({ code: 'FILE_CHANGED_WHILE_HASHING', path: 'a.bin' });
  });

  it('with links allowed: the listed target swapped for a link is FILE_CHANGED_WHILE_HASHING; a link retargeted since is not followed (its listed target is hashed)', async () => {
    const { listed, standIn, model } = await listedWithStandIn('swap-allowed-', 100);
    symlinkSync('a.bin', join(model, 'link.bin'));
    const listing = await walkArtifact(model, { ignorePaths: [], allowSymlinks: true });
    const jobs = planHashJobs(listing.files, undefined);
    const expected = hex(await hashJobsSequentially(jobs, { hashType: 'sha256' }));
    // The link now points outside: what the walk resolved (a.bin) is still what is read.
    unlinkSync(join(model, 'link.bin'));
    symlinkSync(standIn, join(model, 'link.bin'));
    expect(hex(await hashJobs(jobs, { hashType: 'sha256', threads: 0 }))).toEqual(expected);
    // The resolved target itself becomes a link: never followed.
    unlinkSync(listed);
    symlinkSync(standIn, listed);
    await expect(hashJobs(jobs, { hashType: 'sha256', threads: 0 })).rejects.toMatchObject({ code: 'FILE_CHANGED_WHILE_HASHING' });
  });

  it('the reference hasher refuses the same swaps', async () => {
    const linked = await listedWithStandIn('swap-ref-link-', 100);
    unlinkSync(linked.listed);
    symlinkSync(linked.standIn, linked.listed);
    await expect(hashJobsSequentially(linked.jobs, { hashType: 'sha256' })).rejects.toMatchObject({ code: 'FILE_CHANGED_WHILE_HASHING' });
    const renamed = await listedWithStandIn('swap-ref-file-', 100);
    renameSync(renamed.standIn, renamed.listed);
    await expect(hashJobsSequentially(renamed.jobs, { hashType: 'sha256' })).rejects.toMatchObject({ code: 'FILE_CHANGED_WHILE_HASHING' });
  });
});

describe('abort', () => {
  for (const mode of MODES) {
    it(`${mode.name}: stops at the signal with its reason and stops every worker`, async () => {
      const jobs = await jobsOf(artifact, 1000);
      const controller = new AbortController();
      const reason = new Error('stop');
      const run = hashJobs(jobs, {
        hashType: 'sha256',
        ...mode.options,
        signal: controller.signal,
        onProgress: () => {
          controller.abort(reason);
        },
      });
      await expect(run).rejects.toBe(reason);
      expectAllWorkersStopped();
    });
  }

  it('does not start when the signal is already aborted', async () => {
    const jobs = await jobsOf(artifact);
    const before = startedWorkers.length;
    await expect(hashJobs(jobs, { hashType: 'sha256', threads: 2, workerUrl: WORKER_URL, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(startedWorkers).toHaveLength(before);
  });
});

describe('a worker that dies', () => {
  const worker = (source: string): URL => new URL(`data:text/javascript,${encodeURIComponent(source)}`);

  for (const [what, source] of [
    ['exits while it has work', "import { parentPort } from 'node:worker_threads'; parentPort.on('message', () => process.exit(3));"],
    ['throws while it has work', "import { parentPort } from 'node:worker_threads'; parentPort.on('message', () => { throw new Error('boom'); });"],
    ['fails to load', "throw new Error('cannot load');"],
  ] as const) {
    it(`fails the run with HASH_WORKER_FAILED when it ${what}`, async () => {
      const jobs = await jobsOf(artifact);
      const error = await hashJobs(jobs, { hashType: 'sha256', threads: 2, workerUrl: worker(source) }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InternalError);
      expect(error).toMatchObject({ code: 'HASH_WORKER_FAILED', category: 'internal' });
      expectAllWorkersStopped();
    });
  }
});

describe('errors crossing the thread boundary', () => {
  it('keep their class, code, message, path and errno', () => {
    const cause = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    for (const original of [
      new IOError('FILE_NOT_FOUND', 'cannot open a.bin', { path: 'a.bin', cause }),
      new InputError('BAD_RESOURCE_NAME', 'bad input'),
      new VerificationError('DIGEST_MISMATCH', 'bad'),
      new PolicyError('IDENTITY_MISMATCH', 'denied', { path: 'p' }),
      new InternalError('HASH_WORKER_FAILED', 'bug'),
    ]) {
      const revived = fromTransferredError(structuredClone(toTransferredError(original)));
      expect(revived).toBeInstanceOf(original.constructor);
      expect({ code: revived.code, message: revived.message, path: revived.path, category: revived.category }).toEqual({
        code: original.code,
        message: original.message,
        path: original.path,
        category: original.category,
      });
    }
    const revived = fromTransferredError(structuredClone(toTransferredError(new IOError('FILE_NOT_FOUND', 'm', { cause }))));
    expect(revived.cause).toMatchObject({ message: cause.message, code: 'ENOENT' });
  });

  it('anything else is a worker bug: HASH_WORKER_FAILED', () => {
    const revived = fromTransferredError(structuredClone(toTransferredError(new TypeError('x is undefined'))));
    expect(revived).toBeInstanceOf(InternalError);
    expect(revived.code).toBe('HASH_WORKER_FAILED');
    expect(revived.message).toContain('x is undefined');
  });
});
