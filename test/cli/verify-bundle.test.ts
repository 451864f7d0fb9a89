import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { TESTDATA } from '../support/paths.js';

interface ConformanceCase {
  case: string;
  case_dir: string;
  expected_success: boolean;
  artifact: string;
  digest_arg: string;
  mode: 'keyless' | 'key';
  identity?: string;
  issuer?: string;
  trusted_root: string | null;
  key?: string;
}

const ROOT = join(TESTDATA, 'sigstore-conformance');
const cases = readFileSync(join(ROOT, 'index.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as ConformanceCase);
const PRODUCTION_ROOT = join(TESTDATA, 'sigstore-trust-roots', 'production_trusted_root.json');

/** The sigstore-conformance client protocol, exactly as the suite invokes a client. */
function protocolArgs(test: ConformanceCase, target: string): string[] {
  const dir = join(ROOT, test.case_dir);
  const trust = test.trusted_root === null ? PRODUCTION_ROOT : join(ROOT, test.trusted_root);
  const identity = test.mode === 'key' ? ['--key', join(ROOT, test.key ?? '')] : ['--certificate-identity', test.identity ?? '', '--certificate-oidc-issuer', test.issuer ?? ''];
  return ['verify-bundle', '--bundle', join(dir, 'bundle.sigstore.json'), ...identity, '--trusted-root', trust, '--offline', target];
}

/** Runs the protocol for every case and mode, a few processes at a time. */
async function runAll(): Promise<{ name: string; expected: boolean; status: number | null; stderr: string }[]> {
  const jobs = cases.flatMap((test) => [
    { name: `PATH-${test.case}`, test, target: join(ROOT, test.artifact) },
    { name: `DIGEST-${test.case}`, test, target: test.digest_arg },
  ]);
  const results: { name: string; expected: boolean; status: number | null; stderr: string }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        if (job === undefined) return;
        const run = await runCli(protocolArgs(job.test, job.target));
        results.push({ name: job.name, expected: job.test.expected_success, status: run.status, stderr: run.stderr });
      }
    }),
  );
  return results.sort((a, b) => a.name.localeCompare(b.name));
}

describe('aiprov verify-bundle: the Sigstore conformance suite through the CLI', () => {
  it('gives every case its expected outcome in PATH and DIGEST mode, offline', async () => {
    expect(cases.length).toBe(70);
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
