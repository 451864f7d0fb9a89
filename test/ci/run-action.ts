import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { REPO_ROOT } from '../support/paths.js';

const ActionStep = z.object({ id: z.string().optional(), name: z.string().optional(), uses: z.string().optional(), run: z.string().optional(), if: z.string().optional(), shell: z.string().optional(), env: z.record(z.string(), z.string()).optional(), with: z.record(z.string(), z.string()).optional() });

/** The parts of action.yml the runner reads for a composite action. */
const ActionYaml = z.object({
  inputs: z.record(z.string(), z.object({ description: z.string(), required: z.boolean().optional(), default: z.string().optional() })),
  outputs: z.record(z.string(), z.object({ description: z.string(), value: z.string() })),
  runs: z.object({ using: z.literal('composite'), steps: z.array(ActionStep) }),
});

export const ACTION = ActionYaml.parse(parse(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')));

export function actionStep(id: string): z.infer<typeof ActionStep> {
  const step = ACTION.runs.steps.find((candidate) => candidate.id === id);
  if (step === undefined) throw new Error(`action.yml has no step with id ${id}`);
  return step;
}

export interface ActionRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
  readonly summary: string;
}

/** Parses a GITHUB_OUTPUT file: `name=value` lines and `name<<DELIMITER` … `DELIMITER` blocks. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc !== null) {
      const [, name = '', delimiter] = heredoc;
      const value: string[] = [];
      while (++i < lines.length && lines[i] !== delimiter) value.push(lines[i] ?? '');
      outputs[name] = value.join('\n');
    } else if (line.includes('=')) {
      outputs[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return outputs;
}

/** A started run of the action's step: its process id, and the run once it has ended. */
export interface StartedAction {
  readonly pid: number;
  readonly finished: Promise<ActionRun>;
}

/**
 * Runs the action's `run` step as the runner does for a composite action: each `env` entry of the
 * step whose value is `${{ inputs.NAME }}` gets the input's value (or its default from action.yml),
 * and the step's command gets fresh `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` files.
 */
export async function startAction(inputs: Readonly<Record<string, string>>, options: { cwd: string; env: Record<string, string>; files: string }): Promise<StartedAction> {
  for (const name of Object.keys(inputs)) if (!(name in ACTION.inputs)) throw new Error(`action.yml has no input ${name}`);
  const step = actionStep('run');
  const env: Record<string, string> = {};
  for (const [name, expression] of Object.entries(step.env ?? {})) {
    const input = /^\$\{\{ inputs\.([a-z-]+) \}\}$/.exec(expression)?.[1];
    if (input === undefined) throw new Error(`${name}: ${expression} is not an input`);
    env[name] = inputs[input] ?? ACTION.inputs[input]?.default ?? '';
  }
  const stamp = `${String(Date.now())}-${String(Math.random()).slice(2)}`;
  const outputFile = join(options.files, `output-${stamp}`);
  const summaryFile = join(options.files, `summary-${stamp}`);
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const command = (step.run ?? '').trim();
  const child = spawn('bash', ['-e', '-c', command], {
    cwd: options.cwd,
    env: { PATH: process.env['PATH'] ?? '', GITHUB_ACTION_PATH: REPO_ROOT, GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile, ...options.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ended = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ status: code, stdout: out, stderr: err });
    });
  });
  const finished = ended.then(async ({ status, stdout, stderr }) => ({ status, stdout, stderr, outputs: parseOutputFile(await readFile(outputFile, 'utf8')), summary: await readFile(summaryFile, 'utf8') }));
  // A process that could not start has no pid: its spawn error is the reason.
  if (child.pid === undefined) await finished;
  if (child.pid === undefined) throw new Error('the action did not start');
  return { pid: child.pid, finished };
}

/** Runs the action's `run` step (`startAction`) to its end. */
export async function runAction(inputs: Readonly<Record<string, string>>, options: { cwd: string; env: Record<string, string>; files: string }): Promise<ActionRun> {
  return (await startAction(inputs, options)).finished;
}
