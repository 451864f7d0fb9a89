/**
 * Hashing and verifying one artifact across machines: `digest --partition K/N` and `--merge`,
 * `sign --manifest`, `verify --partition K/N` and `verify --merge`, run as processes (the parts
 * of one run in parallel, as on N machines).
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli, type CliRun } from '../support/cli.js';
import { writeModel } from '../support/fixtures.js';
import { compareResources, computeRootDigest } from '../../src/manifest/manifest.js';

interface SizedResource { name: string; algorithm: string; digest: string; size: number }
interface Part { partition: { index: number; count: number }; name: string; listing: { digest: string; resourceCount: number; bytes: number }; resources: SizedResource[] }
interface VerifyPart { passed: boolean; verified: boolean; checkedResources: { name: string; digest: string }[]; diff: { extra: string[]; missing: string[]; changed: string[] }; findings: { code: string; path?: string }[] }

/** A model whose files differ in size, one big enough to span shards. */
const MODEL: Readonly<Record<string, string>> = {
  'config.json': '{"layers": 2}\n',
  'tokenizer.json': 'x'.repeat(300),
  'weights/big.bin': 'w'.repeat(2000),
  'weights/small.bin': 's'.repeat(40),
  'README.md': '# tiny\n',
  '.hidden': 'dotfiles count',
  'empty.txt': '',
};

let dir: string;
let key: string;
let pub: string;
let scratchCount = 0;

/** A fresh directory that lives until the end of the file (parts made in `beforeAll` outlive a test). */
async function temporaryDirectory(): Promise<string> {
  const path = join(dir, `scratch-${String(++scratchCount)}`);
  await mkdir(path);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aiprov-partition-'));
  key = join(dir, 'k.key');
  pub = join(dir, 'k.pub');
  expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function model(name: string, parent?: string): Promise<string> {
  return writeModel(join(parent ?? (await temporaryDirectory()), name), MODEL);
}

function ok(run: CliRun): string {
  expect(run.status, run.stderr).toBe(0);
  return run.stdout;
}

/** Runs parts 1..N of a partitioned digest in parallel and writes each to part-K.json. */
async function digestParts(path: string, count: number, flags: readonly string[] = []): Promise<string[]> {
  const out = await temporaryDirectory();
  const runs = await Promise.all(Array.from({ length: count }, (_, index) => runCli(['digest', path, ...flags, '--partition', `${String(index + 1)}/${String(count)}`, '--json'])));
  return Promise.all(runs.map(async (run, index) => {
    const file = join(out, `part-${String(index + 1)}.json`);
    await writeFile(file, ok(run));
    return file;
  }));
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

describe('digest --partition K/N and digest --merge', () => {
  it.each([
    ['files/sha256', [] as string[]],
    ['shards/sha256 (one file spread over parts)', ['--shard-size', '256']],
    ['files/blake3', ['--hash', 'blake3']],
    ['shards/blake2b', ['--hash', 'blake2b', '--shard-size', '100']],
  ])('%s: N = 1, 2, 3 parallel parts merge to the root and manifest of a single-process digest', async (_mode, flags) => {
    const path = await model('m');
    const whole = JSON.parse(ok(await runCli(['digest', path, ...flags, '--json']))) as { rootDigest: string; resources: Omit<SizedResource, 'size'>[] };
    for (const count of [1, 2, 3]) {
      const files = await digestParts(path, count, flags);
      expect(ok(await runCli(['digest', '--merge', ...files])).trim()).toBe(whole.rootDigest);
      const merged = JSON.parse(ok(await runCli(['digest', '--merge', ...files, '--json']))) as { rootDigest: string; resources: SizedResource[] };
      expect(merged.rootDigest).toBe(whole.rootDigest);
      expect(merged.resources.map(({ size: _size, ...resource }) => resource)).toEqual(whole.resources);
      const parts = await Promise.all(files.map((file) => readJson<Part>(file)));
      // Every part names the same listing; the parts are disjoint and cover it.
      expect(new Set(parts.map((part) => part.listing.digest)).size).toBe(1);
      expect(parts.flatMap((part) => part.resources.map((resource) => resource.name)).sort()).toEqual(whole.resources.map((resource) => resource.name).sort());
    }
  });

  it('shards: the big file is spread over the parts, balanced by bytes', async () => {
    const files = await digestParts(await model('m'), 3, ['--shard-size', '256']);
    const parts = await Promise.all(files.map((file) => readJson<Part>(file)));
    const bigShardsPerPart = parts.map((part) => part.resources.filter((resource) => resource.name.startsWith('weights/big.bin:')).length);
    expect(bigShardsPerPart.every((count) => count > 0)).toBe(true);
    const loads = parts.map((part) => part.resources.reduce((sum, resource) => sum + resource.size, 0));
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(256);
    expect(loads.reduce((a, b) => a + b, 0)).toBe(parts[0]?.listing.bytes);
  });

  it('is deterministic: the same listing gives the same parts, byte for byte, wherever it lies', async () => {
    const a = await digestParts(await model('m'), 3);
    const b = await digestParts(await model('m'), 3);
    for (const [index, file] of a.entries()) expect(await readFile(file, 'utf8')).toBe(await readFile(b[index] ?? '', 'utf8'));
  });

  it('reads only its own part: a 200 GB (sparse) file in another part is never hashed', async () => {
    const path = await model('m');
    await writeFile(join(path, 'huge.bin'), '');
    await truncate(join(path, 'huge.bin'), 200 * 1024 ** 3);
    // The huge file alone is part 1 (largest first); part 2 holds everything else.
    const run = await runCli(['digest', path, '--partition', '2/2', '--json'], { killAfterMs: 30_000 });
    const part = JSON.parse(ok(run)) as Part;
    expect(part.resources.map((resource) => resource.name)).not.toContain('huge.bin');
    expect(part.listing).toMatchObject({ resourceCount: 8, bytes: 200 * 1024 ** 3 + 2375 });
  });

  it('without --json: a short summary, and no root digest', async () => {
    const run = await runCli(['digest', await model('m'), '--partition', '2/3']);
    expect(ok(run)).toMatch(/^Part 2\/3 of m: hashed \d+ of 7 resources, \d+ of 2375 bytes\n {2}listing {5}sha256:[0-9a-f]{64}\n/);
    expect(run.stdout).not.toMatch(/^sha256:/m);
  });

  it.each([['0/3'], ['4/3'], ['1/0'], ['a/b'], ['1'], ['-1/3'], ['1/3/5']])('a bad K/N (%s) is a usage error', async (value) => {
    const run = await runCli(['digest', await model('m'), '--partition', value]);
    expectOneLineError(run, 2, 'USAGE');
    expect(run.stderr).toContain('K/N');
  });

  it('N above 10000 is a usage error', async () => {
    expectOneLineError(await runCli(['digest', await model('m'), '--partition', '1/10001']), 2, 'USAGE');
  });

  it('digest needs PATH or --merge, not both, and --merge takes no hashing flags', async () => {
    const files = await digestParts(await model('m'), 2);
    expectOneLineError(await runCli(['digest']), 2, 'USAGE');
    expectOneLineError(await runCli(['digest', await model('m'), '--merge', ...files]), 2, 'USAGE');
    const flags = await runCli(['digest', '--merge', ...files, '--hash', 'blake3']);
    expectOneLineError(flags, 2, 'USAGE');
    expect(flags.stderr).toContain('--hash');
    expectOneLineError(await runCli(['digest', '--merge', ...files, '--partition', '1/2']), 2, 'USAGE');
  });

  describe('merge failures', () => {
    let files: string[];
    let root: string;
    beforeAll(async () => {
      const path = await model('m');
      files = await digestParts(path, 3);
      root = ok(await runCli(['digest', path])).trim();
    });

    /** A copy of part K, changed by `edit`. */
    async function edited(index: number, edit: (part: Part) => void): Promise<string> {
      const part = await readJson<Part>(files[index - 1] ?? '');
      edit(part);
      const file = join(await temporaryDirectory(), `part-${String(index)}.json`);
      await writeFile(file, JSON.stringify(part));
      return file;
    }
    const others = (index: number): string[] => files.filter((_, position) => position !== index - 1);

    it('a missing part: PART_MISSING, exit 2', async () => {
      const run = await runCli(['digest', '--merge', ...files.slice(0, 2)]);
      expectOneLineError(run, 2, 'PART_MISSING');
      expect(run.stderr).toContain('part 3 of 3');
    });

    it('a part given twice: PART_DUPLICATE, exit 2', async () => {
      expectOneLineError(await runCli(['digest', '--merge', ...files, files[0] ?? '']), 2, 'PART_DUPLICATE');
    });

    it('a part of another listing (another artifact, or another N): PART_FOREIGN, exit 2', async () => {
      const other = await writeModel(join(await temporaryDirectory(), 'm'), { ...MODEL, 'README.md': '# tiny, edited\n' });
      const [foreign] = await digestParts(other, 3);
      expectOneLineError(await runCli(['digest', '--merge', foreign ?? '', ...others(1)]), 2, 'PART_FOREIGN');
      const [ofTwo] = await digestParts(await model('m'), 2);
      expectOneLineError(await runCli(['digest', '--merge', ofTwo ?? '', ...others(1)]), 2, 'PART_FOREIGN');
      const blake3 = await digestParts(await model('m'), 3, ['--hash', 'blake3']);
      const serialization = await runCli(['digest', '--merge', blake3[0] ?? '', ...others(1)]);
      expectOneLineError(serialization, 2, 'PART_FOREIGN');
      expect(serialization.stderr).toContain('serialization');
    });

    it('a resource in two parts: PART_OVERLAP, exit 1', async () => {
      const first = await readJson<Part>(files[0] ?? '');
      const overlapping = await edited(2, (part) => part.resources.push(...first.resources.slice(0, 1)));
      expectOneLineError(await runCli(['digest', '--merge', files[0] ?? '', overlapping, files[2] ?? '']), 1, 'PART_OVERLAP');
    });

    it('a resource moved to another part: PART_ASSIGNMENT_MISMATCH, exit 1', async () => {
      const first = await readJson<Part>(files[0] ?? '');
      const moved = first.resources[0];
      const without = await edited(1, (part) => part.resources.splice(0, 1));
      const withIt = await edited(2, (part) => { if (moved !== undefined) part.resources.push(moved); });
      expectOneLineError(await runCli(['digest', '--merge', without, withIt, files[2] ?? '']), 1, 'PART_ASSIGNMENT_MISMATCH');
    });

    it('a dropped resource or an altered size: PARTS_UNION_MISMATCH, exit 1', async () => {
      const dropped = await edited(3, (part) => part.resources.pop());
      expectOneLineError(await runCli(['digest', '--merge', ...files.slice(0, 2), dropped]), 1, 'PARTS_UNION_MISMATCH');
      const resized = await edited(3, (part) => { const resource = part.resources[0]; if (resource !== undefined) resource.size += 1; });
      expectOneLineError(await runCli(['digest', '--merge', ...files.slice(0, 2), resized]), 1, 'PARTS_UNION_MISMATCH');
    });

    it('a digest altered inside a part: the merged root differs from the artifact\'s', async () => {
      const tampered = await edited(2, (part) => { const resource = part.resources[0]; if (resource !== undefined) resource.digest = '0'.repeat(64); });
      const merged = ok(await runCli(['digest', '--merge', files[0] ?? '', tampered, files[2] ?? ''])).trim();
      expect(merged).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(merged).not.toBe(root);
    });

    it('a malformed part: PART_INVALID (not JSON, bad K/N, wrong algorithm, a failure output), PART_NOT_A_FILE, PART_TOO_LARGE, exit 2', async () => {
      const scratch = await temporaryDirectory();
      const write = async (name: string, text: string): Promise<string> => {
        await writeFile(join(scratch, name), text);
        return join(scratch, name);
      };
      expectOneLineError(await runCli(['digest', '--merge', await write('text.json', 'not json')]), 2, 'PART_INVALID');
      expectOneLineError(await runCli(['digest', '--merge', await write('dup.json', '{"name": "a", "name": "b"}')]), 2, 'PART_INVALID');
      expectOneLineError(await runCli(['digest', '--merge', await edited(1, (part) => { part.partition.index = 4; })]), 2, 'PART_INVALID');
      expectOneLineError(await runCli(['digest', '--merge', await edited(1, (part) => { part.partition.count = 0; })]), 2, 'PART_INVALID');
      const algorithm = await edited(1, (part) => { const resource = part.resources[0]; if (resource !== undefined) resource.algorithm = 'blake3'; });
      expectOneLineError(await runCli(['digest', '--merge', algorithm, ...others(1)]), 2, 'PART_INVALID');
      const failed = await runCli(['digest', join(scratch, 'gone'), '--partition', '1/3', '--json']);
      expect(failed.status).toBe(4);
      const failure = await runCli(['digest', '--merge', await write('failed.json', failed.stdout), ...others(1)]);
      expectOneLineError(failure, 2, 'PART_INVALID');
      expect(failure.stderr).toContain('FILE_NOT_FOUND');
      await mkdir(join(scratch, 'a-directory.json'));
      expectOneLineError(await runCli(['digest', '--merge', join(scratch, 'a-directory.json')]), 2, 'PART_NOT_A_FILE');
      const huge = await write('huge.json', '');
      await truncate(huge, 300 * 1024 * 1024);
      expectOneLineError(await runCli(['digest', '--merge', huge]), 2, 'PART_TOO_LARGE');
    });
  });
});

/** Digest parts of `path`, merged to a manifest file. */
async function mergedManifest(path: string, count: number, flags: readonly string[] = []): Promise<string> {
  const file = join(await temporaryDirectory(), 'merged.json');
  await writeFile(file, ok(await runCli(['digest', '--merge', ...(await digestParts(path, count, flags)), '--json'])));
  return file;
}

function payloadOf(bundle: string): Buffer {
  return Buffer.from((JSON.parse(bundle) as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload, 'base64');
}

describe('sign PATH --manifest MERGED', () => {
  it.each([['files', [] as string[]], ['shards', ['--shard-size', '256']]])('%s: signs the statement `sign PATH` signs, byte for byte; verify passes; the root is digest\'s', async (_mode, flags) => {
    const path = await model('m');
    const manifest = await mergedManifest(path, 3, flags);
    const signed = JSON.parse(ok(await runCli(['sign', path, '--manifest', manifest, '--key', key, '--json']))) as { rootDigest: string };
    const twin = await model('m');
    ok(await runCli(['sign', twin, ...flags, '--key', key]));
    expect(payloadOf(await readFile(join(path, 'model.sig'), 'utf8'))).toEqual(payloadOf(await readFile(join(twin, 'model.sig'), 'utf8')));
    expect(signed.rootDigest).toBe(ok(await runCli(['digest', twin, ...flags])).trim());
    const verified = JSON.parse(ok(await runCli(['verify', path, '--key', pub, '--json']))) as { verified: boolean; rootDigest: string };
    expect(verified).toMatchObject({ verified: true, rootDigest: signed.rootDigest });
  });

  it('flags that agree with the manifest are accepted; flags that differ are a usage error', async () => {
    const path = await model('m');
    const manifest = await mergedManifest(path, 2, ['--shard-size', '256']);
    ok(await runCli(['sign', path, '--manifest', manifest, '--key', key, '--hash', 'sha256', '--shard-size', '256']));
    for (const flags of [['--hash', 'blake3'], ['--method', 'files'], ['--shard-size', '512'], ['--kind', 'dataset'], ['--ignore-paths', 'README.md'], ['--allow-symlinks']]) {
      const run = await runCli(['sign', path, '--manifest', manifest, '--key', key, ...flags]);
      expectOneLineError(run, 2, 'MANIFEST_SERIALIZATION_MISMATCH');
    }
  });

  it('a manifest of other files: extra, missing, a size that differs, shards that do not tile (exit 1, naming the file)', async () => {
    const expectMismatch = async (path: string, manifest: string, code: string, file: string): Promise<void> => {
      const run = await runCli(['sign', path, '--manifest', manifest, '--key', key]);
      expectOneLineError(run, 1, code);
      expect(run.stderr).toContain(JSON.stringify(file));
    };
    const extra = await model('m');
    const manifest = await mergedManifest(extra, 2);
    await writeFile(join(extra, 'backdoor.py'), 'import os\n');
    await expectMismatch(extra, manifest, 'MANIFEST_FILE_EXTRA', 'backdoor.py');

    const missing = await model('m');
    await rm(join(missing, 'weights', 'small.bin'));
    await expectMismatch(missing, manifest, 'MANIFEST_FILE_MISSING', 'weights/small.bin');

    const resized = await model('m');
    await writeFile(join(resized, 'README.md'), '# tiny, longer\n');
    await expectMismatch(resized, manifest, 'MANIFEST_SIZE_MISMATCH', 'README.md');

    // Shards of the right total size that are not the 256-byte tiling (root recomputed to match).
    const sharded = await model('m');
    const shardManifest = await readJson<{ rootDigest: string; resources: SizedResource[] }>(await mergedManifest(sharded, 2, ['--shard-size', '256']));
    const [first, second] = shardManifest.resources.filter((resource) => resource.name.startsWith('config.json:'));
    expect(second).toBeUndefined();
    if (first === undefined) throw new Error('no config.json shard');
    shardManifest.resources.splice(shardManifest.resources.indexOf(first), 1, { ...first, name: 'config.json:0:7', size: 7 }, { ...first, name: 'config.json:7:14', size: 7 });
    shardManifest.rootDigest = `sha256:${createHash('sha256').update(Buffer.concat(shardManifest.resources.map((resource) => Buffer.from(resource.digest, 'hex')))).digest('hex')}`;
    const retiled = join(await temporaryDirectory(), 'retiled.json');
    await writeFile(retiled, JSON.stringify(shardManifest));
    await expectMismatch(sharded, retiled, 'MANIFEST_SHARDS_MISMATCH', 'config.json');
  });

  it('a file listed twice is refused before signing with the code digest --merge gives it (DUPLICATE_RESOURCE, exit 2); so is an unsafe name (RESOURCE_PATH_ESCAPES)', async () => {
    const path = await model('m');
    const manifest = await readJson<{ rootDigest: string; resources: SizedResource[] }>(await mergedManifest(path, 2));
    const withRoot = (resources: SizedResource[]): string => JSON.stringify({ ...manifest, resources, rootDigest: `sha256:${computeRootDigest(resources)}` });
    // tokenizer.json (300 bytes) listed twice, its sizes adding up to the file's: the listing check alone accepts it.
    const tokenizer = manifest.resources.find((resource) => resource.name === 'tokenizer.json');
    if (tokenizer === undefined) throw new Error('no tokenizer.json');
    const twice = manifest.resources.flatMap((resource) => (resource === tokenizer ? [{ ...resource, size: 100 }, { ...resource, size: 200 }] : [resource]));
    const file = join(await temporaryDirectory(), 'twice.json');
    await writeFile(file, withRoot(twice));
    expectOneLineError(await runCli(['sign', path, '--manifest', file, '--key', key]), 2, 'DUPLICATE_RESOURCE');
    await expect(readFile(join(path, 'model.sig'))).rejects.toThrow();

    // digest --merge: a part that lists one file twice.
    const [part = ''] = await digestParts(path, 1);
    const single = await readJson<Part>(part);
    const [first] = single.resources;
    if (first === undefined) throw new Error('empty part');
    await writeFile(part, JSON.stringify({ ...single, resources: [first, ...single.resources] }));
    expectOneLineError(await runCli(['digest', '--merge', part]), 2, 'DUPLICATE_RESOURCE');

    const escaping = join(await temporaryDirectory(), 'escaping.json');
    await writeFile(escaping, withRoot(manifest.resources.map((resource) => (resource === tokenizer ? { ...resource, name: '../tokenizer.json' } : resource))));
    expectOneLineError(await runCli(['sign', path, '--manifest', escaping, '--key', key]), 2, 'RESOURCE_PATH_ESCAPES');
  });

  it('the artifact under another name: MANIFEST_NAME_MISMATCH unless --name names the subject', async () => {
    const path = await model('m');
    const manifest = await mergedManifest(path, 2);
    const renamed = join(await temporaryDirectory(), 'other-name');
    await rename(path, renamed);
    expectOneLineError(await runCli(['sign', renamed, '--manifest', manifest, '--key', key]), 2, 'MANIFEST_NAME_MISMATCH');
    ok(await runCli(['sign', renamed, '--manifest', manifest, '--key', key, '--name', 'm']));
  });

  it('an edited or unreadable manifest file: MANIFEST_INVALID, MANIFEST_NOT_A_FILE, exit 2', async () => {
    const path = await model('m');
    const manifest = await readJson<{ rootDigest: string; resources: SizedResource[] }>(await mergedManifest(path, 2));
    const file = join(await temporaryDirectory(), 'edited.json');
    await writeFile(file, JSON.stringify({ ...manifest, rootDigest: `sha256:${'0'.repeat(64)}` }));
    expectOneLineError(await runCli(['sign', path, '--manifest', file, '--key', key]), 2, 'MANIFEST_INVALID');
    const { rootDigest: _root, ...withoutRoot } = manifest;
    await writeFile(file, JSON.stringify(withoutRoot));
    expectOneLineError(await runCli(['sign', path, '--manifest', file, '--key', key]), 2, 'MANIFEST_INVALID');
    expectOneLineError(await runCli(['sign', path, '--manifest', await temporaryDirectory(), '--key', key]), 2, 'MANIFEST_NOT_A_FILE');
  });

  it('a digest altered in a part is signed as given, and every verify then fails', async () => {
    const path = await model('m');
    const files = await digestParts(path, 2);
    const part = await readJson<Part>(files[0] ?? '');
    const resource = part.resources[0];
    if (resource === undefined) throw new Error('empty part');
    resource.digest = '0'.repeat(64);
    await writeFile(files[0] ?? '', JSON.stringify(part));
    const manifest = join(await temporaryDirectory(), 'merged.json');
    await writeFile(manifest, ok(await runCli(['digest', '--merge', ...files, '--json'])));
    ok(await runCli(['sign', path, '--manifest', manifest, '--key', key]));
    const verify = await runCli(['verify', path, '--key', pub, '--json']);
    expect(verify.status).toBe(1);
    expect(JSON.parse(verify.stdout)).toMatchObject({ verified: false, diff: { changed: [resource.name] } });
  });
});

describe('verify PATH --partition K/N and verify --merge', () => {
  /** Runs parts 1..N of a partitioned verification in parallel; returns their files and runs. */
  async function verifyParts(path: string, count: number, flags: readonly string[] = []): Promise<{ files: string[]; runs: CliRun[] }> {
    const out = await temporaryDirectory();
    const runs = await Promise.all(Array.from({ length: count }, (_, index) => runCli(['verify', path, '--key', pub, ...flags, '--partition', `${String(index + 1)}/${String(count)}`, '--json'])));
    const files = await Promise.all(runs.map(async (run, index) => {
      const file = join(out, `result-${String(index + 1)}.json`);
      await writeFile(file, run.stdout);
      return file;
    }));
    return { files, runs };
  }

  async function signed(flags: readonly string[] = []): Promise<string> {
    const path = await model('m');
    ok(await runCli(['sign', path, ...flags, '--key', key]));
    return path;
  }

  it.each([['files', [] as string[]], ['shards', ['--shard-size', '256']]])('%s: every part passes, and the merge verifies the signed root (N = 1, 2, 3)', async (_mode, flags) => {
    const path = await signed(flags);
    const root = ok(await runCli(['digest', path, ...flags])).trim();
    for (const count of [1, 2, 3]) {
      const { files, runs } = await verifyParts(path, count);
      for (const run of runs) expect(JSON.parse(ok(run))).toMatchObject({ verified: false, passed: true, rootDigest: root });
      const merged = await runCli(['verify', '--key', pub, '--merge', ...files, '--json']);
      expect(JSON.parse(ok(merged))).toMatchObject({ verified: true, rootDigest: root, partition: { count }, findings: [] });
      const text = ok(await runCli(['verify', '--key', pub, '--merge', ...files]));
      expect(text).toMatch(new RegExp(`^Verified m ${root} in ${String(count)} parts`));
    }
  });

  it('a tampered file fails the part that holds it, and the merge (exit 1, verified false)', async () => {
    const path = await signed();
    // weights/big.bin (2000 bytes) is part 1's alone: the largest unit goes first to part 1.
    await writeFile(join(path, 'weights', 'big.bin'), 'W'.repeat(2000));
    const { files, runs } = await verifyParts(path, 3);
    expect(runs.map((run) => run.status)).toEqual([1, 0, 0]);
    const [first] = await Promise.all(files.map((file) => readJson<VerifyPart>(file)));
    expect(first).toMatchObject({ passed: false, verified: false, diff: { changed: ['weights/big.bin'] } });
    const merged = await runCli(['verify', '--key', pub, '--merge', ...files, '--json']);
    expect(merged.status).toBe(1);
    expect(JSON.parse(merged.stdout)).toMatchObject({ verified: false, diff: { changed: ['weights/big.bin'] }, findings: [expect.objectContaining({ code: 'FILE_CHANGED', path: 'weights/big.bin' })] });
    const text = await runCli(['verify', '--key', pub, '--merge', ...files]);
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/^Verification FAILED for m sha256:[0-9a-f]{64}: part 1 of 3 failed; 1 changed/);
  });

  it('shards: a changed byte fails only the part holding its shard', async () => {
    const path = await signed(['--shard-size', '256']);
    const bytes = Buffer.from('w'.repeat(2000));
    bytes[1500] = 0x57;
    await writeFile(join(path, 'weights', 'big.bin'), bytes);
    const { files, runs } = await verifyParts(path, 3);
    const results = await Promise.all(files.map((file) => readJson<VerifyPart>(file)));
    const holder = results.findIndex((result) => result.checkedResources.some((resource) => resource.name === 'weights/big.bin:1280:1536'));
    expect(runs.map((run) => run.status)).toEqual(results.map((_, index) => (index === holder ? 1 : 0)));
    expect(results[holder]?.diff.changed).toEqual(['weights/big.bin']);
    expect((await runCli(['verify', '--key', pub, '--merge', ...files])).status).toBe(1);
  });

  it('missing and unsigned files are reported by every part, and once by the merge', async () => {
    const path = await signed();
    await rm(join(path, 'README.md'));
    await writeFile(join(path, 'backdoor.py'), 'import os\n');
    const { files, runs } = await verifyParts(path, 2);
    expect(runs.map((run) => run.status)).toEqual([1, 1]);
    for (const file of files) expect((await readJson<VerifyPart>(file)).diff).toMatchObject({ missing: ['README.md'], extra: ['backdoor.py'] });
    const merged = JSON.parse((await runCli(['verify', '--key', pub, '--merge', ...files, '--json'])).stdout) as { verified: boolean; findings: { code: string }[] };
    expect(merged.verified).toBe(false);
    expect(merged.findings.map((finding) => finding.code).sort()).toEqual(['FILE_MISSING', 'FILE_UNSIGNED']);
  });

  describe('parts that do not make one whole fail the merge (exit 1), never verify', () => {
    let path: string;
    let files: string[];
    beforeAll(async () => {
      path = await signed();
      ({ files } = await verifyParts(path, 3));
    });

    async function edited(index: number, edit: (part: VerifyPart) => void): Promise<string> {
      const part = await readJson<VerifyPart>(files[index - 1] ?? '');
      edit(part);
      const file = join(await temporaryDirectory(), `result-${String(index)}.json`);
      await writeFile(file, JSON.stringify(part));
      return file;
    }

    it('a missing part: PART_MISSING', async () => {
      const run = await runCli(['verify', '--key', pub, '--merge', ...files.slice(1), '--json']);
      expectOneLineError(run, 1, 'PART_MISSING');
      expect(JSON.parse(run.stdout)).toMatchObject({ verified: false, error: { code: 'PART_MISSING', category: 'verification' } });
    });

    it('a part given twice: PART_DUPLICATE', async () => {
      expectOneLineError(await runCli(['verify', '--key', pub, '--merge', ...files, files[1] ?? '']), 1, 'PART_DUPLICATE');
    });

    it('a part of another signature: PART_FOREIGN', async () => {
      const other = await model('m');
      await writeFile(join(other, 'README.md'), '# another\n');
      ok(await runCli(['sign', other, '--key', key]));
      const { files: foreign } = await verifyParts(other, 3);
      const run = await runCli(['verify', '--key', pub, '--merge', foreign[0] ?? '', ...files.slice(1)]);
      expectOneLineError(run, 1, 'PART_FOREIGN');
      expect(run.stderr).toContain('bundle');
    });

    it('a resource checked by two parts: PART_OVERLAP', async () => {
      const first = await readJson<VerifyPart>(files[0] ?? '');
      const overlapping = await edited(2, (part) => part.checkedResources.push(...first.checkedResources.slice(0, 1)));
      expectOneLineError(await runCli(['verify', '--key', pub, '--merge', files[0] ?? '', overlapping, files[2] ?? '']), 1, 'PART_OVERLAP');
    });

    it('checked resources that are not the signed ones: PARTS_UNION_MISMATCH', async () => {
      const dropped = await edited(3, (part) => part.checkedResources.pop());
      expectOneLineError(await runCli(['verify', '--key', pub, '--merge', ...files.slice(0, 2), dropped]), 1, 'PARTS_UNION_MISMATCH');
      const forged = await edited(3, (part) => { const resource = part.checkedResources[0]; if (resource !== undefined) resource.digest = '0'.repeat(64); });
      expectOneLineError(await runCli(['verify', '--key', pub, '--merge', ...files.slice(0, 2), forged]), 1, 'PARTS_UNION_MISMATCH');
    });

    it('a part whose verification could not run: PART_FAILED', async () => {
      const run = await runCli(['verify', path, '--key', join(dir, 'gone.pub'), '--partition', '2/3', '--json']);
      expect(run.status).toBe(4);
      const failed = join(await temporaryDirectory(), 'failed.json');
      await writeFile(failed, run.stdout);
      const merge = await runCli(['verify', '--key', pub, '--merge', files[0] ?? '', failed, files[2] ?? '']);
      expectOneLineError(merge, 1, 'PART_FAILED');
      expect(merge.stderr).toContain('FILE_NOT_FOUND');
    });

    it('a malformed result: PART_INVALID (exit 2)', async () => {
      expectOneLineError(await runCli(['verify', '--key', pub, '--merge', await edited(1, (part) => { part.verified = true; })]), 2, 'PART_INVALID');
    });
  });

  describe('the merge authenticates the signature itself: parts edited to name another signature, model, digest or result never verify', () => {
    let path: string;
    let files: string[];
    beforeAll(async () => {
      path = await signed();
      ({ files } = await verifyParts(path, 2));
    });

    async function rewritten(edit: (part: VerifyPart & { rootDigest: string; signaturePath: string }, index: number) => void): Promise<string[]> {
      const out = await temporaryDirectory();
      return Promise.all(files.map(async (file, index) => {
        const part = await readJson<VerifyPart & { rootDigest: string; signaturePath: string }>(file);
        edit(part, index);
        const copy = join(out, `result-${String(index + 1)}.json`);
        await writeFile(copy, JSON.stringify(part));
        return copy;
      }));
    }

    it('without trust flags the merge is refused, as verify is (USAGE, exit 2)', async () => {
      const run = await runCli(['verify', '--merge', ...files]);
      expectOneLineError(run, 2, 'USAGE');
      expect(run.stderr).toContain('--key');
    });

    it('parts of a signature by another key: refused with the merge\'s key (KEY_MISMATCH, exit 1)', async () => {
      const other = join(dir, 'other');
      ok(await runCli(['keygen', '--output-prefix', other]));
      const forged = await model('m');
      await writeFile(join(forged, 'weights', 'big.bin'), 'evil'.repeat(500));
      ok(await runCli(['sign', forged, '--key', `${other}.key`]));
      const runs = await Promise.all([1, 2].map((index) => runCli(['verify', forged, '--key', `${other}.pub`, '--partition', `${String(index)}/2`, '--json'])));
      const out = await temporaryDirectory();
      const parts = await Promise.all(runs.map(async (run, index) => {
        const file = join(out, `result-${String(index + 1)}.json`);
        await writeFile(file, ok(run));
        return file;
      }));
      ok(await runCli(['verify', '--key', `${other}.pub`, '--merge', ...parts]));
      expectOneLineError(await runCli(['verify', '--key', pub, '--merge', ...parts]), 1, 'KEY_MISMATCH');
    });

    it('digests and root rewritten to agree with each other, not with the signature: PART_FOREIGN (exit 1)', async () => {
      const all = await Promise.all(files.map((file) => readJson<VerifyPart>(file)));
      const resources = all.flatMap((part) => part.checkedResources);
      const target = resources.find((resource) => resource.name === 'weights/big.bin');
      if (target === undefined) throw new Error('weights/big.bin is not checked by any part');
      target.digest = createHash('sha256').update('evil'.repeat(500)).digest('hex');
      const union = resources.map((resource) => ({ name: resource.name, algorithm: 'sha256', digest: resource.digest })).sort(compareResources('files'));
      const root = `sha256:${computeRootDigest(union)}`;
      const edited = await rewritten((part, index) => {
        part.rootDigest = root;
        part.checkedResources = all[index]?.checkedResources ?? [];
      });
      const run = await runCli(['verify', '--key', pub, '--merge', ...edited, '--json']);
      expectOneLineError(run, 1, 'PART_FOREIGN');
      expect(JSON.parse(run.stdout)).toMatchObject({ verified: false });
    });

    it('a failed part flipped to passed: PART_INVALID (exit 2), never verified', async () => {
      const tampered = await signed();
      await writeFile(join(tampered, 'weights', 'big.bin'), 'W'.repeat(2000));
      const { files: failed } = await verifyParts(tampered, 2);
      const part = await readJson<VerifyPart>(failed[0] ?? '');
      expect(part.passed).toBe(false);
      part.passed = true;
      const flipped = join(await temporaryDirectory(), 'result-1.json');
      await writeFile(flipped, JSON.stringify(part));
      expectOneLineError(await runCli(['verify', '--key', pub, '--merge', flipped, failed[1] ?? '']), 2, 'PART_INVALID');
    });

    it('a signature replaced after the parts ran: PART_FOREIGN (exit 1)', async () => {
      const copy = join(await temporaryDirectory(), 'm');
      await cp(path, copy, { recursive: true });
      const { files: parts } = await verifyParts(copy, 2);
      ok(await runCli(['verify', '--key', pub, '--merge', ...parts]));
      await writeFile(join(copy, 'config.json'), '{"layers": 3}\n');
      ok(await runCli(['sign', copy, '--key', key]));
      expectOneLineError(await runCli(['verify', '--key', pub, '--merge', ...parts]), 1, 'PART_FOREIGN');
    });

    it('the signature is read from --signature when the paths the parts name are not on this machine', async () => {
      const gone = await rewritten((part) => { part.signaturePath = join(dir, 'elsewhere', 'model.sig'); });
      expectOneLineError(await runCli(['verify', '--key', pub, '--merge', ...gone]), 4, 'FILE_NOT_FOUND');
      ok(await runCli(['verify', '--key', pub, '--signature', join(path, 'model.sig'), '--merge', ...gone]));
    });
  });

  it('refuses what would be ignored or misleading: --vsa-out with --partition, re-hashing flags with --merge, no PATH', async () => {
    const path = await signed();
    expectOneLineError(await runCli(['verify', path, '--key', pub, '--partition', '1/2', '--vsa-out', join(dir, 'vsa.jsonl'), '--vsa-key', key]), 2, 'USAGE');
    const { files } = await verifyParts(path, 2);
    expectOneLineError(await runCli(['verify', '--key', pub, '--merge', ...files, '--ignore-unsigned-files']), 2, 'USAGE');
    expectOneLineError(await runCli(['verify', '--key', pub]), 2, 'USAGE');
    expectOneLineError(await runCli(['verify', path, '--key', pub, '--partition', '3/2']), 2, 'USAGE');
  });

  it('a copy of the artifact elsewhere verifies in parts the same way (the partition depends on the listing only)', async () => {
    const path = await signed();
    const copy = join(await temporaryDirectory(), 'm');
    await cp(path, copy, { recursive: true });
    const a = await verifyParts(path, 3);
    const b = await verifyParts(copy, 3);
    const checked = async (files: string[]): Promise<string[][]> => Promise.all(files.map(async (file) => (await readJson<VerifyPart>(file)).checkedResources.map((resource) => resource.name)));
    expect(await checked(b.files)).toEqual(await checked(a.files));
    // Parts from the two machines merge: same bundle bytes, same signer.
    ok(await runCli(['verify', '--key', pub, '--merge', a.files[0] ?? '', b.files[1] ?? '', a.files[2] ?? '']));
  });
});
