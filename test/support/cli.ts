import { expect } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export const AIPROV_BIN = join(REPO_ROOT, 'bin', 'aiprov.js');

/**
 * Runs `aiprov` as a real process, the way a user does. With `killAfterMs`, a process still running
 * then is killed (status null, and stderr says so): a test of a hang fails with a message instead
 * of leaving a process blocked on a FIFO behind.
 */
export async function runCli(args: readonly string[], options: { env?: Record<string, string>; cwd?: string; killAfterMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AIPROV_BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { PATH: process.env['PATH'] ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const timer = options.killAfterMs === undefined ? undefined : setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, options.killAfterMs);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr: killed ? `${stderr}(test: killed after ${String(options.killAfterMs)} ms)\n` : stderr });
    });
  });
}

/** A failure prints exactly one line on stderr, `aiprov: CODE: …`, and never a stack trace. */
export function expectOneLineError(run: CliRun, status: number, code: string): void {
  expect({ status: run.status, stderr: run.stderr.trim() }).toMatchObject({ status, stderr: expect.stringMatching(new RegExp(`^aiprov: ${code}: [^\\n]+$`)) as unknown });
  expect(run.stderr).not.toMatch(/\n\s+at /);
}
