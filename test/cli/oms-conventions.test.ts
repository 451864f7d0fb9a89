import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from '../support/cli.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';

async function keyPair(dir: string, curve = 'P-256'): Promise<{ key: string; pub: string }> {
  const prefix = join(dir, `signer-${curve}`);
  expect((await runCli(['keygen', '--curve', curve, '--output-prefix', prefix])).status).toBe(0);
  return { key: `${prefix}.key`, pub: `${prefix}.pub` };
}

function signedPayload(bundleText: string): { subject: { digest: { sha256: string } }[]; predicate: { resources: { name: string }[]; serialization: { ignore_paths: string[] } } } {
  const bundle = JSON.parse(bundleText) as { dsseEnvelope: { payload: string } };
  return JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as ReturnType<typeof signedPayload>;
}

describe('ignore paths as model_signing takes them', () => {
  it('accepts an absolute path inside the model and a path relative to the model', async () => {
    const dir = await temporaryDirectory();
    const model = await writeModel(join(dir, 'model'), { ...SMALL_MODEL, 'notes/draft.txt': 'x', 'ignore-me': 'y' });
    const { key, pub } = await keyPair(dir);
    const sign = await runCli(['sign', model, '--key', key, '--ignore-paths', join(model, 'notes'), 'ignore-me']);
    expect(sign.status).toBe(0);
    const names = signedPayload(await readFile(join(model, 'model.sig'), 'utf8')).predicate.resources.map((resource) => resource.name);
    expect(names).not.toContain('notes/draft.txt');
    expect(names).not.toContain('ignore-me');
    await writeFile(join(model, 'notes', 'draft.txt'), 'changed after signing');
    expect((await runCli(['verify', model, '--key', pub])).status).toBe(0);
  });

  it('refuses a path outside the model and one that matches nothing, naming the path meant', async () => {
    const dir = await temporaryDirectory();
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    const { key } = await keyPair(dir);
    expectOneLineError(await runCli(['sign', model, '--key', key, '--ignore-paths', join(dir, 'elsewhere')]), 2, 'BAD_IGNORE_PATH');
    const relativeToCwd = await runCli(['sign', 'model', '--key', key, '--ignore-paths', 'model/config.json'], { cwd: dir });
    expectOneLineError(relativeToCwd, 2, 'IGNORE_PATH_NOT_FOUND');
    expect(relativeToCwd.stderr).toContain('did you mean "config.json"?');
    expectOneLineError(await runCli(['digest', model, '--ignore-paths', 'no-such-file']), 2, 'IGNORE_PATH_NOT_FOUND');
  });
});

describe('what a signature covers', () => {
  it('refuses to sign an empty model (OMS v1.0 §6.1)', async () => {
    const dir = await temporaryDirectory();
    const model = await writeModel(join(dir, 'model'), { '.gitignore': 'only ignored files' });
    const { key } = await keyPair(dir);
    expectOneLineError(await runCli(['sign', model, '--key', key]), 2, 'EMPTY_ARTIFACT');
  });

  it('digest --kind prints the root its signature names, on a signed directory', async () => {
    const dir = await temporaryDirectory();
    const dataset = await writeModel(join(dir, 'data'), { 'train.csv': 'a,b\n1,2\n' });
    const { key } = await keyPair(dir);
    expect((await runCli(['sign', dataset, '--kind', 'dataset', '--key', key])).status).toBe(0);
    const root = signedPayload(await readFile(join(dataset, 'dataset.sig'), 'utf8')).subject[0]?.digest.sha256;
    expect((await runCli(['digest', dataset, '--kind', 'dataset'])).stdout).toBe(`sha256:${String(root)}\n`);
    // The default kind (model) also leaves out any other kind's signature it finds.
    expect((await runCli(['digest', dataset])).stdout).toBe(`sha256:${String(root)}\n`);
  });

  it('never signs an earlier model.sig or another kind\'s files, so re-signing in place keeps the first signature valid', async () => {
    const dir = await temporaryDirectory();
    const model = await writeModel(join(dir, 'model'), { ...SMALL_MODEL, 'dataset.intoto.jsonl': '', 'recipe.sig': '{}' });
    const { key, pub } = await keyPair(dir);
    expect((await runCli(['sign', model, '--key', key])).status).toBe(0);
    const outside = join(dir, 'out.sig');
    expect((await runCli(['sign', model, '--key', key, '--signature', outside])).status).toBe(0);
    const payload = signedPayload(await readFile(outside, 'utf8'));
    expect(payload.predicate.resources.map((resource) => resource.name)).toEqual(['.hidden', 'config.json', 'weights/layer-0.bin', 'weights/layer-1.bin']);
    expect(payload.predicate.serialization.ignore_paths).toEqual(expect.arrayContaining(['model.sig', 'recipe.sig', 'dataset.intoto.jsonl']));
    // Re-signing in place rewrites model.sig; the signature kept outside still verifies.
    expect((await runCli(['sign', model, '--key', key])).status).toBe(0);
    expect((await runCli(['verify', model, '--key', pub, '--signature', outside])).status).toBe(0);
  });
});

describe('verify-bundle with keys on every OMS curve', () => {
  it.each(['P-256', 'P-384', 'P-521'])('verifies a %s key-signed model signature and refuses another key', async (curve) => {
    const dir = await temporaryDirectory();
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    const { key, pub } = await keyPair(dir, curve);
    const other = await keyPair(dir, curve === 'P-256' ? 'P-384' : 'P-256');
    const sign = await runCli(['sign', model, '--key', key, '--json']);
    const root = (JSON.parse(sign.stdout) as { rootDigest: string }).rootDigest;
    const bundle = join(model, 'model.sig');
    expect((await runCli(['verify-bundle', root, '--bundle', bundle, '--key', pub])).status).toBe(0);
    expectOneLineError(await runCli(['verify-bundle', root, '--bundle', bundle, '--key', other.pub]), 1, 'SIGNATURE_INVALID');
  });
});
