import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from '../support/cli.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';

/** What a new user trips over in the first hour. */
describe('new-user papercuts', () => {
  it('sign --name names the subject when the folder is not the model\'s name; verify never fails on the folder name alone', async () => {
    const dir = await temporaryDirectory();
    const snapshot = await writeModel(join(dir, 'a'.repeat(40)), SMALL_MODEL);
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    expect((await runCli(['sign', snapshot, '--key', join(dir, 'k.key'), '--name', 'org/name'])).status).toBe(0);
    const bundle = JSON.parse(await readFile(join(snapshot, 'model.sig'), 'utf8')) as { dsseEnvelope: { payload: string } };
    expect((JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as { subject: { name: string }[] }).subject[0]?.name).toBe('org/name');
    await rename(snapshot, join(dir, 'renamed'));
    expect((await runCli(['verify', join(dir, 'renamed'), '--key', join(dir, 'k.pub')])).status).toBe(0);
    expectOneLineError(await runCli(['sign', join(dir, 'renamed'), '--key', join(dir, 'k.key'), '--name', ' ']), 2, 'USAGE');
  });

  it('KEY_PASSPHRASE_REQUIRED says how to give the passphrase', async () => {
    const dir = await temporaryDirectory();
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k'), '--passphrase-env', 'PASS'], { env: { PASS: 'correct horse' } })).status).toBe(0);
    const run = await runCli(['sign', model, '--key', join(dir, 'k.key')]);
    expectOneLineError(run, 2, 'KEY_PASSPHRASE_REQUIRED');
    expect(run.stderr).toContain('--passphrase-env');
  });

  it('attest --quiet prints nothing on success', async () => {
    const dir = await temporaryDirectory();
    const dataset = await writeModel(join(dir, 'data'), { 'rows.csv': 'a\n1\n' });
    await writeFile(join(dir, 'card.yaml'), 'name: rows\nlicense: MIT\ndatasetType: [text]\n');
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    expect((await runCli(['sign', dataset, '--kind', 'dataset', '--key', join(dir, 'k.key')])).status).toBe(0);
    const run = await runCli(['attest', 'dataset', dataset, '--card', join(dir, 'card.yaml'), '--key', join(dir, 'k.key'), '--quiet']);
    expect(run).toMatchObject({ status: 0, stdout: '', stderr: '' });
  });
});
