/**
 * The GitHub Action's step against hostile inputs and a cancelled step (issue 18): inputs that try
 * to start workflow commands, an identity token passed in `args`, and SIGTERM/SIGINT while aiprov
 * is about to write its signature. Each runs `action/run.js` as the runner does (run-action.ts).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { temporaryDirectory, writeModel } from '../support/fixtures.js';
import { unsignedJwt } from '../support/jwt.js';
import { REPO_ROOT } from '../support/paths.js';
import { runAction, startAction, type ActionRun } from './run-action.js';

/** The workflow commands this step itself may issue; any other line starting with `::` was injected. */
const OWN_COMMANDS = /^::(error title=|group::|endgroup::|add-mask::)/;

/** Every line of the step's log (stdout and stderr) as the runner reads it: leading blanks trimmed. */
function logLines(run: ActionRun): string[] {
  return `${run.stdout}\n${run.stderr}`.split('\n').map((line) => line.trimStart());
}

function expectNoInjectedCommand(run: ActionRun): void {
  for (const line of logLines(run)) {
    if (line.startsWith('::')) expect(line).toMatch(OWN_COMMANDS);
    // The runner's legacy command form, recognised anywhere in a line.
    expect(line).not.toContain('##[');
  }
  expect(logLines(run).filter((line) => line.startsWith('::add-mask::'))).toEqual([]);
}

let root: string;
let workspace: string;
let env: Record<string, string>;
let privateKey: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aiprov-action-hostile-'));
  workspace = join(root, 'workspace');
  await mkdir(workspace);
  await mkdir(join(root, 'runner-temp'));
  env = { RUNNER_TEMP: join(root, 'runner-temp'), GITHUB_ACTIONS: 'true' };
  expect((await runCli(['keygen', '--output-prefix', join(root, 'release')])).status).toBe(0);
  privateKey = await readFile(join(root, 'release.key'), 'utf8');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('inputs never start a workflow command', () => {
  const HOSTILE = 'x\n::warning::injected\n::add-mask::weights\r\n##[warning]legacy\n  ::error::indented';

  it('a path holding newlines and `::warning::`, `::add-mask::`, `##[warning]` logs no command of its own (the model is signed)', async () => {
    // A real directory by that name: the command line, aiprov's JSON and the outputs all carry it.
    const model = await writeModel(join(workspace, HOSTILE), { 'weights.bin': 'weights' });
    const run = await runAction({ operation: 'sign', path: model, key: privateKey }, { cwd: workspace, env, files: root });
    expect(run.status, run.stderr).toBe(0);
    expectNoInjectedCommand(run);
    // The value is still there, escaped, on one line.
    expect(run.stdout).toMatch(/^aiprov sign .*x%0A::warning::injected%0A::add-mask::weights%0D%0A##%5Bwarning\]legacy%0A {2}::error::indented .*--json$/m);
    expect(run.outputs['bundle-path']).toBe(join(model, 'model.sig'));
  });

  it('the same input in a failing run: aiprov\'s error message becomes one escaped `::error` line (exit 4, FILE_NOT_FOUND)', async () => {
    const run = await runAction({ operation: 'verify', path: join(workspace, `missing${HOSTILE}`), 'public-key': join(root, 'release.pub') }, { cwd: workspace, env, files: root });
    expect(run.status).toBe(4);
    expectNoInjectedCommand(run);
    const errors = logLines(run).filter((line) => line.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^::error title=aiprov verify::FILE_NOT_FOUND: /);
    expect(run.stderr.trim()).toMatch(/^aiprov: FILE_NOT_FOUND: [^\n]+$/);
  });

  it('an identity token in `args` is masked before anything is logged and never printed (either form)', async () => {
    const token = unsignedJwt({ iss: 'https://token.actions.githubusercontent.com', sub: 'repo:org/models:ref:refs/heads/main', aud: 'sigstore', exp: Math.floor(Date.now() / 1000) + 600 });
    const model = await writeModel(join(workspace, 'keyless'), { 'weights.bin': 'weights' });
    // No Fulcio listens on port 1: the run fails after the token was read, exit 4.
    const unreachable = ['--fulcio-url', 'http://127.0.0.1:1', '--rekor-url', 'http://127.0.0.1:1'];
    for (const args of [['--identity-token', token, ...unreachable], [`--identity-token=${token}`, ...unreachable]]) {
      const run = await runAction({ operation: 'sign', path: model, args: args.join('\n') }, { cwd: workspace, env, files: root });
      expect(run.status, run.stderr).toBe(4);
      expect(run.stdout.split('\n')[0]).toBe(`::add-mask::${token}`);
      const rest = [run.stdout.slice(run.stdout.indexOf('\n') + 1), run.stderr, run.summary, JSON.stringify(run.outputs)].join('\n');
      expect(rest).not.toContain(token);
      expect(run.stdout).toMatch(/^aiprov sign .*--identity-token[ =]<secret> /m);
    }
  });
});

describe('a cancelled step (SIGTERM or SIGINT) stops aiprov and removes the key', () => {
  const preload = join(REPO_ROOT, 'test', 'support', 'hold-before-rename.js');

  /** Polls for `file` (the preload's marker) for at most `ms`. */
  async function waitFor(file: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!existsSync(file)) {
      if (Date.now() > deadline) throw new Error(`${file} did not appear`);
      await sleep(20);
    }
  }
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it.each([['SIGTERM', 143], ['SIGINT', 130]] as const)('%s while aiprov is about to write model.sig: no model.sig, no key file, aiprov gone, exit %i', async (signal, status) => {
    const hold = await temporaryDirectory();
    const model = await writeModel(join(workspace, `cancelled-${signal}`), { 'weights.bin': 'weights', 'config.json': '{}' });
    const runnerTemp = join(root, `runner-temp-${signal}`);
    await mkdir(runnerTemp);
    const started = await startAction({ operation: 'sign', path: model, key: privateKey }, {
      cwd: workspace,
      env: { ...env, RUNNER_TEMP: runnerTemp, NODE_OPTIONS: `--import ${pathToFileURL(preload).href}`, AIPROV_TEST_HOLD_BEFORE_RENAME: 'model.sig', AIPROV_TEST_HOLD_DIR: hold },
      files: root,
    });
    let aiprovPid = 0;
    try {
      await waitFor(join(hold, 'held'), 30_000);
      aiprovPid = Number(await readFile(join(hold, 'held'), 'utf8'));
      // The key is on disk while aiprov signs with it.
      const [tmp = ''] = await readdir(runnerTemp);
      expect(await readdir(join(runnerTemp, tmp))).toEqual(['signing.key']);
      // The runner signals the step's process, not its group.
      process.kill(started.pid, signal);
      // The step's log ends when every writer of it has: a step that left aiprov running never ends.
      const run = await Promise.race([started.finished, sleep(15_000).then(() => undefined)]);
      if (run === undefined) throw new Error(`the step did not end within 15 s of ${signal}: aiprov ${alive(aiprovPid) ? 'is still running' : 'ended'}`);
      expect(run.status, run.stdout + run.stderr).toBe(status);
      expect(alive(aiprovPid)).toBe(false);
      expect(await readdir(runnerTemp)).toEqual([]);
      // Were aiprov still running, it would now write the signature.
      await writeFile(join(hold, 'release'), '');
      await sleep(200);
      expect((await readdir(model)).filter((name) => !name.startsWith('.aiprov-tmp-')).sort()).toEqual(['config.json', 'weights.bin']);
      expect(run.stdout).toContain(`cancelled (${signal})`);
    } finally {
      await writeFile(join(hold, 'release'), '');
      if (aiprovPid !== 0 && alive(aiprovPid)) process.kill(aiprovPid, 'SIGKILL');
    }
  });
});
