/**
 * Races and faults (issue 12): concurrent writers of one file, and a `sign` killed between
 * writing its temporary file and renaming it. Each runs real processes, as users would.
 */
import { spawn } from 'node:child_process';
import { createPublicKey, createPrivateKey } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AIPROV_BIN, expectOneLineError, runCli } from '../support/cli.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';
import { REPO_ROOT } from '../support/paths.js';

const PER_TEST = { timeout: 60_000 };

/** `aiprov sign` that SIGKILLs itself just before renaming its finished temporary file onto `suffix`. */
async function signKilledBeforeRename(args: readonly string[], suffix: string): Promise<number | null> {
  const preload = join(REPO_ROOT, 'test', 'support', 'kill-before-rename.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', preload, AIPROV_BIN, 'sign', ...args], { env: { PATH: process.env['PATH'] ?? '', AIPROV_TEST_KILL_BEFORE_RENAME: suffix }, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (_status, signal) => {
      resolve(signal === 'SIGKILL' ? null : 0);
    });
  });
}

describe('concurrent writers and killed runs', () => {
  it('eight parallel `attest dataset` runs leave eight lines', PER_TEST, async () => {
    const dir = await temporaryDirectory();
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    const dataset = await writeModel(join(dir, 'wiki'), { 'part-0.jsonl': '{"text": "a"}\n' });
    expect((await runCli(['sign', dataset, '--kind', 'dataset', '--key', join(dir, 'k.key'), '-q'])).status).toBe(0);
    const card = join(dir, 'card.yaml');
    await writeFile(card, 'name: wiki\nlicense: CC-BY-4.0\ndatasetType: [text]\nhasSensitivePersonalInformation: "no"\n');
    const runs = await Promise.all(Array.from({ length: 8 }, () => runCli(['attest', 'dataset', dataset, '--card', card, '--key', join(dir, 'k.key')])));
    expect(runs.map((run) => run.status)).toEqual(Array(8).fill(0));
    const lines = (await readFile(join(dataset, 'dataset.intoto.jsonl'), 'utf8')).split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(8);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect((await runCli(['verify', dataset, '--kind', 'dataset', '--key', join(dir, 'k.pub')])).status).toBe(0);
  });

  it('two concurrent `keygen` to one prefix: exactly one wins, and the pair it wrote matches', PER_TEST, async () => {
    const dir = await temporaryDirectory();
    const prefix = join(dir, 'signing');
    const runs = await Promise.all([runCli(['keygen', '--output-prefix', prefix]), runCli(['keygen', '--output-prefix', prefix])]);
    expect(runs.map((run) => run.status).sort()).toEqual([0, 2]);
    const loser = runs.find((run) => run.status === 2);
    if (loser !== undefined) expectOneLineError(loser, 2, 'KEY_FILE_EXISTS');
    const derived = createPublicKey(createPrivateKey(await readFile(`${prefix}.key`, 'utf8'))).export({ type: 'spki', format: 'pem' });
    expect(await readFile(`${prefix}.pub`, 'utf8')).toBe(derived);
    expect((await readdir(dir)).sort()).toEqual(['signing.key', 'signing.pub']);
  });

  it('keygen --output-prefix naming a directory is refused, nothing written', async () => {
    const dir = await temporaryDirectory();
    for (const prefix of [`${dir}/`, `${dir}/.`]) expectOneLineError(await runCli(['keygen', '--output-prefix', prefix]), 2, 'KEY_PREFIX_INVALID');
    expect(await readdir(dir)).toEqual([]);
  });

  it('sign --signature <a file of the artifact> is refused and the file is kept; an earlier signature may be replaced', PER_TEST, async () => {
    const dir = await temporaryDirectory();
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    for (const target of [join(model, 'config.json'), join(model, 'model.intoto.jsonl')]) {
      expectOneLineError(await runCli(['sign', model, '--key', join(dir, 'k.key'), '--signature', target]), 2, 'SIGNATURE_PATH_INVALID');
    }
    expect(await readFile(join(model, 'config.json'), 'utf8')).toBe(SMALL_MODEL['config.json']);
    const single = join(model, 'weights', 'layer-0.bin');
    expectOneLineError(await runCli(['sign', single, '--key', join(dir, 'k.key'), '--signature', single]), 2, 'SIGNATURE_PATH_INVALID');
    const custom = join(model, 'custom.sig');
    for (let round = 0; round < 2; round++) expect((await runCli(['sign', model, '--key', join(dir, 'k.key'), '--signature', custom])).status).toBe(0);
  });

  it('a sign killed before its rename leaves nothing the next verify or sign trips over', PER_TEST, async () => {
    const dir = await temporaryDirectory();
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    expect((await runCli(['sign', model, '--key', join(dir, 'k.key')])).status).toBe(0);
    const before = await readFile(join(model, 'model.sig'), 'utf8');

    expect(await signKilledBeforeRename([model, '--key', join(dir, 'k.key')], 'model.sig')).toBeNull();
    const leftovers = (await readdir(model)).filter((name) => name.startsWith('.aiprov-tmp-'));
    expect(leftovers).toHaveLength(1);
    // The old signature is whole and still verifies: the leftover is not an unsigned file.
    expect(await readFile(join(model, 'model.sig'), 'utf8')).toBe(before);
    const verified = await runCli(['verify', model, '--key', join(dir, 'k.pub'), '--json']);
    expect(verified.status).toBe(0);
    expect(verified.stdout).not.toContain('.aiprov-tmp-');
    // The next sign neither signs the leftover nor leaves it behind.
    const signed = await runCli(['sign', model, '--key', join(dir, 'k.key'), '--json']);
    expect(signed.status).toBe(0);
    expect(signed.stdout).not.toContain('.aiprov-tmp-');
    expect((await readdir(model)).filter((name) => name.startsWith('.aiprov-tmp-'))).toEqual([]);
    expect((await runCli(['verify', model, '--key', join(dir, 'k.pub')])).status).toBe(0);
  });
});
