import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from '../support/cli.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';

const COMMIT = 'a'.repeat(39) + '1';

async function signedDirectory(dir: string, kind: 'model' | 'dataset' = 'model'): Promise<{ artifact: string; pub: string }> {
  const artifact = await writeModel(join(dir, kind), SMALL_MODEL);
  const prefix = join(dir, 'signer');
  expect((await runCli(['keygen', '--output-prefix', prefix])).status).toBe(0);
  expect((await runCli(['sign', artifact, '--kind', kind, '--key', `${prefix}.key`])).status).toBe(0);
  return { artifact, pub: `${prefix}.pub` };
}

async function filesOf(root: string, under = ''): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdir(join(root, under), { withFileTypes: true })) {
    const name = under === '' ? entry.name : `${under}/${entry.name}`;
    if (entry.isDirectory()) names.push(...(await filesOf(root, name)));
    else names.push(name);
  }
  return names;
}

/**
 * What huggingface_hub leaves in its cache after downloading `repo` at COMMIT: every file
 * (the signature too) a relative link from `snapshots/<commit>/` into `blobs/<hash>`, and
 * `refs/main` holding the commit.
 */
async function hubCacheOf(source: string, cache: string, repo: string): Promise<string> {
  const repository = join(cache, repo);
  const snapshot = join(repository, 'snapshots', COMMIT);
  await mkdir(join(repository, 'blobs'), { recursive: true });
  await mkdir(join(repository, 'refs'), { recursive: true });
  await writeFile(join(repository, 'refs', 'main'), COMMIT);
  for (const name of await filesOf(source)) {
    const bytes = await readFile(join(source, name));
    const blob = join(repository, 'blobs', createHash('sha256').update(bytes).digest('hex'));
    await writeFile(blob, bytes);
    const link = join(snapshot, ...name.split('/'));
    await mkdir(dirname(link), { recursive: true });
    await symlink(relative(dirname(link), blob), link);
  }
  return snapshot;
}

describe('Hugging Face hub cache', () => {
  it('verifies a snapshot of a plain signed directory: links into the repository\'s blobs/ are its files', async () => {
    const dir = await temporaryDirectory();
    const { artifact, pub } = await signedDirectory(dir);
    const snapshot = await hubCacheOf(artifact, join(dir, 'cache'), 'models--org--name');
    const run = await runCli(['verify', snapshot, '--key', pub]);
    expect(run.stdout).toMatch(/^Verified/);
    expect(run.status).toBe(0);
    expect((await runCli(['verify', snapshot, '--key', pub, '--allow-symlinks'])).status).toBe(0);
  });

  it('a snapshot link that leaves the repository\'s blobs/ is tampering: exit 1 with a finding, whatever the flags, and no hint to follow it', async () => {
    const dir = await temporaryDirectory();
    const { artifact, pub } = await signedDirectory(dir);
    const snapshot = await hubCacheOf(artifact, join(dir, 'cache'), 'models--org--name');
    // The signed bytes, but from outside the cache: with --allow-external-symlinks this verified.
    await writeFile(join(dir, 'outside.json'), SMALL_MODEL['config.json'] ?? '');
    await rm(join(snapshot, 'config.json'));
    await symlink(join(dir, 'outside.json'), join(snapshot, 'config.json'));
    for (const flags of [[], ['--allow-symlinks'], ['--allow-symlinks', '--allow-external-symlinks'], ['--allow-external-symlinks']]) {
      const run = await runCli(['verify', snapshot, '--key', pub, ...flags]);
      expect({ flags, status: run.status }).toEqual({ flags, status: 1 });
      expect(run.stdout).toMatch(/^Verification FAILED/);
      expect(run.stdout).toContain('HUB_LINK_OUTSIDE_BLOBS: config.json is a link that leaves the Hugging Face repository\'s blobs/');
      expect(run.stdout + run.stderr).not.toContain('--allow');
      const json = JSON.parse((await runCli(['verify', snapshot, '--key', pub, '--json', ...flags])).stdout) as { verified: boolean; findings: { code: string; severity: string; path?: string }[] };
      expect(json.verified).toBe(false);
      expect(json.findings).toContainEqual(expect.objectContaining({ code: 'HUB_LINK_OUTSIDE_BLOBS', severity: 'error', path: 'config.json' }));
    }
    // A link to a file inside the snapshot that is not in blobs/ is no hub file either; nor does
    // sign or digest follow one.
    await rm(join(snapshot, 'config.json'));
    await symlink('weights', join(snapshot, 'config.json'));
    expect((await runCli(['verify', snapshot, '--key', pub, '--allow-symlinks'])).status).toBe(1);
    const digest = await runCli(['digest', snapshot, '--allow-symlinks', '--allow-external-symlinks']);
    expectOneLineError(digest, 1, 'HUB_LINK_OUTSIDE_BLOBS');
    expect(digest.stderr).not.toContain('--allow');
  });

  it('verify --partition of such a snapshot fails the same way (exit 1)', async () => {
    const dir = await temporaryDirectory();
    const { artifact, pub } = await signedDirectory(dir);
    const snapshot = await hubCacheOf(artifact, join(dir, 'cache'), 'models--org--name');
    await writeFile(join(dir, 'extra.bin'), 'not from the hub');
    await symlink(join(dir, 'extra.bin'), join(snapshot, 'extra.bin'));
    expectOneLineError(await runCli(['verify', snapshot, '--key', pub, '--partition', '1/1', '--allow-external-symlinks']), 1, 'HUB_LINK_OUTSIDE_BLOBS');
  });

  it('leaves out another kind\'s bundles in a snapshot (links into blobs/), never other content under such a name', async () => {
    const dir = await temporaryDirectory();
    const { artifact, pub } = await signedDirectory(dir);
    const bundleLine = `${JSON.stringify(JSON.parse(await readFile(join(artifact, 'model.sig'), 'utf8')))}\n`;
    await writeFile(join(artifact, 'dataset.intoto.jsonl'), bundleLine);
    await writeFile(join(artifact, 'recipe.sig'), 'print("not a bundle")\n');
    const snapshot = await hubCacheOf(artifact, join(dir, 'cache'), 'models--org--name');
    const run = await runCli(['verify', snapshot, '--key', pub]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('FILE_UNSIGNED: recipe.sig');
    expect(run.stdout).not.toContain('dataset.intoto.jsonl');
  });

  it('resolves hf://org/name[@revision] through HF_HUB_CACHE, HF_HOME and the default cache, offline', async () => {
    const dir = await temporaryDirectory();
    const { artifact, pub } = await signedDirectory(dir);
    await hubCacheOf(artifact, join(dir, 'home', '.cache', 'huggingface', 'hub'), 'models--org--name');
    const byHome = { HOME: join(dir, 'home') };
    for (const reference of ['hf://org/name', 'hf://org/name@main', `hf://org/name@${COMMIT}`]) {
      const run = await runCli(['verify', reference, '--key', pub, '--offline'], { env: byHome });
      expect({ reference, status: run.status, stderr: run.stderr }).toEqual({ reference, status: 0, stderr: '' });
    }
    expect((await runCli(['verify', 'hf://org/name', '--key', pub], { env: { HF_HOME: join(dir, 'home', '.cache', 'huggingface') } })).status).toBe(0);
    expect((await runCli(['verify', 'hf://org/name', '--key', pub], { env: { HF_HUB_CACHE: join(dir, 'home', '.cache', 'huggingface', 'hub') } })).status).toBe(0);
    // digest (and sign) take the same references: the snapshot's root is the signed directory's.
    const digest = await runCli(['digest', 'hf://org/name'], { env: byHome });
    expect(digest.stdout).toBe((await runCli(['digest', artifact])).stdout);
    const missing = await runCli(['verify', 'hf://org/other', '--key', pub], { env: byHome });
    expectOneLineError(missing, 2, 'HUB_NOT_CACHED');
    expect(missing.stderr).toContain('hf download org/other');
    expectOneLineError(await runCli(['verify', 'hf://org/name@v2', '--key', pub], { env: byHome }), 2, 'HUB_NOT_CACHED');
    expectOneLineError(await runCli(['verify', 'hf://not a repo', '--key', pub], { env: byHome }), 2, 'HUB_URI_INVALID');
  });

  it('resolves hf://datasets/org/name in the datasets-- folder', async () => {
    const dir = await temporaryDirectory();
    const { artifact, pub } = await signedDirectory(dir, 'dataset');
    await hubCacheOf(artifact, join(dir, 'cache'), 'datasets--org--data');
    expect((await runCli(['verify', 'hf://datasets/org/data', '--kind', 'dataset', '--key', pub], { env: { HF_HUB_CACHE: join(dir, 'cache') } })).status).toBe(0);
  });

  it('verifies a --local-dir download with its .cache/huggingface/ metadata left out', async () => {
    const dir = await temporaryDirectory();
    const { artifact, pub } = await signedDirectory(dir);
    await writeModel(artifact, { '.cache/huggingface/download/config.json.metadata': 'per-download etag and time', '.cache/huggingface/.gitignore': '*' });
    expect((await runCli(['verify', artifact, '--key', pub])).status).toBe(0);
  });
});

describe('verify --allow-symlinks (model_signing)', () => {
  it('follows a link the signer had as a file, which verify otherwise refuses', async () => {
    const dir = await temporaryDirectory();
    const { artifact, pub } = await signedDirectory(dir);
    // The same model with config.json a link to an identical file outside it.
    const { 'config.json': config = '', ...rest } = SMALL_MODEL;
    const copy = await writeModel(join(dir, 'copy'), { ...rest, 'model.sig': await readFile(join(artifact, 'model.sig')) });
    await writeFile(join(dir, 'config.json'), config);
    await symlink(join(dir, 'config.json'), join(copy, 'config.json'));
    expectOneLineError(await runCli(['verify', copy, '--key', pub]), 2, 'SYMLINK_REFUSED');
    expectOneLineError(await runCli(['verify', copy, '--key', pub, '--allow-symlinks']), 2, 'SYMLINK_ESCAPES_ARTIFACT');
    expect((await runCli(['verify', copy, '--key', pub, '--allow-external-symlinks'])).status).toBe(0);
  });
});
