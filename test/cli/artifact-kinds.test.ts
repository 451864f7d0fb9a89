import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from '../support/cli.js';
import { temporaryDirectory, writeModel } from '../support/fixtures.js';

async function keyPair(dir: string): Promise<{ key: string; pub: string }> {
  const prefix = join(dir, 'signer');
  expect((await runCli(['keygen', '--output-prefix', prefix])).status).toBe(0);
  return { key: `${prefix}.key`, pub: `${prefix}.pub` };
}

async function signedDataset(): Promise<{ dir: string; dataset: string; key: string; pub: string }> {
  const dir = await temporaryDirectory();
  const dataset = await writeModel(join(dir, 'data'), { 'train.csv': 'a,b\n1,2\n' });
  const { key, pub } = await keyPair(dir);
  expect((await runCli(['sign', dataset, '--kind', 'dataset', '--key', key])).status).toBe(0);
  return { dir, dataset, key, pub };
}

describe('every kind\'s own files are left out by verify as by sign and digest', () => {
  it('a dataset also signed once without --kind still verifies as a dataset (model.sig is not FILE_UNSIGNED)', async () => {
    const { dataset, key, pub } = await signedDataset();
    expect((await runCli(['sign', dataset, '--key', key])).status).toBe(0);
    const asDataset = await runCli(['verify', dataset, '--kind', 'dataset', '--key', pub]);
    expect(asDataset.stdout).not.toContain('FILE_UNSIGNED');
    expect(asDataset.status).toBe(0);
    expect((await runCli(['verify', dataset, '--key', pub])).status).toBe(0);
  });

  it('leaves out another kind\'s attestations and evidence files when they hold bundles', async () => {
    const { dir, dataset, key, pub } = await signedDataset();
    const outside = join(dir, 'elsewhere.sig');
    expect((await runCli(['sign', dataset, '--kind', 'dataset', '--key', key, '--signature', outside])).status).toBe(0);
    const bundleLine = `${JSON.stringify(JSON.parse(await readFile(outside, 'utf8')))}\n`;
    await writeFile(join(dataset, 'model.intoto.jsonl'), bundleLine);
    await writeFile(join(dataset, 'recipe.evidence.jsonl'), bundleLine + bundleLine);
    expect((await runCli(['verify', dataset, '--kind', 'dataset', '--key', pub])).status).toBe(0);
  });

  it('a folder, a non-bundle or a symlink under another kind\'s name is still content: nothing is smuggled in', async () => {
    const { dataset, pub } = await signedDataset();
    const verifyDataset = (...extra: string[]): ReturnType<typeof runCli> => runCli(['verify', dataset, '--kind', 'dataset', '--key', pub, ...extra]);

    await mkdir(join(dataset, 'model.sig'));
    await writeFile(join(dataset, 'model.sig', 'evil.py'), 'import os');
    const folder = await verifyDataset();
    expect(folder.status).toBe(1);
    expect(folder.stdout).toContain('FILE_UNSIGNED: model.sig/evil.py');
    await rm(join(dataset, 'model.sig'), { recursive: true });

    await writeFile(join(dataset, 'recipe.intoto.jsonl'), 'not a bundle\n');
    const notBundles = await verifyDataset();
    expect(notBundles.status).toBe(1);
    expect(notBundles.stdout).toContain('FILE_UNSIGNED: recipe.intoto.jsonl');
    await rm(join(dataset, 'recipe.intoto.jsonl'));

    // A link to a real signature is a link, not a signature file: refused as the walk refuses any
    // link, or hashed as content when links are followed.
    await symlink(join(dataset, 'dataset.sig'), join(dataset, 'model.sig'));
    expectOneLineError(await verifyDataset(), 2, 'SYMLINK_REFUSED');
    const followed = await verifyDataset('--allow-symlinks');
    expect(followed.status).toBe(1);
    expect(followed.stdout).toContain('FILE_UNSIGNED: model.sig');
  });

  it('sign warns, in one line and without failing, when the folder already holds another kind\'s signature', async () => {
    const { dataset, key } = await signedDataset();
    const asModel = await runCli(['sign', dataset, '--key', key]);
    expect(asModel.status).toBe(0);
    expect(asModel.stderr).toMatch(/^aiprov: ! OTHER_KIND_SIGNATURE: the folder already holds dataset\.sig, another kind's signature; [^\n]+\n$/);
    // Re-signing the same kind in place is not another kind's signature.
    const again = await runCli(['sign', dataset, '--kind', 'dataset', '--key', key]);
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/^aiprov: ! OTHER_KIND_SIGNATURE: the folder already holds model\.sig, [^\n]+\n$/);
  });
});
