import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { CONFORMANCE, CONFORMANCE_CASES, verifyBundleArgs } from '../support/conformance.js';

/** Runs the protocol for every case and mode, a few processes at a time. */
async function runAll(): Promise<{ name: string; expected: boolean; status: number | null; stderr: string }[]> {
  const jobs = CONFORMANCE_CASES.flatMap((test) => [
    { name: `PATH-${test.case}`, test, target: join(CONFORMANCE, test.artifact) },
    { name: `DIGEST-${test.case}`, test, target: test.digest_arg },
  ]);
  const results: { name: string; expected: boolean; status: number | null; stderr: string }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        if (job === undefined) return;
        const run = await runCli(verifyBundleArgs(job.test, job.target));
        results.push({ name: job.name, expected: job.test.expected_success, status: run.status, stderr: run.stderr });
      }
    }),
  );
  return results.sort((a, b) => a.name.localeCompare(b.name));
}

describe('aiprov verify-bundle: the Sigstore conformance suite through the CLI', () => {
  it('gives every case its expected outcome in PATH and DIGEST mode, offline', async () => {
    expect(CONFORMANCE_CASES.length).toBe(70);
    const results = await runAll();
    expect(results).toHaveLength(140);
    const wrong = results.filter((result) => (result.status === 0) !== result.expected).map((result) => `${result.name}: exit ${String(result.status)} ${result.stderr.trim()}`);
    expect(wrong).toEqual([]);
    // A refusal is a clean one-line error with a code, never a crash (exit 70) or a stack trace.
    for (const result of results.filter((item) => item.status !== 0)) {
      expect(result.status, result.name).not.toBe(70);
      expect(result.stderr, result.name).toMatch(/^aiprov: [A-Z_]+: [^\n]+\n$/);
    }
  }, 300_000);
});
