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

/** Runs `aiprov` as a real process, the way a user does. */
export async function runCli(args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AIPROV_BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { PATH: process.env['PATH'] ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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

/** A failure prints exactly one line on stderr, `aiprov: CODE: …`, and never a stack trace. */
export function expectOneLineError(run: CliRun, status: number, code: string): void {
  expect({ status: run.status, stderr: run.stderr.trim() }).toMatchObject({ status, stderr: expect.stringMatching(new RegExp(`^aiprov: ${code}: [^\\n]+$`)) as unknown });
  expect(run.stderr).not.toMatch(/\n\s+at /);
}
