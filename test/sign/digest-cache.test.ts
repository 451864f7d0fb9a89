/**
 * The digest cache of `sign --incremental` as modules: the file format (round trip, and every way
 * a file is refused), the store's trust checks, bounds and eviction, and the hashing hook against
 * a plain manifest computation. The CLI's behaviour is in test/cli/incremental.test.ts.
 */
import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readdir, readFile, realpath, rm, stat, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { computeManifest, type ManifestOptions } from '../../src/manifest/compute.js';
import { decodeDigestCache, encodeDigestCache, scopeHeader, type CacheEntry, type CacheScope } from '../../src/sign/digest-cache/format.js';
import { IncrementalHashing, type IncrementalOutcome } from '../../src/sign/digest-cache/incremental.js';
import { cacheFilePath, digestCacheDirectory, evictCacheFiles, MAX_CACHE_FILE_BYTES, MAX_CACHE_FILES, prepareCacheDirectory, readCacheFile, writeCacheFile } from '../../src/sign/digest-cache/store.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';

const SCOPE: CacheScope = { root: '/models/m', serialization: { hashType: 'sha256', method: 'files' } };
const hex = (seed: string, bytes = 32): string => createHash(bytes === 64 ? 'sha512' : 'sha256').update(seed).digest('hex');
const entry = (n: number, digests: readonly string[] = [hex(String(n))]): CacheEntry => ({ key: `2049 ${String(1000 + n)} 20 1700000000${String(n).padStart(9, '0')} 1700000000000000000`, digests });

/** A cache file from raw lines with a correct trailer: malformed content that passes the checksum. */
function rawCache(lines: readonly string[], count = lines.length - 2): Buffer {
  const body = Buffer.from(`${lines.join('\n')}\n`);
  return Buffer.concat([body, Buffer.from(`end ${String(count)} ${createHash('sha256').update(body).digest('hex')}\n`)]);
}

const problemOf = (bytes: Buffer, scope: CacheScope = SCOPE): string | undefined => {
  const decoded = decodeDigestCache(bytes, scope);
  return 'problem' in decoded ? decoded.problem : undefined;
};

describe('digest cache file format', () => {
  it('round-trips entries, including names with tabs, newlines, quotes and non-UTF-8 bytes', () => {
    const names = ['config.json', 'weights/a\tb', 'line\nbreak', 'quote"d', 'latin1-\udce9', 'ünïcode/😀'];
    const entries = new Map(names.map((name, index) => [name, entry(index)]));
    const bytes = encodeDigestCache(SCOPE, entries);
    expect(bytes.toString('utf8').split('\n')[0]).toBe('aiprov-digest-cache/v1');
    const decoded = decodeDigestCache(bytes, SCOPE);
    expect('entries' in decoded && [...decoded.entries]).toEqual([...entries]);
  });

  it('round-trips 100,000 entries', () => {
    const entries = new Map(Array.from({ length: 100_000 }, (_, index) => [`data/shard-${String(index).padStart(6, '0')}.jsonl`, entry(index)]));
    const decoded = decodeDigestCache(encodeDigestCache(SCOPE, entries), SCOPE);
    expect('entries' in decoded && decoded.entries.size).toBe(100_000);
    expect('entries' in decoded && decoded.entries.get('data/shard-099999.jsonl')).toEqual(entries.get('data/shard-099999.jsonl'));
  });

  it('holds one digest per shard, as many as the size needs', () => {
    const shards: CacheScope = { root: '/m', serialization: { hashType: 'blake2b', method: 'shards', shardSize: 8 } };
    const threeShards = new Map([['big.bin', entry(1, [hex('a', 64), hex('b', 64), hex('c', 64)])]]);
    expect(problemOf(encodeDigestCache(shards, threeShards), shards)).toBeUndefined();
    expect(problemOf(encodeDigestCache(shards, new Map([['big.bin', entry(1, [hex('a', 64), hex('b', 64)])]])), shards)).toBe('corrupt (line 3)');
    // Digests of the wrong length for the hash type.
    expect(problemOf(encodeDigestCache(shards, new Map([['big.bin', entry(1, [hex('a'), hex('b'), hex('c')])]])), shards)).toBe('corrupt (line 3)');
  });

  it('refuses another format, another version, another artifact or serialization', () => {
    const good = encodeDigestCache(SCOPE, new Map([['a', entry(1)]]));
    expect(problemOf(Buffer.alloc(0))).toBe('not an aiprov digest cache');
    expect(problemOf(Buffer.from('{"version": 1}\n'))).toBe('not an aiprov digest cache');
    expect(problemOf(Buffer.from(good.toString().replace('aiprov-digest-cache/v1', 'aiprov-digest-cache/v2')))).toMatch(/^another version of the format/);
    expect(problemOf(good, { ...SCOPE, root: '/models/other' })).toBe('made for another artifact or serialization');
    expect(problemOf(good, { ...SCOPE, serialization: { hashType: 'blake3', method: 'files' } })).toBe('made for another artifact or serialization');
    expect(problemOf(good, { ...SCOPE, serialization: { hashType: 'sha256', method: 'shards', shardSize: 20 } })).toBe('made for another artifact or serialization');
  });

  it('refuses a truncated or altered file as a whole', () => {
    const good = encodeDigestCache(SCOPE, new Map([['a', entry(1)], ['b', entry(2)]]));
    expect(problemOf(good)).toBeUndefined();
    for (const length of [good.length - 1, good.length - 30, Math.floor(good.length / 2), 23]) expect(problemOf(good.subarray(0, length))).toMatch(/^truncated|^corrupt/);
    const flipped = Buffer.from(good);
    const at = flipped.indexOf(hex('1'));
    flipped[at] = flipped[at] === 0x30 ? 0x31 : 0x30;
    expect(problemOf(flipped)).toBe('corrupt (checksum mismatch)');
  });

  it('refuses malformed lines, duplicate names and a wrong count even under a valid checksum', () => {
    const header = ['aiprov-digest-cache/v1', scopeHeader(SCOPE)];
    const line = (name: string, key = entry(1).key, digest = hex('1')): string => `${key}\t${digest}\t${JSON.stringify(name)}`;
    expect(problemOf(rawCache([...header, line('a')]))).toBeUndefined();
    expect(problemOf(rawCache([...header, line('a'), line('a')]))).toBe('corrupt (line 4)');
    expect(problemOf(rawCache([...header, line('a')], 2))).toBe('corrupt (entry count mismatch)');
    for (const bad of [line('a', '1 2 3 4'), line('a', '1 2 x 4 5'), line('a', undefined, 'zz'), `${line('a')}\textra`, line('a').replace('"a"', 'a'), line(''), `${entry(1).key}\t${hex('1')}\t7`]) {
      expect(problemOf(rawCache([...header, bad])), bad).toBe('corrupt (line 3)');
    }
  });
});

describe('digest cache store', () => {
  it('lives under XDG_CACHE_HOME, else HOME/.cache; relative paths are ignored', () => {
    expect(digestCacheDirectory({ XDG_CACHE_HOME: '/c', HOME: '/h' })).toBe('/c/aiprov/digests');
    expect(digestCacheDirectory({ XDG_CACHE_HOME: 'relative', HOME: '/h' })).toBe('/h/.cache/aiprov/digests');
    expect(digestCacheDirectory({ XDG_CACHE_HOME: '', HOME: '/h' })).toBe('/h/.cache/aiprov/digests');
    expect(digestCacheDirectory({ HOME: 'h' })).toBeUndefined();
    expect(digestCacheDirectory({})).toBeUndefined();
  });

  it('names one file per artifact and serialization', () => {
    const other = cacheFilePath('/d', { ...SCOPE, serialization: { hashType: 'sha256', method: 'shards', shardSize: 8 } });
    expect(cacheFilePath('/d', SCOPE)).toMatch(/^\/d\/[0-9a-f]{64}$/);
    expect(other).not.toBe(cacheFilePath('/d', SCOPE));
  });

  it('creates its directory 0700 and refuses one others may write, a link or a file', async () => {
    const dir = await temporaryDirectory();
    const directory = join(dir, 'cache', 'aiprov', 'digests');
    expect(await prepareCacheDirectory(directory)).toBeUndefined();
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
    await chmod(directory, 0o770);
    expect(await prepareCacheDirectory(directory)).toBe('writable by group (mode 0770)');
    await chmod(directory, 0o703);
    expect(await prepareCacheDirectory(directory)).toBe('writable by others (mode 0703)');
    await symlink(dir, join(dir, 'link'));
    expect(await prepareCacheDirectory(join(dir, 'link'))).toBe('it is a symbolic link');
    await writeFile(join(dir, 'file'), '');
    expect(await prepareCacheDirectory(join(dir, 'file'))).toBe('it is not a directory');
    expect(await prepareCacheDirectory(join(dir, 'file', 'below'))).toBe('a path component is not a directory');
  });

  it('reads only a regular file of this user that group and others cannot write, within its size limit', async () => {
    const dir = await temporaryDirectory();
    const path = join(dir, 'cache');
    expect(await readCacheFile(path)).toBeUndefined();
    expect(await writeCacheFile(path, dir, Buffer.from('contents'))).toBeUndefined();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readCacheFile(path)).toEqual({ bytes: Buffer.from('contents') });
    await chmod(path, 0o666);
    expect(await readCacheFile(path)).toEqual({ problem: 'writable by others (mode 0666)' });
    await chmod(path, 0o620);
    expect(await readCacheFile(path)).toEqual({ problem: 'writable by group (mode 0620)' });
    await chmod(path, 0o600);
    await truncate(path, MAX_CACHE_FILE_BYTES + 1);
    expect(await readCacheFile(path)).toEqual({ problem: `larger than ${String(MAX_CACHE_FILE_BYTES)} bytes` });
    await symlink(path, join(dir, 'link'));
    expect(await readCacheFile(join(dir, 'link'))).toEqual({ problem: 'it is a symbolic link' });
    await mkdir(join(dir, 'directory'));
    expect(await readCacheFile(join(dir, 'directory'))).toEqual({ problem: 'not a regular file' });
  });

  it.skipIf(process.getuid?.() !== 0)('does not read a cache file owned by another user (as root: chown)', async () => {
    const dir = await temporaryDirectory();
    const path = join(dir, 'cache');
    await writeFile(path, 'x', { mode: 0o600 });
    await chown(path, 65534, 65534);
    expect(await readCacheFile(path)).toEqual({ problem: `owned by user 65534, not by you (${String(process.getuid?.())})` });
  });

  it('keeps the most recently used files within its count and byte bounds, and always the one in use', async () => {
    const dir = await temporaryDirectory();
    const names = Array.from({ length: MAX_CACHE_FILES + 6 }, (_, index) => hex(`cache ${String(index)}`));
    for (const [index, name] of names.entries()) {
      await writeFile(join(dir, name), 'x');
      // Index 0 is the oldest.
      await utimes(join(dir, name), 1_000_000 + index, 1_000_000 + index);
    }
    await writeFile(join(dir, 'not-a-cache-file'), 'kept');
    const inUse = join(dir, names[0] ?? '');
    await evictCacheFiles(dir, inUse);
    const expected = [names[0], ...names.slice(7), 'not-a-cache-file'].sort();
    expect((await readdir(dir)).sort()).toEqual(expected);
    // Bytes: three sparse files of 200 MiB are over the 512 MiB bound; the oldest goes.
    const big = await temporaryDirectory();
    const bigNames = [hex('old'), hex('middle'), hex('new')];
    for (const [index, name] of bigNames.entries()) {
      await writeFile(join(big, name), '');
      await truncate(join(big, name), 200 * 1024 * 1024);
      await utimes(join(big, name), 1_000_000 + index, 1_000_000 + index);
    }
    await evictCacheFiles(big, join(big, bigNames[2] ?? ''));
    expect((await readdir(big)).sort()).toEqual([bigNames[1], bigNames[2]].sort());
  });
});

describe('incremental hashing hook', () => {
  /** The manifest computed through the hook, and what it reused. */
  async function incremental(model: string, directory: string, options: ManifestOptions = {}): Promise<{ manifest: Awaited<ReturnType<typeof computeManifest>>; outcome: IncrementalOutcome }> {
    const hashing = new IncrementalHashing({ directory }, model);
    const manifest = await computeManifest(model, { ...options, knownDigests: hashing.open });
    return { manifest, outcome: hashing.outcome() };
  }

  it('stores files older than the safety margin only, reuses them while their key holds, and drops deleted ones', { timeout: 20_000 }, async () => {
    const dir = await temporaryDirectory();
    const model = await writeModel(join(dir, 'model'), { ...SMALL_MODEL, 'big.bin': 'x'.repeat(20) });
    const directory = join(dir, 'cache');
    for (const options of [{}, { method: 'shards', shardSize: 8 }] as const) {
      // Fresh files: hashed, and not stored (their timestamps are within the margin).
      const fresh = await incremental(model, directory, options);
      expect(fresh.outcome).toMatchObject({ reusedResources: 0, findings: [] });
      expect((await incremental(model, directory, options)).outcome.reusedResources).toBe(0);
    }
    await sleep(2100);
    for (const options of [{}, { method: 'shards', shardSize: 8 }] as const) {
      const full = await computeManifest(model, options);
      const resources = full.resources.length;
      expect((await incremental(model, directory, options)).outcome).toEqual({ reusedResources: 0, hashedResources: resources, findings: [] });
      const again = await incremental(model, directory, options);
      expect(again.outcome).toEqual({ reusedResources: resources, hashedResources: 0, findings: [] });
      expect(again.manifest).toEqual(full);
    }
    await writeFile(join(model, 'config.json'), '{"layers": 3}\n');
    const changed = await incremental(model, directory);
    expect(changed.outcome).toMatchObject({ reusedResources: 4, hashedResources: 1 });
    expect(changed.manifest).toEqual(await computeManifest(model));
    // The changed file is fresh again: not stored, so hashed again; a deleted file drops out.
    await writeFile(join(model, 'weights', 'layer-1.bin'), '');
    await rm(join(model, '.hidden'));
    expect((await incremental(model, directory)).outcome).toMatchObject({ reusedResources: 2, hashedResources: 2 });
    const scope: CacheScope = { root: await realpath(model), serialization: { hashType: 'sha256', method: 'files' } };
    const decoded = decodeDigestCache(await readFile(cacheFilePath(directory, scope)), scope);
    expect('entries' in decoded && [...decoded.entries.keys()].sort()).toEqual(['big.bin', 'weights/layer-0.bin']);
    expect((await lstat(directory)).mode & 0o777).toBe(0o700);
  });
});
