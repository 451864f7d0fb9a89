import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashArtifactStream, type HashedResource } from '../../src/hashing/artifact-hashing.js';
import { planHashJobs, type HashJob } from '../../src/hashing/hash-jobs.js';
import { hashJobStream, STREAM_WINDOW_JOBS, WORKERS_MIN_JOBS } from '../../src/hashing/pool.js';
import { compareResourcePaths, streamArtifact, walkArtifact } from '../../src/hashing/walk.js';
import { computeManifest, computeRootDigestOf } from '../../src/manifest/compute.js';
import { computeRootDigest } from '../../src/manifest/manifest.js';
import { hashJobsSequentially } from '../support/reference-hasher.js';
import { REPO_ROOT } from '../support/paths.js';
import { expectOneLineError, runCli } from '../support/cli.js';

const DIST = join(REPO_ROOT, 'dist');
const WORKER_URL = pathToFileURL(join(DIST, 'hashing', 'hash-worker.js'));

let root: string;
/** More files than the pool's window, so hashing starts before the walk ends. */
let many: string;
let few: string;
const MANY_FILES = STREAM_WINDOW_JOBS * 2 + 37;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'aiprov-stream-'));
  many = join(root, 'many');
  few = join(root, 'few');
  mkdirSync(few);
  for (const name of ['a', 'b', 'c']) writeFileSync(join(few, name), name.repeat(100));
  for (let index = 0; index < MANY_FILES; index++) {
    const dir = join(many, `d${String(index % 7)}`, index % 2 === 0 ? 'even' : '');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f-${String(index)}.txt`), `file ${String(index)} `.repeat(index % 50));
  }
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('the walk lists in OMS order as it goes', () => {
  it('depth first with sorted entries is component order, for names that sort differently as whole strings', async () => {
    const dir = mkdtempSync(join(root, 'order-'));
    for (const path of ['a/b', 'a-b/c', 'a.b', 'a/b-c/d', 'a/b.c', 'z', 'A', '\u{1F600}', '\uFF5E', 'é/x', 'e/x']) {
      const parts = path.split('/');
      mkdirSync(join(dir, ...parts.slice(0, -1)), { recursive: true });
      writeFileSync(join(dir, ...parts), path);
    }
    const listing = await streamArtifact(dir, { ignorePaths: [], allowSymlinks: false });
    const names: string[] = [];
    for await (const file of listing.files) names.push(file.name);
    expect(names).toEqual([...names].sort(compareResourcePaths));
    expect(names).toContain('a/b-c/d');
    // U+1F600 is above U+FF5E as a code point, below it as UTF-16 units.
    expect(names.indexOf('\uFF5E')).toBeLessThan(names.indexOf('\u{1F600}'));
  });
});

describe('hashJobStream', () => {
  it('lists at least as many jobs before choosing threads as make workers worth starting', () => {
    expect(STREAM_WINDOW_JOBS).toBeGreaterThanOrEqual(WORKERS_MIN_JOBS);
  });

  it('reports every digest once, in job order, equal to the reference, with more jobs than its window', async () => {
    const listing = await walkArtifact(many, { ignorePaths: [], allowSymlinks: false });
    const jobs = planHashJobs(listing.files, undefined);
    expect(jobs.length).toBeGreaterThan(STREAM_WINDOW_JOBS);
    const expected = (await hashJobsSequentially(jobs, { hashType: 'sha256' })).map((digest) => digest.toString('hex'));
    for (const threads of [0, 1, 2]) {
      const seen: string[] = [];
      const order: number[] = [];
      async function* slowly(): AsyncGenerator<HashJob> {
        // A walk that yields to the event loop now and then, as the real one does.
        for (const [index, job] of jobs.entries()) {
          if (index % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
          yield job;
        }
      }
      const count = await hashJobStream(slowly(), {
        hashType: 'sha256',
        threads,
        workerUrl: WORKER_URL,
        onDigest: (index, digest) => {
          order.push(index);
          seen.push(digest.toString('hex'));
        },
      });
      expect(count).toBe(jobs.length);
      expect(order).toEqual(jobs.map((_, index) => index));
      expect(seen).toEqual(expected);
    }
  });

  it('hashes nothing for an empty stream', async () => {
    const seen: number[] = [];
    expect(await hashJobStream([], { hashType: 'sha256', onDigest: (index) => seen.push(index) })).toBe(0);
    expect(seen).toEqual([]);
  });
});

describe('an artifact hashed as a stream', () => {
  it('equals the manifest, in files and shards mode, and the root digest alone equals the manifest root', async () => {
    for (const options of [{}, { method: 'shards' as const, shardSize: 100 }, { hashType: 'blake3' as const }]) {
      const manifest = await computeManifest(many, options);
      const reference = await walkArtifact(many, { ignorePaths: ['.git', '.gitattributes', '.github', '.gitignore'], allowSymlinks: false });
      const jobs = planHashJobs(reference.files, options.method === 'shards' ? options.shardSize : undefined);
      const digests = await hashJobsSequentially(jobs, { hashType: options.hashType ?? 'sha256' });
      expect(manifest.resources.map((resource) => resource.digest)).toEqual(digests.map((digest) => digest.toString('hex')));
      const root = await computeRootDigestOf(many, options);
      expect(root).toEqual({ name: 'many', rootDigest: computeRootDigest(manifest.resources), resourceCount: manifest.resources.length });
    }
  });

  it('stays on this thread when files are selected by a callback, and hashes only those', async () => {
    const resources: HashedResource[] = [];
    const name = await hashArtifactStream(many, { ignorePaths: [], allowSymlinks: false }, {
      hashType: 'sha256',
      shardSize: undefined,
      selectFiles: (file) => file.startsWith('d3/'),
      onResource: (resource) => resources.push({ ...resource, digest: Buffer.from(resource.digest) }),
    });
    expect(name).toBe('many');
    expect(resources.length).toBeGreaterThan(0);
    expect(resources.every((resource) => resource.file.startsWith('d3/'))).toBe(true);
  });

  it('goes to the listing worker (from the compiled dist/, in a separate Node process) only for a listing larger than the window, with the same resources', async () => {
    const script = `
      const { hashArtifactStream } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'hashing', 'artifact-hashing.js')).href)});
      const run = async (path, listingWorker) => {
        const resources = [];
        try {
          await hashArtifactStream(path, { ignorePaths: [], allowSymlinks: false }, { hashType: 'sha256', shardSize: 64, ...(listingWorker === undefined ? {} : { listingWorker }), onResource: (r) => resources.push(r.file + ':' + r.start + ':' + r.end + '=' + r.digest.toString('hex')) });
          return resources;
        } catch (error) {
          return { code: error.code };
        }
      };
      const missing = new URL('file:///nonexistent/listing-worker.js');
      console.log(JSON.stringify({
        viaWorker: await run(${JSON.stringify(many)}),
        here: await run(${JSON.stringify(many)}, false),
        missingWorker: await run(${JSON.stringify(many)}, missing),
        smallWithMissingWorker: (await run(${JSON.stringify(few)}, missing)).length,
      }));
    `;
    const output = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as { viaWorker: string[]; here: string[]; missingWorker: { code: string }; smallWithMissingWorker: number };
    expect(output.viaWorker.length).toBeGreaterThan(STREAM_WINDOW_JOBS);
    expect(output.viaWorker).toEqual(output.here);
    // The large listing really went to the (here missing) listing worker; the small one did not.
    expect(output.missingWorker).toEqual({ code: 'HASH_WORKER_FAILED' });
    expect(output.smallWithMissingWorker).toBe(6);
    const inThisProcess = await computeManifest(many, { method: 'shards', shardSize: 64 });
    expect(output.here).toEqual(inThisProcess.resources.map((resource) => `${resource.name}=${resource.digest}`));
  });

  it('a walk refused on the listing worker is the same one-line error and exit status as on this thread (the CLI as a process)', async () => {
    const dir = mkdtempSync(join(root, 'refused-'));
    for (let index = 0; index < STREAM_WINDOW_JOBS + 100; index++) writeFileSync(join(dir, `f-${String(index)}`), String(index));
    const before = await runCli(['digest', dir]);
    expect(before.status).toBe(0);
    symlinkSync('/etc/hostname', join(dir, 'zz-link'));
    expectOneLineError(await runCli(['digest', dir]), 2, 'SYMLINK_REFUSED');
    expectOneLineError(await runCli(['digest', dir, '--allow-symlinks']), 2, 'SYMLINK_ESCAPES_ARTIFACT');
    execFileSync('mkfifo', [join(dir, 'zz-fifo')]);
    expectOneLineError(await runCli(['digest', dir, '--allow-symlinks', '--allow-external-symlinks']), 2, 'UNSUPPORTED_FILE_TYPE');
  });
});
