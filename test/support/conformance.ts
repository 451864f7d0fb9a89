import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TESTDATA } from './paths.js';

/** The sigstore-conformance suite's bundle-verification cases (testdata/sigstore-conformance, see its PROVENANCE.md). */
export const CONFORMANCE = join(TESTDATA, 'sigstore-conformance');
export const PRODUCTION_ROOT = join(TESTDATA, 'sigstore-trust-roots', 'production_trusted_root.json');

export interface ConformanceCase {
  readonly case: string;
  readonly case_dir: string;
  readonly expected_success: boolean;
  readonly artifact: string;
  readonly artifact_sha256: string;
  readonly digest_arg: string;
  readonly mode: 'keyless' | 'key';
  readonly identity?: string | null;
  readonly issuer?: string | null;
  readonly key?: string;
  readonly trusted_root: string | null;
}

export const CONFORMANCE_CASES: readonly ConformanceCase[] = readFileSync(join(CONFORMANCE, 'index.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as ConformanceCase);

/** `aiprov verify-bundle …` for a case, exactly as the suite invokes a client (the client protocol). */
export function verifyBundleArgs(test: ConformanceCase, target: string): string[] {
  const trust = test.trusted_root === null ? PRODUCTION_ROOT : join(CONFORMANCE, test.trusted_root);
  const identity = test.mode === 'key' ? ['--key', join(CONFORMANCE, test.key ?? '')] : ['--certificate-identity', test.identity ?? '', '--certificate-oidc-issuer', test.issuer ?? ''];
  return ['verify-bundle', '--bundle', join(CONFORMANCE, test.case_dir, 'bundle.sigstore.json'), ...identity, '--trusted-root', trust, '--offline', target];
}
