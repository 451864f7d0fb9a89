import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AIPROV_BIN, expectOneLineError, runCli } from '../support/cli.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';
import { MODEL_SIGNING_VECTORS } from '../support/paths.js';

async function signedModel(): Promise<{ dir: string; model: string; key: string; pub: string }> {
  const dir = await temporaryDirectory();
  const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
  const keygen = await runCli(['keygen', '--output-prefix', join(dir, 'signer')]);
  expect(keygen.status).toBe(0);
  const sign = await runCli(['sign', model, '--key', join(dir, 'signer.key')]);
  expect(sign.status).toBe(0);
  expect(sign.stdout).toMatch(/^Signed model sha256:[0-9a-f]{64} \(4 resources\)/);
  return { dir, model, key: join(dir, 'signer.key'), pub: join(dir, 'signer.pub') };
}

describe('aiprov CLI', () => {
  it('prints its version and help', async () => {
    const version = await runCli(['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
    const help = await runCli(['--help']);
    expect(help.status).toBe(0);
    for (const command of ['digest', 'keygen', 'sign', 'verify', 'inspect']) expect(help.stdout).toContain(command);
  });

  it('exits 2 on an unknown command or flag', async () => {
    expectOneLineError(await runCli(['bogus']), 2, 'USAGE');
    expectOneLineError(await runCli(['digest', '.', '--no-such-flag']), 2, 'USAGE');
    expectOneLineError(await runCli(['digest', '.', '--shard-size', 'ten']), 2, 'USAGE');
  });

  it('digest reproduces a model_signing subject digest', async () => {
    const run = await runCli(['digest', join(MODEL_SIGNING_VECTORS, 'scripts/tests/v1.1.0-elliptic-key'), '--ignore-paths', 'ignore-me', 'model.sig']);
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(run.stdout).toBe('sha256:92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4\n');
  });

  it('digest --json prints the manifest', async () => {
    const model = await writeModel(await temporaryDirectory(), { a: 'x' });
    const run = await runCli(['digest', model, '--json', '--hash', 'blake2b']);
    const manifest = JSON.parse(run.stdout) as { rootDigest: string; resources: { name: string; algorithm: string }[]; serialization: { hashType: string } };
    expect(manifest.rootDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(manifest.resources).toEqual([expect.objectContaining({ name: 'a', algorithm: 'blake2b' })]);
    expect(manifest.serialization.hashType).toBe('blake2b');
  });

  it('keygen writes a 0600 private key and refuses to overwrite it', async () => {
    const dir = await temporaryDirectory();
    const prefix = join(dir, 'k');
    expect((await runCli(['keygen', '--curve', 'P-384', '--output-prefix', prefix])).status).toBe(0);
    expect((await stat(`${prefix}.key`)).mode & 0o777).toBe(0o600);
    expect(await readFile(`${prefix}.pub`, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expectOneLineError(await runCli(['keygen', '--output-prefix', prefix]), 2, 'KEY_FILE_EXISTS');
  });

  it('signs with an encrypted key whose passphrase comes from the environment', async () => {
    const dir = await temporaryDirectory();
    const model = await writeModel(join(dir, 'm'), { f: 'x' });
    const env = { AIPROV_TEST_PASSPHRASE: 'correct horse' };
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k'), '--passphrase-env', 'AIPROV_TEST_PASSPHRASE'], { env })).status).toBe(0);
    expect(await readFile(join(dir, 'k.key'), 'utf8')).toContain('ENCRYPTED PRIVATE KEY');
    expectOneLineError(await runCli(['sign', model, '--key', join(dir, 'k.key')]), 2, 'KEY_PASSPHRASE_REQUIRED');
    expectOneLineError(await runCli(['sign', model, '--key', join(dir, 'k.key'), '--passphrase-env', 'WRONG'], { env: { WRONG: 'nope' } }), 2, 'KEY_PASSPHRASE_WRONG');
    const signed = await runCli(['sign', model, '--key', join(dir, 'k.key'), '--passphrase-env', 'AIPROV_TEST_PASSPHRASE'], { env });
    expect(signed.status).toBe(0);
    expect(signed.stdout + signed.stderr).not.toContain('correct horse');
    expect((await runCli(['verify', model, '--key', join(dir, 'k.pub')])).status).toBe(0);
  });

  it('verifies, then reports tampering with the diff and exit 1', async () => {
    const { model, pub } = await signedModel();
    const ok = await runCli(['verify', model, '--key', pub]);
    expect(ok).toMatchObject({ status: 0, stderr: '' });
    expect(ok.stdout).toMatch(/^Verified /);

    await writeFile(join(model, 'config.json'), '{"layers": 3}\n');
    await writeFile(join(model, 'backdoor.py'), 'import os');
    const bad = await runCli(['verify', model, '--key', pub]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('FILE_CHANGED: config.json');
    expect(bad.stdout).toContain('FILE_UNSIGNED: backdoor.py');

    const json = await runCli(['verify', model, '--key', pub, '--json']);
    expect(json.status).toBe(1);
    const result = JSON.parse(json.stdout) as { verified: boolean; diff: unknown; findings: { code: string }[] };
    expect(result.verified).toBe(false);
    expect(result.diff).toEqual({ extra: ['backdoor.py'], missing: [], changed: ['config.json'] });
    expect(result.findings.map((finding) => finding.code)).toEqual(['FILE_CHANGED', 'FILE_UNSIGNED']);
  });

  it('exits 1 with one line for a signature by another key', async () => {
    const { dir, model } = await signedModel();
    await runCli(['keygen', '--output-prefix', join(dir, 'other')]);
    expectOneLineError(await runCli(['verify', model, '--key', join(dir, 'other.pub')]), 1, 'KEY_MISMATCH');
    const json = await runCli(['verify', model, '--key', join(dir, 'other.pub'), '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ verified: false, error: { code: 'KEY_MISMATCH', category: 'verification' } });
  });

  it('exits 2 for a truncated bundle and 4 for a missing one', async () => {
    const { model, pub } = await signedModel();
    const signature = join(model, 'model.sig');
    const text = await readFile(signature, 'utf8');
    await writeFile(signature, text.slice(0, 100));
    expectOneLineError(await runCli(['verify', model, '--key', pub]), 2, 'BUNDLE_NOT_JSON');
    expectOneLineError(await runCli(['verify', model, '--key', pub, '--signature', join(model, 'nope.sig')]), 4, 'FILE_NOT_FOUND');
    expectOneLineError(await runCli(['verify', model]), 2, 'USAGE');
  });

  it('verifies a model_signing certificate signature against its root', async () => {
    const vectors = join(MODEL_SIGNING_VECTORS, 'scripts/tests');
    const run = await runCli(['verify', join(vectors, 'v1.1.0-certificate'), '--certificate-chain', join(vectors, 'keys/certificate/ca-cert.pem')]);
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(run.stdout).toContain('chain to "CN=root-ca"');
  });

  it('inspect shows what a bundle claims, marked unverified', async () => {
    const { model } = await signedModel();
    const run = await runCli(['inspect', join(model, 'model.sig')]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^UNVERIFIED/);
    expect(run.stdout).toContain('predicate    https://model_signing/signature/v1.0');
    const json = JSON.parse((await runCli(['inspect', join(model, 'model.sig'), '--json'])).stdout) as { verified: boolean; content: { resourceCount: number } };
    expect(json).toMatchObject({ verified: false, content: { resourceCount: 4 } });
  });
});

describe('aiprov on a terminal and under Ctrl-C', () => {
  /** A sparse file: large enough to hash for a visible moment, instant to create. */
  async function bigFile(gibibytes: number): Promise<string> {
    const { open } = await import('node:fs/promises');
    const path = join(await temporaryDirectory(), 'weights.bin');
    const handle = await open(path, 'w');
    await handle.truncate(gibibytes * 1024 ** 3);
    await handle.close();
    return path;
  }

  it.skipIf(!existsSync('/usr/bin/script'))('shows a progress bar on a terminal, and none when piped or with --quiet', async () => {
    const file = await bigFile(1);
    const command = (extra: string): string => `${JSON.stringify(process.execPath)} ${JSON.stringify(AIPROV_BIN)} digest ${JSON.stringify(file)} ${extra}`;
    const onTerminal = spawnSync('script', ['-qec', command(''), '/dev/null'], { encoding: 'utf8' });
    expect(onTerminal.stdout).toMatch(/Hashing \[[█░]+\] \d+% \| \d+\/1 files/);
    expect(onTerminal.stdout).toMatch(/sha256:[0-9a-f]{64}/);
    const quiet = spawnSync('script', ['-qec', command('--quiet'), '/dev/null'], { encoding: 'utf8' });
    expect(quiet.stdout).not.toContain('Hashing [');
    const piped = await runCli(['digest', file]);
    expect(piped.stderr).toBe('');
  });

  it('stops on Ctrl-C with exit 130 and writes no signature', async () => {
    const dir = await temporaryDirectory();
    await runCli(['keygen', '--output-prefix', join(dir, 'k')]);
    const file = await bigFile(64);
    const child = spawn(process.execPath, [AIPROV_BIN, 'sign', file, '--key', join(dir, 'k.key')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise((resolve) => setTimeout(resolve, 700));
    child.kill('SIGINT');
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status).toBe(130);
    expect(stderr).toMatch(/^aiprov: INTERRUPTED: /);
    expect(existsSync(`${file}.sig`)).toBe(false);
  });
});
