import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeManifest } from '../../src/manifest/compute.js';
import { compareResources, computeRootDigest, diffManifests, parseShardName, type Manifest } from '../../src/manifest/manifest.js';
import { compareResourcePaths } from '../../src/hashing/walk.js';
import { temporaryDirectory, writeModel } from '../support/fixtures.js';
import { rejectionOf } from '../support/errors.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('resource order', () => {
  it('compares paths component by component, by code point (PurePosixPath order)', () => {
    const paths = ['a.b', 'a/b', 'a-b/c', 'B', 'a/b/c', '\u{1F600}', '\uFFFD'];
    expect([...paths].sort(compareResourcePaths)).toEqual(['B', 'a/b', 'a/b/c', 'a-b/c', 'a.b', '\uFFFD', '\u{1F600}']);
  });

  it('orders shards of a file by numeric offset', () => {
    const names = ['f:16:23', 'f:0:8', 'e:0:1', 'f:8:16'];
    const sorted = names.map((name) => ({ name, algorithm: 'x', digest: '00' })).sort(compareResources('shards'));
    expect(sorted.map((resource) => resource.name)).toEqual(['e:0:1', 'f:0:8', 'f:8:16', 'f:16:23']);
  });

  it('parses shard names from the right, so paths may contain colons', () => {
    expect(parseShardName('dir/a:b:0:10')).toEqual({ path: 'dir/a:b', start: 0, end: 10 });
    expect(parseShardName('x:10:2')).toBeUndefined();
    expect(parseShardName('x:01:2')).toBeUndefined();
  });
});

describe('computeManifest', () => {
  it('names a single file "." and the artifact after the file', async () => {
    const dir = await temporaryDirectory();
    await writeFile(join(dir, 'model.gguf'), 'weights');
    const manifest = await computeManifest(join(dir, 'model.gguf'));
    expect(manifest.name).toBe('model.gguf');
    expect(manifest.resources).toEqual([{ name: '.', algorithm: 'sha256', digest: sha256('weights') }]);
  });

  it('gives the empty artifact the digest of nothing (model_signing golden value)', async () => {
    const manifest = await computeManifest(await temporaryDirectory());
    expect(computeRootDigest(manifest.resources)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('includes dotfiles and ignores git metadata at the top level only', async () => {
    const dir = await writeModel(await temporaryDirectory(), { '.env': 'a', '.git/HEAD': 'b', '.gitignore': 'c', 'sub/.git/HEAD': 'd', 'sub/.gitignore': 'e' });
    const manifest = await computeManifest(dir);
    expect(manifest.resources.map((resource) => resource.name)).toEqual(['.env', 'sub/.git/HEAD', 'sub/.gitignore']);
    expect(manifest.serialization.ignorePaths).toEqual(['.git', '.gitattributes', '.github', '.gitignore']);
  });

  it('matches ignore paths by whole components', async () => {
    const dir = await writeModel(await temporaryDirectory(), { 'foo/x': '1', foobar: '2', 'a/foo': '3' });
    const manifest = await computeManifest(dir, { ignorePaths: ['foo', './a/foo/'] });
    expect(manifest.resources.map((resource) => resource.name)).toEqual(['foobar']);
    expect(manifest.serialization.ignorePaths).toContain('a/foo');
  });

  it('refuses ignore paths that leave the artifact', async () => {
    expect(await rejectionOf(computeManifest(await temporaryDirectory(), { ignorePaths: ['../x'] }))).toMatchObject({ code: 'BAD_IGNORE_PATH', category: 'input' });
  });

  it('splits files into shards and gives empty files none (as model_signing does)', async () => {
    const dir = await writeModel(await temporaryDirectory(), { big: '0123456789abcdefghijk', empty: '' });
    const manifest = await computeManifest(dir, { method: 'shards', shardSize: 8 });
    expect(manifest.resources).toEqual([
      { name: 'big:0:8', algorithm: 'sha256-sharded-8', digest: sha256('01234567') },
      { name: 'big:8:16', algorithm: 'sha256-sharded-8', digest: sha256('89abcdef') },
      { name: 'big:16:21', algorithm: 'sha256-sharded-8', digest: sha256('ghijk') },
    ]);
    expect(manifest.serialization.shardSize).toBe(8);
  });

  it('hashes with BLAKE2b-512 and BLAKE3', async () => {
    const dir = await writeModel(await temporaryDirectory(), { f: 'abc' });
    const blake2b = await computeManifest(dir, { hashType: 'blake2b' });
    expect(blake2b.resources[0]?.digest).toBe(createHash('blake2b512').update('abc').digest('hex'));
    const blake3 = await computeManifest(dir, { hashType: 'blake3' });
    // BLAKE3("abc") from the reference implementation.
    expect(blake3.resources[0]?.digest).toBe('6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85');
  });

  describe('symbolic links', () => {
    async function withLinks(): Promise<{ dir: string; outside: string }> {
      const outside = await writeModel(await temporaryDirectory(), { secret: 'outside' });
      const dir = await writeModel(await temporaryDirectory(), { 'real.bin': 'content' });
      await symlink(join(dir, 'real.bin'), join(dir, 'link.bin'));
      return { dir, outside };
    }

    it('refuses links by default', async () => {
      const { dir } = await withLinks();
      expect(await rejectionOf(computeManifest(dir))).toMatchObject({ code: 'SYMLINK_REFUSED', category: 'input', path: 'link.bin' });
    });

    it('hashes the target under the link name when allowed', async () => {
      const { dir } = await withLinks();
      const manifest = await computeManifest(dir, { allowSymlinks: true });
      expect(manifest.resources).toEqual([
        { name: 'link.bin', algorithm: 'sha256', digest: sha256('content') },
        { name: 'real.bin', algorithm: 'sha256', digest: sha256('content') },
      ]);
      expect(manifest.serialization.allowSymlinks).toBe(true);
    });

    it('refuses a link that leaves the artifact unless explicitly allowed', async () => {
      const { dir, outside } = await withLinks();
      await symlink(join(outside, 'secret'), join(dir, 'escape'));
      expect(await rejectionOf(computeManifest(dir, { allowSymlinks: true }))).toMatchObject({ code: 'SYMLINK_ESCAPES_ARTIFACT', path: 'escape' });
      const manifest = await computeManifest(dir, { allowSymlinks: true, allowExternalSymlinks: true });
      expect(manifest.resources.find((resource) => resource.name === 'escape')?.digest).toBe(sha256('outside'));
    });

    it('stops a directory link cycle', async () => {
      const dir = await writeModel(await temporaryDirectory(), { 'sub/file': 'x' });
      await symlink('..', join(dir, 'sub', 'loop'));
      expect(await rejectionOf(computeManifest(dir, { allowSymlinks: true }))).toMatchObject({ code: 'SYMLINK_CYCLE' });
    });
  });

  it('refuses a FIFO', async () => {
    const dir = await temporaryDirectory();
    await mkdir(join(dir, 'sub'));
    execFileSync('mkfifo', [join(dir, 'sub', 'pipe')]);
    expect(await rejectionOf(computeManifest(dir))).toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE', path: 'sub/pipe' });
  });

  it('reports an unreadable file as an I/O error naming it', async () => {
    const dir = await writeModel(await temporaryDirectory(), { secret: 'x' });
    expect(await rejectionOf(computeManifest(join(dir, 'missing')))).toMatchObject({ code: 'FILE_NOT_FOUND', category: 'io' });
  });
});

describe('diffManifests', () => {
  const manifest = (resources: [string, string][], method: 'files' | 'shards' = 'files'): Manifest => ({
    name: 'm',
    serialization: { method, hashType: 'sha256', allowSymlinks: false, ignorePaths: [], ...(method === 'shards' ? { shardSize: 4 } : {}) },
    resources: resources.map(([name, digest]) => ({ name, algorithm: 'sha256', digest })),
  });

  it('groups shards by file and ignores the order they were listed in', () => {
    const signed = manifest([['f:4:8', 'bb'], ['f:0:4', 'aa'], ['g:0:4', 'cc']], 'shards');
    const actual = manifest([['f:0:4', 'aa'], ['f:4:8', 'b0'], ['h:0:4', 'dd']], 'shards');
    expect(diffManifests(signed, actual)).toEqual({ extra: ['h'], missing: ['g'], changed: ['f'] });
    expect(diffManifests(signed, manifest([['f:0:4', 'aa'], ['f:4:8', 'bb'], ['g:0:4', 'cc']], 'shards'))).toEqual({ extra: [], missing: [], changed: [] });
  });
});
