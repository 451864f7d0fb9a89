import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/format/keys.js';
import { EXAMPLE_POLICY } from '../../src/policy/example.js';
import { parsePolicy } from '../../src/policy/schema.js';
import { expectOneLineError, runCli } from '../support/cli.js';
import { temporaryDirectory } from '../support/fixtures.js';
import { MODEL_SIGNING_VECTORS } from '../support/paths.js';


/** A directory with the example policy and the key and CA files it names. */
async function examplePolicyDirectory(): Promise<string> {
  const dir = await temporaryDirectory();
  await mkdir(join(dir, 'keys'));
  await mkdir(join(dir, 'pki'));
  await writeFile(join(dir, 'keys', 'data-team.pub'), generateKeyPair('P-256').publicKeyPem);
  await copyFile(join(MODEL_SIGNING_VECTORS, 'scripts/tests/keys/certificate/ca-cert.pem'), join(dir, 'pki', 'root.pem'));
  await writeFile(join(dir, 'policy.yaml'), EXAMPLE_POLICY);
  return dir;
}

describe('aiprov policy', () => {
  it('init prints the commented example policy', async () => {
    const run = await runCli(['policy', 'init']);
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(run.stdout).toBe(EXAMPLE_POLICY);
    expect(parsePolicy(run.stdout, 'policy.yaml').version).toBe(1);
  });

  it('init --output writes the file and refuses to overwrite it without --force', async () => {
    const dir = await temporaryDirectory();
    const path = join(dir, 'policy.yaml');
    const first = await runCli(['policy', 'init', '--output', path]);
    expect(first.status).toBe(0);
    expect(await readFile(path, 'utf8')).toBe(EXAMPLE_POLICY);

    await writeFile(path, 'version: 1 # edited\n');
    expectOneLineError(await runCli(['policy', 'init', '--output', path]), 2, 'POLICY_FILE_EXISTS');
    expect(await readFile(path, 'utf8')).toBe('version: 1 # edited\n');

    expect((await runCli(['policy', 'init', '--output', path, '--force'])).status).toBe(0);
    expect(await readFile(path, 'utf8')).toBe(EXAMPLE_POLICY);
  });

  it('check accepts a valid policy and loads the files it names', async () => {
    const dir = await examplePolicyDirectory();
    const run = await runCli(['policy', 'check', 'policy.yaml'], { cwd: dir });
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(run.stdout.split('\n')[0]).toBe('policy OK: 3 signers, roles model, dataset, recipe, base-model');
    expect(run.stdout).toMatch(/signer {2}data-team +key: keys\/data-team\.pub/);

    const json = await runCli(['policy', 'check', 'policy.yaml', '--json'], { cwd: dir });
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, problems: [] });
  });

  it('check lists every problem with its line and exits 2', async () => {
    const dir = await examplePolicyDirectory();
    const text = EXAMPLE_POLICY.replace(/^( +)signers: \[release-ci\] +# names defined under signers$/m, '$1signer: [release-ci]').replace('allowedLicenses:', 'alowedLicenses:');
    await writeFile(join(dir, 'policy.yaml'), text);
    const lineOf = (needle: string): number => text.split('\n').findIndex((line) => line.includes(needle)) + 1;

    const run = await runCli(['policy', 'check', 'policy.yaml'], { cwd: dir });
    expectOneLineError(run, 2, 'POLICY_INVALID');
    expect(run.stdout).toContain(`policy.yaml:${String(lineOf('signer: [release-ci]'))}:5: roles.model.signer: unknown key "signer" (did you mean "signers"?)`);
    expect(run.stdout).toContain(`policy.yaml:${String(lineOf('alowedLicenses:'))}:5: roles.dataset.alowedLicenses: unknown key "alowedLicenses" (did you mean "allowedLicenses"?)`);

    const json = await runCli(['policy', 'check', 'policy.yaml', '--json'], { cwd: dir });
    expect(json.status).toBe(2);
    const result = JSON.parse(json.stdout) as { valid: boolean; problems: { code: string; path: string; line: number }[] };
    expect(result.valid).toBe(false);
    expect(result.problems).toContainEqual(expect.objectContaining({ code: 'POLICY_INVALID', path: 'roles.model.signer', line: lineOf('signer: [release-ci]') }));
  });

  it('check reports a key file that is missing, at the key naming it', async () => {
    const dir = await examplePolicyDirectory();
    await writeFile(join(dir, 'policy.yaml'), EXAMPLE_POLICY.replace('./keys/data-team.pub', './keys/gone.pub'));
    const run = await runCli(['policy', 'check', 'policy.yaml', '--json'], { cwd: dir });
    expect(run.status).toBe(2);
    expect((JSON.parse(run.stdout) as { problems: unknown[] }).problems).toEqual([expect.objectContaining({ code: 'FILE_NOT_FOUND', path: 'signers.data-team.key', message: expect.stringContaining('keys/gone.pub') as unknown })]);
  });

  it('check exits 4 when the policy file cannot be read', async () => {
    expectOneLineError(await runCli(['policy', 'check', join(await temporaryDirectory(), 'none.yaml')]), 4, 'FILE_NOT_FOUND');
  });
});
