/**
 * Races and faults (issue 12): concurrent writers of one file, and a `sign` killed between
 * writing its temporary file and renaming it. Each runs real processes, as users would.
 */
import { spawn } from 'node:child_process';
import { createPublicKey, createPrivateKey } from 'node:crypto';
import { mkdir, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AIPROV_BIN, expectOneLineError, runCli, type CliRun } from '../support/cli.js';
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

/**
 * `aiprov` whose first open of a path ending in `suffix` finds that file swapped for `replacement`
 * (a symbolic link to it, or it renamed over the file) since the walk listed it: the race won.
 */
async function runWithSwapBeforeOpen(args: readonly string[], swap: { readonly suffix: string; readonly replacement: string; readonly how: 'symlink' | 'rename' }): Promise<CliRun> {
  const preload = join(REPO_ROOT, 'test', 'support', 'swap-before-open.js');
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env['PATH'] ?? '', AIPROV_TEST_SWAP_SUFFIX: swap.suffix, AIPROV_TEST_SWAP_WITH: swap.replacement, AIPROV_TEST_SWAP_HOW: swap.how };
    const child = spawn(process.execPath, ['--import', preload, AIPROV_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      resolve({ status, stdout, stderr });
    });
  });
}

/** A whole second: a modification time both files can be given exactly. */
const LISTED_TIME = 1_700_000_000;

describe('a file swapped between the listing and the hashing', () => {
  const SWAPS = [
    { how: 'symlink', what: 'a symbolic link to a file outside the model' },
    { how: 'rename', what: 'another file of the same size and modification time' },
  ] as const;

  /** A signed model whose config.json has a stand-in of the same size and time outside it. */
  async function modelAndStandIn(bytes: string): Promise<{ dir: string; model: string; standIn: string }> {
    const dir = await temporaryDirectory();
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    const standIn = join(dir, 'outside.json');
    expect(bytes).toHaveLength(SMALL_MODEL['config.json']?.length ?? 0);
    await writeFile(standIn, bytes);
    await utimes(join(model, 'config.json'), LISTED_TIME, LISTED_TIME);
    await utimes(standIn, LISTED_TIME, LISTED_TIME);
    return { dir, model, standIn };
  }

  for (const { how, what } of SWAPS) {
    it(`sign: config.json swapped for ${what} is never hashed: FILE_CHANGED_WHILE_HASHING, exit 4, no model.sig`, PER_TEST, async () => {
      const { dir, model, standIn } = await modelAndStandIn('{"secret": 1}\n');
      const run = await runWithSwapBeforeOpen(['sign', model, '--key', join(dir, 'k.key')], { suffix: join('model', 'config.json'), replacement: standIn, how });
      expectOneLineError(run, 4, 'FILE_CHANGED_WHILE_HASHING');
      expect(run.stderr).toContain('config.json');
      expect((await readdir(model)).sort()).toEqual(['.hidden', 'config.json', 'weights']);
    });

    it(`verify: config.json swapped for ${what} with the signed bytes is never hashed: FILE_CHANGED_WHILE_HASHING, exit 4, nothing written`, PER_TEST, async () => {
      const { dir, model, standIn } = await modelAndStandIn(SMALL_MODEL['config.json'] ?? '');
      expect((await runCli(['sign', model, '--key', join(dir, 'k.key')])).status).toBe(0);
      const run = await runWithSwapBeforeOpen(['verify', model, '--key', join(dir, 'k.pub')], { suffix: join('model', 'config.json'), replacement: standIn, how });
      expectOneLineError(run, 4, 'FILE_CHANGED_WHILE_HASHING');
      expect((await readdir(model)).sort()).toEqual(['.hidden', 'config.json', 'model.sig', 'weights']);
    });
  }
});

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

  // A process id above any kernel's pid_max: never alive, so `sign`'s cleanup would take it.
  const DEAD_TEMPORARY_NAME = '.aiprov-tmp-999999999-0123456789ab';

  it('a folder named like aiprov\'s temporary file hides nothing: verify reports its files (FILE_UNSIGNED, exit 1)', PER_TEST, async () => {
    const dir = await temporaryDirectory();
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    expect((await runCli(['sign', model, '--key', join(dir, 'k.key')])).status).toBe(0);
    await writeModel(join(model, DEAD_TEMPORARY_NAME), { 'evil.py': 'import os' });
    const verified = await runCli(['verify', model, '--key', join(dir, 'k.pub'), '--json']);
    expect(verified.status).toBe(1);
    const result = JSON.parse(verified.stdout) as { verified: boolean; diff: unknown; findings: { code: string; path?: string }[] };
    expect(result.diff).toEqual({ extra: [`${DEAD_TEMPORARY_NAME}/evil.py`], missing: [], changed: [] });
    expect(result.findings).toEqual([expect.objectContaining({ code: 'FILE_UNSIGNED', path: `${DEAD_TEMPORARY_NAME}/evil.py` })]);
  });

  it('a file named like aiprov\'s temporary file below the top level is a file of the model: FILE_UNSIGNED, exit 1', PER_TEST, async () => {
    const dir = await temporaryDirectory();
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    expect((await runCli(['sign', model, '--key', join(dir, 'k.key')])).status).toBe(0);
    await writeFile(join(model, 'weights', DEAD_TEMPORARY_NAME), 'import os');
    const verified = await runCli(['verify', model, '--key', join(dir, 'k.pub')]);
    expect(verified.status).toBe(1);
    expect(verified.stdout).toContain(`FILE_UNSIGNED: weights/${DEAD_TEMPORARY_NAME}`);
  });

  it('a link named like aiprov\'s temporary file at the top level is not skipped: SYMLINK_REFUSED, exit 2', PER_TEST, async () => {
    const dir = await temporaryDirectory();
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    expect((await runCli(['sign', model, '--key', join(dir, 'k.key')])).status).toBe(0);
    await symlink('config.json', join(model, DEAD_TEMPORARY_NAME));
    expectOneLineError(await runCli(['verify', model, '--key', join(dir, 'k.pub')]), 2, 'SYMLINK_REFUSED');
  });

  it('sign signs a folder named like a temporary file of a dead process and leaves it in place (its cleanup takes only files)', PER_TEST, async () => {
    const dir = await temporaryDirectory();
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    await mkdir(join(model, DEAD_TEMPORARY_NAME));
    await writeFile(join(model, DEAD_TEMPORARY_NAME, 'tokenizer.json'), '{}');
    // And a real leftover of a dead sign, which the cleanup still removes.
    await writeFile(join(model, DEAD_TEMPORARY_NAME.replace('0123456789ab', 'ba9876543210')), 'half a signature');
    const signed = await runCli(['sign', model, '--key', join(dir, 'k.key'), '--json']);
    expect(signed.status).toBe(0);
    // The model's four files and the folder's one.
    expect((JSON.parse(signed.stdout) as { resourceCount: number }).resourceCount).toBe(Object.keys(SMALL_MODEL).length + 1);
    expect((await readdir(model)).filter((name) => name.startsWith('.aiprov-tmp-'))).toEqual([DEAD_TEMPORARY_NAME]);
    expect((await runCli(['verify', model, '--key', join(dir, 'k.pub')])).status).toBe(0);
    await rm(join(model, DEAD_TEMPORARY_NAME), { recursive: true });
    expect((await runCli(['verify', model, '--key', join(dir, 'k.pub')])).status).toBe(1);
  });
});
