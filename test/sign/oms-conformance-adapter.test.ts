import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';
import { REPO_ROOT } from '../support/paths.js';
import { makePki } from '../support/pki.js';

const ADAPTER = join(REPO_ROOT, 'scripts', 'oms-conformance.js');

/** Runs the adapter as the OMS conformance suite does: a process, judged by its exit status. */
async function adapter(args: readonly string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ADAPTER, ...args], { env: { PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => { resolve({ status, output }); });
  });
}

/** A model with a file to ignore, given (as the suite gives it) as an absolute path. */
async function modelWithIgnoredFile(dir: string): Promise<{ model: string; ignored: string }> {
  const model = await writeModel(join(dir, 'model'), { ...SMALL_MODEL, 'ignore-me': 'not part of the model' });
  return { model, ignored: join(model, 'ignore-me') };
}

/**
 * Sign, verify, then tamper: an ignored file may change, an unsigned file is accepted only with
 * --ignore-unsigned-files, a changed signed file always fails.
 */
async function roundtrip(dir: string, sign: readonly string[], verify: readonly string[]): Promise<void> {
  const { model, ignored } = await modelWithIgnoredFile(dir);
  const bundle = join(dir, 'model.sig');
  const signed = await adapter(['sign-model', ...sign, '--model-path', model, '--output-bundle', bundle, '--ignore-paths', ignored]);
  expect(signed).toMatchObject({ status: 0 });
  const check = (...extra: string[]): Promise<{ status: number | null; output: string }> => adapter(['verify-model', ...verify, '--model-path', model, '--bundle', bundle, '--ignore-paths', ignored, ...extra]);
  expect(await check()).toMatchObject({ status: 0 });
  await writeFile(ignored, 'changed: still ignored');
  expect(await check()).toMatchObject({ status: 0 });
  await writeFile(join(model, 'added.bin'), 'not signed');
  expect((await check()).status).not.toBe(0);
  expect(await check('--ignore-unsigned-files')).toMatchObject({ status: 0 });
  await writeFile(join(model, 'config.json'), 'tampered');
  expect((await check('--ignore-unsigned-files')).status).not.toBe(0);
}

describe('the OMS conformance adapter (scripts/oms-conformance.js)', () => {
  it.each(['P-256', 'P-384', 'P-521'])('roundtrips a %s key signature', async (curve) => {
    const dir = await temporaryDirectory();
    const prefix = join(dir, 'k');
    expect((await runCli(['keygen', '--curve', curve, '--output-prefix', prefix])).status).toBe(0);
    await roundtrip(dir, ['--method', 'key', '--private-key', `${prefix}.key`], ['--method', 'key', '--public-key', `${prefix}.pub`]);
  });

  it.each(['P-256', 'P-384'] as const)('roundtrips a certificate signature through a 3-level %s chain', async (curve) => {
    const dir = await temporaryDirectory();
    const pki = makePki(dir, curve);
    await roundtrip(dir, ['--method', 'certificate', '--private-key', pki.leafKey, '--signing-cert', pki.leaf, '--cert-chain', pki.intermediate, pki.root], ['--method', 'certificate', '--cert-chain', pki.root]);
  });

  it('roundtrips a self-signed certificate given as its own trust anchor', async () => {
    const dir = await temporaryDirectory();
    const pki = makePki(dir);
    await roundtrip(dir, ['--method', 'certificate', '--private-key', pki.selfSignedKey, '--signing-cert', pki.selfSigned], ['--method', 'certificate', '--cert-chain', pki.selfSigned]);
  });

  it('fails verification with another key and refuses a malformed call', async () => {
    const dir = await temporaryDirectory();
    const { model } = await modelWithIgnoredFile(dir);
    for (const name of ['a', 'b']) expect((await runCli(['keygen', '--output-prefix', join(dir, name)])).status).toBe(0);
    const bundle = join(dir, 'model.sig');
    expect((await adapter(['sign-model', '--method', 'key', '--private-key', join(dir, 'a.key'), '--model-path', model, '--output-bundle', bundle])).status).toBe(0);
    expect((await adapter(['verify-model', '--method', 'key', '--public-key', join(dir, 'b.pub'), '--model-path', model, '--bundle', bundle])).status).not.toBe(0);
    expect((await adapter(['sign-model', '--method', 'pkcs11', '--model-path', model])).status).toBe(2);
  });
});
