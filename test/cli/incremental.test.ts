/**
 * `aiprov sign --incremental` (issue 13), as a user runs it: real processes, the cache under a
 * temporary XDG_CACHE_HOME. Whether a file was read is shown by the `--json` counts, never by
 * timing. A file is stored only once its timestamps are older than the 2 s safety margin, so the
 * models are written once, before every test, and aged together.
 */
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDigestCache, encodeDigestCache, type CacheScope } from '../../src/sign/digest-cache/format.js';
import { expectOneLineError, runCli, type CliRun } from '../support/cli.js';
import { SMALL_MODEL, writeModel } from '../support/fixtures.js';

const PER_TEST = { timeout: 60_000 };
/** An old, whole-second modification time, restored exactly after an in-place change. */
const OLD_TIME = new Date('2020-01-01T00:00:00Z');
const MODELS = ['basic', 'same-size', 'added-deleted', 'corrupt', 'directory', 'concurrent', 'eviction', 'shards', 'blake3', 'poisoned'] as const;
type ModelName = (typeof MODELS)[number];

let root = '';
let key = '';
let pub = '';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aiprov-incremental-'));
  expect((await runCli(['keygen', '--output-prefix', join(root, 'k')])).status).toBe(0);
  key = join(root, 'k.key');
  pub = join(root, 'k.pub');
  for (const name of MODELS) await writeModel(join(root, name), { ...SMALL_MODEL, 'big.bin': 'b'.repeat(20) });
  await utimes(join(root, 'same-size', 'weights', 'layer-0.bin'), OLD_TIME, OLD_TIME);
  // Past the safety margin: from now on, these files are stored when hashed.
  await sleep(2100);
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const model = (name: ModelName): string => join(root, name);
const cacheHome = (name: string): string => join(root, `cache-${name}`);
const cacheDirectory = (name: string): string => join(cacheHome(name), 'aiprov', 'digests');

interface Signed {
  readonly run: CliRun;
  readonly rootDigest: string;
  readonly reused: number;
  readonly hashed: number;
}

/** `sign --incremental --json` with the test's cache; asserts success. */
async function signIncremental(name: ModelName, cache: string = name, extra: readonly string[] = []): Promise<Signed> {
  const run = await runCli(['sign', model(name), '--key', key, '--incremental', '--json', ...extra], { env: { XDG_CACHE_HOME: cacheHome(cache) } });
  expect(run.status, run.stderr).toBe(0);
  const json = JSON.parse(run.stdout) as { rootDigest: string; resourceCount: number; incremental: { reusedResources: number; hashedResources: number } };
  expect(json.incremental.reusedResources + json.incremental.hashedResources).toBe(json.resourceCount);
  return { run, rootDigest: json.rootDigest, reused: json.incremental.reusedResources, hashed: json.incremental.hashedResources };
}

/** The root a full, non-incremental computation gives (what `sign` without the cache signs). */
async function fullRoot(name: ModelName, extra: readonly string[] = []): Promise<string> {
  const run = await runCli(['digest', model(name), ...extra]);
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.trim();
}

async function verify(name: ModelName): Promise<CliRun> {
  return runCli(['verify', model(name), '--key', pub]);
}

/** The one cache file of a test's cache directory. */
async function cacheFile(cache: string): Promise<string> {
  const names = await readdir(cacheDirectory(cache));
  expect(names).toHaveLength(1);
  return join(cacheDirectory(cache), names[0] ?? '');
}

describe('aiprov sign --incremental', () => {
  it('hashes everything once, then nothing while no file changes; one change re-hashes one file and the signature verifies', PER_TEST, async () => {
    const first = await signIncremental('basic');
    expect({ reused: first.reused, hashed: first.hashed }).toEqual({ reused: 0, hashed: 5 });
    expect(first.rootDigest).toBe(await fullRoot('basic'));
    const cache = await cacheFile('basic');
    expect((await stat(cacheDirectory('basic'))).mode & 0o777).toBe(0o700);
    expect((await stat(cache)).mode & 0o777).toBe(0o600);
    const second = await signIncremental('basic');
    expect({ reused: second.reused, hashed: second.hashed, rootDigest: second.rootDigest }).toEqual({ reused: 5, hashed: 0, rootDigest: first.rootDigest });
    expect((await verify('basic')).status).toBe(0);

    await writeFile(join(model('basic'), 'weights', 'layer-1.bin'), 'layer one, retrained');
    const changed = await signIncremental('basic');
    expect({ reused: changed.reused, hashed: changed.hashed }).toEqual({ reused: 4, hashed: 1 });
    expect(changed.rootDigest).toBe(await fullRoot('basic'));
    expect(changed.rootDigest).not.toBe(first.rootDigest);
    expect((await verify('basic')).status).toBe(0);
    // The changed file is within the safety margin: hashed, not stored, so hashed again.
    expect((await signIncremental('basic')).hashed).toBe(1);

    const text = await runCli(['sign', model('basic'), '--key', key, '--incremental'], { env: { XDG_CACHE_HOME: cacheHome('basic') } });
    expect(text.stdout).toMatch(/^Signed basic sha256:[0-9a-f]{64} \(5 resources, 1 re-hashed\) -> /);
  });

  it('catches a same-size change written in place with the old modification time restored (ctime)', PER_TEST, async () => {
    const file = join(model('same-size'), 'weights', 'layer-0.bin');
    const first = await signIncremental('same-size');
    expect(first.hashed).toBe(5);
    expect((await signIncremental('same-size')).hashed).toBe(0);
    const before = await stat(file, { bigint: true });
    await writeFile(file, 'LAYER ZERO WEIGHTS');
    await utimes(file, OLD_TIME, OLD_TIME);
    const after = await stat(file, { bigint: true });
    expect({ size: after.size, mtimeNs: after.mtimeNs, ino: after.ino }).toEqual({ size: before.size, mtimeNs: before.mtimeNs, ino: before.ino });
    const changed = await signIncremental('same-size');
    expect({ reused: changed.reused, hashed: changed.hashed }).toEqual({ reused: 4, hashed: 1 });
    expect(changed.rootDigest).toBe(await fullRoot('same-size'));
    expect(changed.rootDigest).not.toBe(first.rootDigest);
    expect((await verify('same-size')).status).toBe(0);
  });

  it('hashes an added file, drops a deleted one from the cache', PER_TEST, async () => {
    expect((await signIncremental('added-deleted')).hashed).toBe(5);
    await rm(join(model('added-deleted'), '.hidden'));
    await writeFile(join(model('added-deleted'), 'tokenizer.json'), '{}');
    const next = await signIncremental('added-deleted');
    expect({ reused: next.reused, hashed: next.hashed }).toEqual({ reused: 4, hashed: 1 });
    expect(next.rootDigest).toBe(await fullRoot('added-deleted'));
    expect((await verify('added-deleted')).status).toBe(0);
    const scope: CacheScope = { root: await realpath(model('added-deleted')), serialization: { hashType: 'sha256', method: 'files' } };
    const decoded = decodeDigestCache(await readFile(await cacheFile('added-deleted')), scope);
    // tokenizer.json is too fresh to be stored yet; .hidden is gone.
    expect('entries' in decoded && [...decoded.entries.keys()].sort()).toEqual(['big.bin', 'config.json', 'weights/layer-0.bin', 'weights/layer-1.bin']);
  });

  it('ignores a corrupt, truncated, foreign, other-version or writable-by-others cache with one warning, and rewrites it', PER_TEST, async () => {
    expect((await signIncremental('corrupt')).hashed).toBe(5);
    const path = await cacheFile('corrupt');
    const good = await readFile(path);
    const scope: CacheScope = { root: await realpath(model('corrupt')), serialization: { hashType: 'sha256', method: 'files' } };
    const decoded = decodeDigestCache(good, scope);
    if (!('entries' in decoded)) throw new Error(decoded.problem);
    // A well-formed cache of blake3 digests where sha256's belongs.
    const foreign = encodeDigestCache({ ...scope, serialization: { hashType: 'blake3', method: 'files' } }, decoded.entries);
    const damages: readonly [string, RegExp, () => Promise<void>][] = [
      ['garbage', /not an aiprov digest cache/, () => writeFile(path, 'garbage\n', { mode: 0o600 })],
      ['truncated', /truncated/, () => truncate(path, Math.floor(good.length / 2))],
      ['other version', /another version of the format/, () => writeFile(path, good.toString().replace('aiprov-digest-cache/v1', 'aiprov-digest-cache/v9'))],
      ['another hash type', /made for another artifact or serialization/, () => writeFile(path, foreign)],
      ['bit flip', /checksum mismatch/, () => writeFile(path, good.toString().replace(/\t([0-9a-f])/, (_, digit: string) => `\t${digit === '0' ? '1' : '0'}`))],
      ['writable by others', /writable by others \(mode 0666\)/, () => chmod(path, 0o666)],
    ];
    for (const [what, reason, damage] of damages) {
      await writeFile(path, good, { mode: 0o600 });
      await chmod(path, 0o600);
      await damage();
      const ignored = await signIncremental('corrupt');
      expect({ what, hashed: ignored.hashed }).toEqual({ what, hashed: 5 });
      expect(ignored.run.stderr.trim(), what).toMatch(new RegExp(`^aiprov: ! DIGEST_CACHE_IGNORED: digest cache .+ ignored \\(.*${reason.source}.*\\): every file is hashed and the cache rewritten$`));
      // Rewritten: the next run reuses everything again.
      expect({ what, hashed: (await signIncremental('corrupt')).hashed }).toEqual({ what, hashed: 0 });
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    }
    await writeFile(path, 'garbage\n');
    const quiet = await signIncremental('corrupt', 'corrupt', ['--quiet']);
    expect({ hashed: quiet.hashed, stderr: quiet.run.stderr }).toEqual({ hashed: 5, stderr: '' });
  });

  it.skipIf(process.getuid?.() !== 0)('ignores a cache file owned by another user (as root: chown) and replaces it', PER_TEST, async () => {
    expect((await signIncremental('corrupt', 'owner')).hashed).toBe(5);
    const path = await cacheFile('owner');
    await chown(path, 65534, 65534);
    const ignored = await signIncremental('corrupt', 'owner');
    expect(ignored.hashed).toBe(5);
    expect(ignored.run.stderr).toMatch(/DIGEST_CACHE_IGNORED: .*owned by user 65534/);
    expect((await stat(path)).uid).toBe(0);
    expect((await signIncremental('corrupt', 'owner')).hashed).toBe(0);
  });

  it('does not use a cache directory others may write: everything is hashed, nothing cached, the sign succeeds', PER_TEST, async () => {
    await mkdir(cacheDirectory('directory'), { recursive: true });
    await chmod(cacheDirectory('directory'), 0o777);
    for (let round = 0; round < 2; round++) {
      const signed = await signIncremental('directory');
      expect(signed.hashed).toBe(5);
      expect(signed.run.stderr.trim()).toMatch(/^aiprov: ! DIGEST_CACHE_UNAVAILABLE: digest cache directory .+ not used \(writable by others \(mode 0777\)\): every file is hashed, nothing is cached$/);
    }
    expect(await readdir(cacheDirectory('directory'))).toEqual([]);
    expect((await verify('directory')).status).toBe(0);
  });

  it('is refused where no cache can be kept or nothing is hashed (--manifest), and is not a verify flag', async () => {
    for (const env of [{}, { XDG_CACHE_HOME: 'relative/cache' }, { HOME: 'relative-home' }]) {
      expectOneLineError(await runCli(['sign', model('basic'), '--key', key, '--incremental'], { env }), 2, 'INCREMENTAL_UNAVAILABLE');
    }
    expectOneLineError(await runCli(['verify', model('basic'), '--key', pub, '--incremental'], { env: { XDG_CACHE_HOME: cacheHome('basic') } }), 2, 'USAGE');
    // A given manifest is signed as it is: nothing is hashed, so a cache would silently do nothing.
    expectOneLineError(await runCli(['sign', model('basic'), '--key', key, '--incremental', '--manifest', join(root, 'merged.json')], { env: { XDG_CACHE_HOME: cacheHome('basic') } }), 2, 'USAGE');
  });

  it('two concurrent signers leave a cache the third uses, and a signature that verifies', PER_TEST, async () => {
    const concurrently = (): Promise<CliRun[]> => Promise.all([0, 1].map(() => runCli(['sign', model('concurrent'), '--key', key, '--incremental', '--json'], { env: { XDG_CACHE_HOME: cacheHome('concurrent') } })));
    for (let round = 0; round < 2; round++) {
      const runs = await concurrently();
      expect(runs.map((run) => [run.status, run.stderr])).toEqual([[0, ''], [0, '']]);
    }
    const third = await signIncremental('concurrent');
    expect({ hashed: third.hashed, stderr: third.run.stderr }).toEqual({ hashed: 0, stderr: '' });
    expect(third.rootDigest).toBe(await fullRoot('concurrent'));
    expect((await verify('concurrent')).status).toBe(0);
    expect(await readdir(cacheDirectory('concurrent'))).toHaveLength(1);
  });

  it('keeps at most 64 cache files, evicting the least recently used', PER_TEST, async () => {
    const directory = cacheDirectory('eviction');
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const others = Array.from({ length: 70 }, (_, index) => `${index.toString(16).padStart(2, '0')}${'e'.repeat(62)}`);
    for (const [index, name] of others.entries()) {
      await writeFile(join(directory, name), 'an older cache', { mode: 0o600 });
      await utimes(join(directory, name), 1_000_000 + index, 1_000_000 + index);
    }
    await signIncremental('eviction');
    const left = await readdir(directory);
    expect(left).toHaveLength(64);
    // The 63 most recent others and this artifact's own cache.
    expect(left.filter((name) => others.includes(name)).sort()).toEqual(others.slice(7).sort());
    expect((await signIncremental('eviction')).hashed).toBe(0);
  });

  it('shards: reuses shard digests per file, keyed by shard size', PER_TEST, async () => {
    const shards = ['--shard-size', '8'];
    const first = await signIncremental('shards', 'shards', shards);
    expect(first.reused).toBe(0);
    expect((await signIncremental('shards', 'shards', shards)).hashed).toBe(0);
    await writeFile(join(model('shards'), 'big.bin'), 'B'.repeat(20));
    const changed = await signIncremental('shards', 'shards', shards);
    // big.bin is 20 bytes: three shards re-hashed.
    expect({ reused: changed.reused, hashed: changed.hashed }).toEqual({ reused: first.hashed - 3, hashed: 3 });
    expect(changed.rootDigest).toBe(await fullRoot('shards', shards));
    expect((await verify('shards')).status).toBe(0);
    // Another shard size is another cache.
    expect((await signIncremental('shards', 'shards', ['--shard-size', '4'])).reused).toBe(0);
  });

  it('blake3 (and its own cache beside sha256\'s)', PER_TEST, async () => {
    expect((await signIncremental('blake3', 'blake3', ['--hash', 'blake3'])).hashed).toBe(5);
    const again = await signIncremental('blake3', 'blake3', ['--hash', 'blake3']);
    expect(again.hashed).toBe(0);
    expect(again.rootDigest).toBe(await fullRoot('blake3', ['--hash', 'blake3']));
    expect((await verify('blake3')).status).toBe(0);
    expect((await signIncremental('blake3')).reused).toBe(0);
    expect(await readdir(cacheDirectory('blake3'))).toHaveLength(2);
  });

  it('a poisoned cache is trusted by sign (the file is not read) but never by verify, which reports the change', PER_TEST, async () => {
    expect((await signIncremental('poisoned')).hashed).toBe(5);
    const path = await cacheFile('poisoned');
    const scope: CacheScope = { root: await realpath(model('poisoned')), serialization: { hashType: 'sha256', method: 'files' } };
    const decoded = decodeDigestCache(await readFile(path), scope);
    if (!('entries' in decoded)) throw new Error(decoded.problem);
    // The file changes; the cache is edited to claim the old digest under the file's new key.
    const file = join(model('poisoned'), 'config.json');
    await writeFile(file, '{"layers": 200}\n');
    const now = await stat(file, { bigint: true });
    const old = decoded.entries.get('config.json');
    if (old === undefined) throw new Error('config.json not cached');
    decoded.entries.set('config.json', { key: [now.dev, now.ino, now.size, now.mtimeNs, now.ctimeNs].map(String).join(' '), digests: old.digests });
    await writeFile(path, encodeDigestCache(scope, decoded.entries));
    const poisoned = await signIncremental('poisoned');
    expect(poisoned.hashed).toBe(0);
    expect(poisoned.rootDigest).not.toBe(await fullRoot('poisoned'));
    const verified = await verify('poisoned');
    expect(verified.status).toBe(1);
    expect(verified.stdout).toMatch(/1 changed/);
    expect(verified.stdout).toContain('config.json');
  });
});
