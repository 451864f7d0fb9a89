/**
 * Adversarial review of issue 18's merge: files opened with O_NOFOLLOW and checked against the
 * listing's device and inode, temporary-file names skipped only as top-level regular files, the
 * Action's workflow-command escaping, token masking and cancellation, and the https-only
 * GOOGLE_IAM_CREDENTIALS_URL. Each test asserts the safe outcome; those named "was a hole" got through before the fix they name.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { link, mkdir, mkdtemp, readdir, readFile, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { AIPROV_BIN, runCli, type CliRun } from '../support/cli.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';
import { unsignedJwt } from '../support/jwt.js';
import { REPO_ROOT } from '../support/paths.js';
import { runAction, startAction, type ActionRun } from '../ci/run-action.js';

const PER_TEST = { timeout: 60_000 };

/** A directory for a whole describe block (fixtures' `temporaryDirectory` is removed after each test). */
const blockDirectory = (): Promise<string> => mkdtemp(join(tmpdir(), 'aiprov-adv18-'));

/** Runs aiprov with a preload module (`node --import`) and extra environment. */
async function runWithPreload(args: readonly string[], preload: string, env: Record<string, string>, killAfterMs = 30_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', pathToFileURL(preload).href, AIPROV_BIN, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, killAfterMs);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr: killed ? `${stderr}(killed)` : stderr });
    });
  });
}

/**
 * A preload that, the first time the walk lists a directory whose path ends in $ADV_DIR_SUFFIX,
 * first renames that directory away and puts a symbolic link to $ADV_DIR_TARGET in its place: a
 * folder on the way swapped for a link between the walk's lstat of it and its readdir.
 */
const SWAP_DIR_AT_READDIR = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const suffix = process.env.ADV_DIR_SUFFIX;
const target = process.env.ADV_DIR_TARGET;
let done = false;
const readdir = fs.promises.readdir;
fs.promises.readdir = async (path, ...rest) => {
  const name = Buffer.isBuffer(path) ? path.toString('utf8') : String(path);
  if (!done && suffix && name.endsWith(suffix)) {
    done = true;
    fs.renameSync(name, name + '.orig');
    fs.symlinkSync(target, name);
  }
  return readdir(path, ...rest);
};
syncBuiltinESMExports();
`;

/**
 * A preload that, at the first nanosecond (bigint) lstat of a path ending in $ADV_LSTAT_SUFFIX —
 * the digest cache's lookup, after the walk listed the file — renames $ADV_LSTAT_WITH over it.
 */
const SWAP_AT_CACHE_LOOKUP = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const suffix = process.env.ADV_LSTAT_SUFFIX;
const replacement = process.env.ADV_LSTAT_WITH;
let done = false;
const lstatSync = fs.lstatSync;
fs.lstatSync = (path, options) => {
  const name = Buffer.isBuffer(path) ? path.toString('utf8') : String(path);
  if (!done && options && options.bigint === true && suffix && name.endsWith(suffix)) {
    done = true;
    fs.renameSync(replacement, name);
  }
  return lstatSync(path, options);
};
syncBuiltinESMExports();
`;

/**
 * A preload that, at the first open of a path ending in $ADV_REUSE_SUFFIX, deletes the file and
 * writes $ADV_REUSE_BYTES in a new file of that name with the old modification time: on ext4 the
 * freed inode number is usually handed straight back, so device, inode, size and mtime all match.
 * Writes "reused" or "fresh" to $ADV_REUSE_REPORT.
 */
const RECREATE_AT_OPEN = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const suffix = process.env.ADV_REUSE_SUFFIX;
let done = false;
function recreate(path) {
  const name = Buffer.isBuffer(path) ? path.toString('utf8') : String(path);
  if (done || !suffix || !name.endsWith(suffix)) return;
  done = true;
  const before = fs.statSync(name);
  fs.unlinkSync(name);
  fs.writeFileSync(name, process.env.ADV_REUSE_BYTES);
  fs.utimesSync(name, before.atime, before.mtime);
  const after = fs.statSync(name);
  fs.writeFileSync(process.env.ADV_REUSE_REPORT, after.ino === before.ino && after.mtimeMs === before.mtimeMs ? 'reused' : 'fresh');
}
const openSync = fs.openSync;
fs.openSync = (path, ...rest) => { recreate(path); return openSync(path, ...rest); };
const open = fs.promises.open;
fs.promises.open = async (path, ...rest) => { recreate(path); return open(path, ...rest); };
syncBuiltinESMExports();
`;

const SWAP_BEFORE_OPEN = join(REPO_ROOT, 'test', 'support', 'swap-before-open.js');

async function keyPair(dir: string): Promise<{ key: string; pub: string }> {
  expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
  return { key: join(dir, 'k.key'), pub: join(dir, 'k.pub') };
}

describe('attack 1: files swapped between the listing and the hashing', () => {
  it('was a hole: a folder swapped for a link to an outside folder between its lstat and its readdir signs nothing (the opened file\'s real path is not the listed one): FILE_CHANGED_WHILE_HASHING, exit 4', PER_TEST, async () => {
    const dir = await temporaryDirectory();
    const { key } = await keyPair(dir);
    const model = await writeModel(join(dir, 'model'), { 'config.json': '{}', 'sub/weights.bin': 'weights' });
    const outside = await writeModel(join(dir, 'outside'), { 'shadow': 'root:$6$secret:19000:0:99999:7:::\n' });
    const preload = join(dir, 'swap-dir.mjs');
    await writeFile(preload, SWAP_DIR_AT_READDIR);
    const run = await runWithPreload(['sign', model, '--key', key, '--json'], preload, { ADV_DIR_SUFFIX: join('model', 'sub'), ADV_DIR_TARGET: outside });
    // Safe: the swap is noticed (the folder listed is not the folder lstat saw), nothing is signed.
    expect(run.status, run.stdout + run.stderr).toBe(4);
    expect(run.stderr).toContain('FILE_CHANGED_WHILE_HASHING');
    expect(existsSync(join(model, 'model.sig'))).toBe(false);
  });

  it('a file renamed over by a FIFO after the listing neither hangs nor is hashed: FILE_CHANGED_WHILE_HASHING, exit 4', PER_TEST, async () => {
    const dir = await temporaryDirectory();
    const { key } = await keyPair(dir);
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const run = await runWithPreload(['sign', model, '--key', key], SWAP_BEFORE_OPEN, { AIPROV_TEST_SWAP_SUFFIX: join('model', 'config.json'), AIPROV_TEST_SWAP_WITH: fifo, AIPROV_TEST_SWAP_HOW: 'rename' }, 20_000);
    expect(run.stderr).not.toContain('(killed)');
    expect(run.status).toBe(4);
    expect(run.stderr).toContain('FILE_CHANGED_WHILE_HASHING');
    expect(existsSync(join(model, 'model.sig'))).toBe(false);
  });

  it('a single-file artifact swapped for a link to an outside file after the listing is not hashed: exit 4', PER_TEST, async () => {
    const dir = await temporaryDirectory();
    const { key } = await keyPair(dir);
    const single = join(dir, 'model.bin');
    await writeFile(single, 'weights!');
    const outside = join(dir, 'outside.bin');
    await writeFile(outside, 'secret!!');
    for (const how of ['symlink', 'rename'] as const) {
      const target = join(dir, `outside-${how}.bin`);
      await writeFile(target, 'secret!!');
      const run = await runWithPreload(['sign', single, '--key', key, '--signature', join(dir, `single-${how}.sig`)], SWAP_BEFORE_OPEN, { AIPROV_TEST_SWAP_SUFFIX: 'model.bin', AIPROV_TEST_SWAP_WITH: target, AIPROV_TEST_SWAP_HOW: how });
      expect(run.status, run.stderr).toBe(4);
      expect(run.stderr).toContain('FILE_CHANGED_WHILE_HASHING');
      expect(existsSync(join(dir, `single-${how}.sig`))).toBe(false);
      await rm(single);
      await writeFile(single, 'weights!');
    }
  });

  it('--allow-symlinks: a link\'s target swapped for a link to an outside file after the listing is not hashed (the target\'s real path is opened, O_NOFOLLOW): exit 4', PER_TEST, async () => {
    const dir = await temporaryDirectory();
    const { key } = await keyPair(dir);
    const model = await writeModel(join(dir, 'model'), { 'data/real.json': '{"a": 1}' });
    await symlink(join('data', 'real.json'), join(model, 'alias.json'));
    const outside = join(dir, 'outside.json');
    await writeFile(outside, '{"s": 1}');
    const run = await runWithPreload(['sign', model, '--key', key, '--allow-symlinks'], SWAP_BEFORE_OPEN, { AIPROV_TEST_SWAP_SUFFIX: join('data', 'real.json'), AIPROV_TEST_SWAP_WITH: outside, AIPROV_TEST_SWAP_HOW: 'symlink' });
    expect(run.status, run.stderr).toBe(4);
    expect(run.stderr).toContain('FILE_CHANGED_WHILE_HASHING');
  });

  it('--allow-symlinks: the link itself retargeted after the listing changes nothing hashed (the listed target is opened, by its real path)', PER_TEST, async () => {
    const dir = await temporaryDirectory();
    const { key, pub } = await keyPair(dir);
    const model = await writeModel(join(dir, 'model'), { 'data/real.json': '{"a": 1}' });
    await symlink(join('data', 'real.json'), join(model, 'alias.json'));
    const outside = join(dir, 'outside.json');
    await writeFile(outside, '{"s": 1}');
    // The swap preload replaces the first path opened that ends in alias.json: the hasher never opens it.
    const run = await runWithPreload(['sign', model, '--key', key, '--allow-symlinks'], SWAP_BEFORE_OPEN, { AIPROV_TEST_SWAP_SUFFIX: 'alias.json', AIPROV_TEST_SWAP_WITH: outside, AIPROV_TEST_SWAP_HOW: 'symlink' });
    expect(run.status, run.stderr).toBe(0);
    expect(await readFile(join(model, 'alias.json'), 'utf8')).toBe('{"a": 1}');
    // Retargeted for real now: verify, which follows the link as it is now, must fail.
    await unlink(join(model, 'alias.json'));
    await symlink(outside, join(model, 'alias.json'));
    const verified = await runCli(['verify', model, '--key', pub, '--allow-symlinks', '--allow-external-symlinks']);
    expect(verified.status).toBe(1);
  });

  it('sign --incremental: a file swapped at the cache lookup (after the listing) never reuses the cached digest and is not hashed: exit 4', PER_TEST, async () => {
    const dir = await temporaryDirectory();
    const { key } = await keyPair(dir);
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    const cache = join(dir, 'cache');
    await mkdir(cache);
    // Older than the racy margin (mtime and ctime): the first run stores every digest.
    await sleep(2_200);
    const first = await runCli(['sign', model, '--key', key, '--incremental', '--json'], { env: { XDG_CACHE_HOME: cache } });
    expect(first.status, first.stderr).toBe(0);
    const again = await runCli(['sign', model, '--key', key, '--incremental', '--json'], { env: { XDG_CACHE_HOME: cache } });
    expect((JSON.parse(again.stdout) as { incremental: { hashedResources: number } }).incremental.hashedResources).toBe(0);
    // A stand-in of the same size and modification time as config.json.
    const standIn = join(dir, 'stand-in.json');
    const original = SMALL_MODEL['config.json'] ?? '';
    await writeFile(standIn, original.replace('2', '9'));
    const stats = statSync(join(model, 'config.json'));
    await utimes(standIn, stats.atime, stats.mtime);
    const preload = join(dir, 'swap-lookup.mjs');
    await writeFile(preload, SWAP_AT_CACHE_LOOKUP);
    const run = await runWithPreload(['sign', model, '--key', key, '--incremental', '--json'], preload, { XDG_CACHE_HOME: cache, ADV_LSTAT_SUFFIX: join('model', 'config.json'), ADV_LSTAT_WITH: standIn });
    expect(run.status, run.stdout + run.stderr).toBe(4);
    expect(run.stdout + run.stderr).toContain('FILE_CHANGED_WHILE_HASHING');
  });

  it('residual (noted, low): a file deleted and recreated after the listing with the same size and mtime, on a reused inode number, is hashed as the listed file (ctime is not compared)', PER_TEST, async (context) => {
    const dir = await temporaryDirectory();
    const { key } = await keyPair(dir);
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    const preload = join(dir, 'recreate.mjs');
    await writeFile(preload, RECREATE_AT_OPEN);
    const report = join(dir, 'report');
    const replacementBytes = (SMALL_MODEL['config.json'] ?? '').replace('2', '9');
    const run = await runWithPreload(['sign', model, '--key', key, '--json'], preload, { ADV_REUSE_SUFFIX: join('model', 'config.json'), ADV_REUSE_BYTES: replacementBytes, ADV_REUSE_REPORT: report });
    if ((await readFile(report, 'utf8').catch(() => 'fresh')) !== 'reused') {
      // A new inode number: the device-and-inode check catches it.
      expect(run.status).toBe(4);
      context.skip();
    }
    // Same number: the content signed is the replacement's, which the writer could have written
    // before the listing just as well; no outside file can be reached this way. Documented only.
    expect(run.status).toBe(0);
  });

  it('noted (in scope as content): a hard link made before the listing to a file outside the model is a regular file of the model; its bytes are signed under its name, and a later change of the outside file fails verify', PER_TEST, async () => {
    const dir = await temporaryDirectory();
    const { key, pub } = await keyPair(dir);
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    const outside = join(dir, 'outside.txt');
    await writeFile(outside, 'outside bytes');
    await link(outside, join(model, 'linked.txt'));
    expect((await runCli(['sign', model, '--key', key])).status).toBe(0);
    expect((await runCli(['verify', model, '--key', pub])).status).toBe(0);
    await writeFile(outside, 'changed bytes');
    expect((await runCli(['verify', model, '--key', pub])).status).toBe(1);
  });
});

describe('attack 2: temporary-file names', () => {
  const EXACT = '.aiprov-tmp-999999999-0123456789ab';
  let dir: string;
  let model: string;
  let pub: string;
  beforeAll(async () => {
    dir = await blockDirectory();
    const keys = await keyPair(dir);
    pub = keys.pub;
    model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    expect((await runCli(['sign', model, '--key', keys.key])).status).toBe(0);
  }, 60_000);

  const VARIANTS = [
    ['upper-case prefix', '.AIPROV-TMP-1-0123456789ab'],
    ['upper-case hex', '.aiprov-tmp-1-0123456789AB'],
    ['13 hex digits', '.aiprov-tmp-1-0123456789abc'],
    ['11 hex digits', '.aiprov-tmp-1-0123456789a'],
    ['no pid', '.aiprov-tmp--0123456789ab'],
    ['a suffix', '.aiprov-tmp-1-0123456789ab.py'],
    ['a trailing newline', '.aiprov-tmp-1-0123456789ab\n'],
    ['full-width digits', '.aiprov-tmp-\uff11-0123456789ab'],
    ['Arabic-Indic digits', '.aiprov-tmp-\u0661-0123456789ab'],
    ['a Cyrillic a', '.\u0430iprov-tmp-1-0123456789ab'],
    ['a one-dot leader', '\u2024aiprov-tmp-1-0123456789ab'],
  ] as const;

  for (const [what, name] of VARIANTS) {
    it(`a top-level file named like a temporary file but with ${what} is not skipped: FILE_UNSIGNED, exit 1`, PER_TEST, async () => {
      await writeFile(join(model, name), 'import os; os.system("id")');
      try {
        const run = await runCli(['verify', model, '--key', pub, '--json']);
        expect(run.status, run.stdout).toBe(1);
        expect((JSON.parse(run.stdout) as { diff: { extra: string[] } }).diff.extra).toEqual([name]);
      } finally {
        await unlink(join(model, name));
      }
    });
  }

  it('a hard link of a signed file under the exact temporary name is skipped, and so harmless (its bytes are a signed file\'s)', PER_TEST, async () => {
    await link(join(model, 'config.json'), join(model, EXACT));
    try {
      expect((await runCli(['verify', model, '--key', pub])).status).toBe(0);
    } finally {
      await unlink(join(model, EXACT));
    }
  });

  it('residual (noted, low): a top-level regular file with the exact temporary name (any digits, a pid never checked for life) holds unsigned code and verify passes; no loader imports that name, but it is a place to park bytes', PER_TEST, async () => {
    await writeFile(join(model, EXACT), 'import os; os.system("id")');
    try {
      const run = await runCli(['verify', model, '--key', pub, '--json']);
      expect(run.status).toBe(0);
      expect(run.stdout).not.toContain(EXACT);
    } finally {
      await unlink(join(model, EXACT));
    }
  });
});

describe('attack 3: the GitHub Action', () => {
  let root: string;
  let workspace: string;
  let env: Record<string, string>;
  let privateKey: string;
  let publicKey: string;
  beforeAll(async () => {
    root = await blockDirectory();
    workspace = join(root, 'workspace');
    await mkdir(workspace);
    await mkdir(join(root, 'runner-temp'));
    env = { RUNNER_TEMP: join(root, 'runner-temp'), GITHUB_ACTIONS: 'true' };
    expect((await runCli(['keygen', '--output-prefix', join(root, 'release')])).status).toBe(0);
    privateKey = await readFile(join(root, 'release.key'), 'utf8');
    publicKey = join(root, 'release.pub');
  }, 60_000);

  /** The runner's own trim (.NET `TrimStart`: char.IsWhiteSpace, which includes U+0085, unlike JS's `\s`). */
  const dotnetTrimStart = (line: string): string => line.replace(/^[\s\u0085]+/, '');
  const OWN_COMMANDS = /^::(error title=|group::|endgroup::|add-mask::)/;
  function expectNoInjectedCommand(run: ActionRun): void {
    // The runner splits on CR as well as LF (StreamReader.ReadLine).
    for (const raw of `${run.stdout}\n${run.stderr}`.split(/\r\n|\r|\n/)) {
      const line = dotnetTrimStart(raw);
      if (line.startsWith('::')) expect(line).toMatch(OWN_COMMANDS);
      expect(line).not.toContain('##[');
      expect(line).not.toMatch(/^::add-mask::/);
    }
  }

  it('file names inside the model holding newlines, CR, NEL (U+0085), `::warning::`, `::stop-commands::`, `##[` and `%0A` start no workflow command in verify\'s findings', PER_TEST, async () => {
    const model = await writeModel(join(workspace, 'hostile-names'), { 'config.json': '{}' });
    expect((await runCli(['sign', model, '--key', join(root, 'release.key')])).status).toBe(0);
    for (const name of ['x\n::warning::injected', 'y\r::add-mask::y', '\u0085::warning::nel', 'z\n\u0085::stop-commands::tok', 'w\n##[warning]legacy', '%0A::warning::pre-encoded', 'v\n  ::error::spaced']) {
      await writeFile(join(model, name), 'unsigned');
    }
    const run = await runAction({ operation: 'verify', path: model, 'public-key': publicKey }, { cwd: workspace, env, files: root });
    expect(run.status).toBe(1);
    expect(run.outputs['verified']).toBe('false');
    expectNoInjectedCommand(run);
  });

  it('inputs (path, kind, signature, args) holding NEL + `::warning::`, `%0A`, `##[` and `::stop-commands::` start no workflow command', PER_TEST, async () => {
    const model = await writeModel(join(workspace, 'inputs'), { 'config.json': '{}' });
    const hostile = '\n\u0085::warning::a\r::stop-commands::t\n%0A::error::b ##[warning]c';
    const run = await runAction({ operation: 'sign', path: `${model}${hostile}`, kind: `model${hostile}`, key: privateKey, args: `--ignore-paths\n\u0085::warning::arg` }, { cwd: workspace, env, files: root });
    expect(run.status).not.toBe(0);
    expectNoInjectedCommand(run);
  });

  it('GITHUB_OUTPUT: a signature path holding newlines and a fake heredoc yields exactly the outputs aiprov reported', PER_TEST, async () => {
    const model = await writeModel(join(workspace, 'outputs'), { 'config.json': '{}' });
    const signature = join(workspace, 'sig\nverified<<EOF\ntrue\nEOF\nx=1\n.sig');
    const run = await runAction({ operation: 'sign', path: model, key: privateKey, signature }, { cwd: workspace, env, files: root });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(Object.keys(run.outputs).sort()).toEqual(['bundle-path', 'root-digest']);
    expect(run.outputs['bundle-path']).toBe(signature);
  });

  it('was a hole (low, summary only): a `|` in a value shown in the summary\'s table ends the code span\'s cell, so the rest is Markdown (a link) — GFM splits cells on `|` inside backticks', PER_TEST, async () => {
    const model = await writeModel(join(workspace, 'summary'), { 'config.json': '{}' });
    const signature = join(workspace, 'a|[click me](evil.example)|.sig');
    const run = await runAction({ operation: 'sign', path: model, key: privateKey, signature }, { cwd: workspace, env, files: root });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const row = run.summary.split('\n').find((line) => line.startsWith('| signature |')) ?? '';
    // Safe: the cell's pipes are escaped (`\|`), so the row has exactly three cell separators.
    expect(row.match(/(?<!\\)\|/g)).toHaveLength(3);
  });

  it('an identity token in args is masked in both documented forms, and SIGSTORE_ID_TOKEN in the environment is never printed', PER_TEST, async () => {
    const model = await writeModel(join(workspace, 'masked'), { 'config.json': '{}' });
    const token = unsignedJwt({ iss: 'https://token.actions.githubusercontent.com', sub: 'repo:o/r:ref:refs/heads/main' });
    const envToken = unsignedJwt({ iss: 'https://token.actions.githubusercontent.com', sub: 'env' });
    for (const args of [`--identity-token=${token}`, `--identity-token\n${token}`]) {
      const run = await runAction({ operation: 'sign', path: model, args }, { cwd: workspace, env: { ...env, SIGSTORE_ID_TOKEN: envToken }, files: root });
      const lines = `${run.stdout}\n${run.stderr}`.split('\n');
      expect(lines[0]).toBe(`::add-mask::${token}`);
      expect(lines.slice(1).join('\n').replaceAll(token, '<TOKEN>'), args.slice(0, 22)).not.toContain('<TOKEN>');
      expect(`${run.stdout}${run.stderr}`).not.toContain(envToken);
    }
  });

  it('was a hole (low-medium): `--identity-token TOKEN` on one line of `args` (one argument, as the input takes them) is not masked: the token is printed in the command line and in aiprov\'s error (masked anyway only if the token came from core.getIDToken)', PER_TEST, async () => {
    const model = await writeModel(join(workspace, 'one-line'), { 'config.json': '{}' });
    const token = unsignedJwt({ iss: 'https://token.actions.githubusercontent.com', sub: 'repo:o/r:ref:refs/heads/main' });
    const run = await runAction({ operation: 'sign', path: model, args: `--identity-token ${token}` }, { cwd: workspace, env, files: root });
    const log = `${run.stdout}\n${run.stderr}`;
    // Safe: the token is masked first, or never printed.
    const masked = log.split('\n')[0] === `::add-mask::${token}`;
    expect(masked || !log.includes(token), log).toBe(true);
  });

  it('a second signal during the cancellation (SIGTERM then SIGINT, then SIGTERM) still removes the key and ends with the first signal\'s status', PER_TEST, async () => {
    const hold = await temporaryDirectory();
    const model = await writeModel(join(workspace, 'double-signal'), { 'weights.bin': 'weights' });
    const runnerTemp = join(root, 'runner-temp-double');
    await mkdir(runnerTemp);
    const preload = join(REPO_ROOT, 'test', 'support', 'hold-before-rename.js');
    const started = await startAction({ operation: 'sign', path: model, key: privateKey }, {
      cwd: workspace,
      env: { ...env, RUNNER_TEMP: runnerTemp, NODE_OPTIONS: `--import ${pathToFileURL(preload).href}`, AIPROV_TEST_HOLD_BEFORE_RENAME: 'model.sig', AIPROV_TEST_HOLD_DIR: hold },
      files: root,
    });
    const deadline = Date.now() + 30_000;
    while (!existsSync(join(hold, 'held'))) {
      if (Date.now() > deadline) throw new Error('aiprov never reached its rename');
      await sleep(20);
    }
    const aiprovPid = Number(await readFile(join(hold, 'held'), 'utf8'));
    process.kill(started.pid, 'SIGTERM');
    await sleep(10);
    process.kill(started.pid, 'SIGINT');
    await sleep(10);
    try {
      process.kill(started.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    const run = await Promise.race([started.finished, sleep(15_000).then(() => undefined)]);
    await writeFile(join(hold, 'release'), '');
    expect(run).toBeDefined();
    // 143, or ended by the last SIGTERM itself when it lands while the step is already exiting
    // (after its cleanup): the runner reads both as a step ended by SIGTERM.
    expect([143, null]).toContain(run?.status);
    expect(await readdir(runnerTemp)).toEqual([]);
    let alive = true;
    try {
      process.kill(aiprovPid, 0);
    } catch {
      alive = false;
    }
    expect(alive).toBe(false);
    await sleep(200);
    expect(existsSync(join(model, 'model.sig'))).toBe(false);
  });
});

describe('attack 4: GOOGLE_IAM_CREDENTIALS_URL', () => {
  type Recorded = { url: string; authorization: string | undefined };
  const TOKEN = unsignedJwt({ iss: 'https://accounts.google.com', sub: 'sa' });
  let dir: string;
  let metadataHost: string;
  const metadataRequests: Recorded[] = [];
  let plainRequests: Recorded[];
  let plainUrl: string;
  let iamUrl: string;
  let iamRequests: Recorded[];
  let caFile: string;
  const servers: (Server | ReturnType<typeof createHttpsServer>)[] = [];

  const listen = async (target: Server | ReturnType<typeof createHttpsServer>): Promise<string> => {
    servers.push(target);
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${String((target.address() as AddressInfo).port)}`;
  };

  beforeAll(async () => {
    dir = await blockDirectory();
    metadataHost = await listen(createServer((request: IncomingMessage, response: ServerResponse) => {
      metadataRequests.push({ url: request.url ?? '', authorization: request.headers.authorization });
      if (request.url === '/computeMetadata/v1/instance/service-accounts/default/token') {
        response.setHeader('Content-Type', 'application/json').end(JSON.stringify({ access_token: 'access-SECRET-123', token_type: 'Bearer' }));
      } else {
        response.writeHead(404).end();
      }
    }));
    plainRequests = [];
    plainUrl = `http://${await listen(createServer((request, response) => {
      plainRequests.push({ url: request.url ?? '', authorization: request.headers.authorization });
      request.resume();
      request.on('end', () => response.setHeader('Content-Type', 'application/json').end(JSON.stringify({ token: TOKEN })));
    }))}`;
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'iam.key'), '-out', join(dir, 'iam.crt'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    caFile = join(dir, 'iam.crt');
    iamRequests = [];
    iamUrl = `https://${await listen(createHttpsServer({ key: await readFile(join(dir, 'iam.key')), cert: await readFile(caFile) }, (request, response) => {
      iamRequests.push({ url: request.url ?? '', authorization: request.headers.authorization });
      request.resume();
      // Redirect every request, with its method and body (307), to the plain-http server.
      request.on('end', () => response.writeHead(307, { Location: `${plainUrl}${request.url ?? '/'}` }).end());
    }))}`;
    return async () => {
      for (const target of servers) await new Promise((resolve) => target.close(resolve));
    };
  }, 60_000);

  const signWith = async (url: string): Promise<CliRun> => {
    const model = await writeModel(join(await temporaryDirectory(), 'model'), { 'config.json': '{}' });
    return runCli(['sign', model, '--json'], { env: { GCE_METADATA_HOST: metadataHost, GOOGLE_SERVICE_ACCOUNT_NAME: 'sa@p.iam.gserviceaccount.com', GOOGLE_IAM_CREDENTIALS_URL: url, NODE_EXTRA_CA_CERTS: caFile }, killAfterMs: 30_000 });
  };

  it('http://, HTTP://, a user name, a query, a fragment, a non-URL and a leading "http:" under whitespace are refused before the access token is asked for', PER_TEST, async () => {
    const port = plainUrl.slice('http://'.length);
    for (const url of [plainUrl, `HTTP://${port}`, ` http://${port}`, `\thttp://${port}`, `https://user@${port}`, `https://u:p@${port}`, `https://${port}/?x=1`, `https://${port}/#f`, 'not a url', `http:/${port}`, `ftp://${port}`]) {
      metadataRequests.length = 0;
      plainRequests.length = 0;
      const run = await signWith(url);
      expect(run.status, `${url}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain('IAM_CREDENTIALS_URL_INVALID');
      expect(metadataRequests.filter((request) => request.url.endsWith('/token'))).toEqual([]);
      expect(plainRequests).toEqual([]);
      expect(run.stderr).not.toContain('u:p');
    }
  });

  it('HTTPS:// upper case, `https:/host` and surrounding blanks normalise to an https URL (still TLS): accepted, the token goes over TLS only', PER_TEST, async () => {
    const port = iamUrl.slice('https://'.length);
    for (const url of [`HTTPS://${port}`, `https:/${port}`, `  https://${port}  `, `https\t://${port}`, `ht\ntps://${port}`]) {
      iamRequests.length = 0;
      plainRequests.length = 0;
      await signWith(url);
      expect(iamRequests.length, url).toBeGreaterThan(0);
      expect(iamRequests[0]?.authorization).toBe('Bearer access-SECRET-123');
      // Redirected to http: the bearer token must not follow.
      for (const request of plainRequests) expect(request.authorization, url).toBeUndefined();
    }
  });

  it('a 307 redirect from the https endpoint to http:// does not resend the access token in clear text', PER_TEST, async () => {
    iamRequests.length = 0;
    plainRequests.length = 0;
    const run = await signWith(iamUrl);
    expect(iamRequests.length, run.stderr).toBeGreaterThan(0);
    expect(plainRequests.map((request) => request.authorization)).not.toContain('Bearer access-SECRET-123');
    expect(run.stdout + run.stderr).not.toContain('access-SECRET-123');
  });

  it('IPv6 literal https://[::1]:port is an https URL (accepted by the check; the request fails to connect, no token in clear)', PER_TEST, async () => {
    metadataRequests.length = 0;
    plainRequests.length = 0;
    const run = await signWith('https://[::1]:1');
    expect(run.stderr).not.toContain('IAM_CREDENTIALS_URL_INVALID');
    expect(run.stdout + run.stderr).not.toContain('access-SECRET-123');
    expect(plainRequests).toEqual([]);
  });
});

/** Removes a file or a link (the single-file loop's swapped artifact). */
async function rm(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}
