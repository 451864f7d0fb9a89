/**
 * sigstore-js's own bundles and fixtures (testdata/sigstore-js): v0.1 to v0.3, message signatures
 * and DSSE, keys and certificates, Rekor v2 entries, and the outcomes its tests expect. Failing
 * cases must fail with the aiprov code that corresponds to sigstore-js's own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AiprovError } from '../../src/errors.js';
import type { EvidenceThresholds } from '../../src/verify/evidence.js';
import { verifySigstoreBundle, type VerifySigstoreBundleOptions } from '../../src/verify/sigstore-bundle.js';
import { parseTrustRoot, toVerifierTrustMaterial } from '../../src/verify/trust.js';
import { TESTDATA } from '../support/paths.js';

const VECTORS = join(TESTDATA, 'sigstore-js');

interface SigstoreJsCase {
  readonly case: string;
  readonly bundle: string;
  readonly mutate?: string | Record<string, unknown>;
  readonly artifact?: string | null;
  readonly artifact_inline?: string;
  readonly trusted_root: string;
  readonly identity?: string | null;
  readonly issuer?: string | null;
  readonly key?: string;
  readonly key_hint_map?: string;
  readonly verifier_options?: { readonly ctlogThreshold: number; readonly tlogThreshold: number; readonly tsaThreshold: number };
  readonly expected_success: boolean;
  readonly expected_error?: string;
}

const CASES = readFileSync(join(VECTORS, 'index.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as SigstoreJsCase);

/**
 * sigstore-js's expected error, and the aiprov code for the same failure. Where they differ in
 * kind, aiprov refuses earlier: the artifact's digest is compared before any signature check,
 * duplicates are refused before counting, and a v0.1 bundle's missing promise is a shape error.
 */
const EXPECTED_CODES: Readonly<Record<string, { readonly sigstoreJs: string; readonly aiprov: string }>> = {
  'client/signature-mismatch': { sigstoreJs: 'SIGNATURE_ERROR', aiprov: 'DIGEST_MISMATCH' },
  'client/invalidExpiredCert': { sigstoreJs: 'CERTIFICATE_ERROR', aiprov: 'CERTIFICATE_CHAIN_INVALID' },
  'client/invalidBadSignature': { sigstoreJs: 'TLOG_BODY_ERROR', aiprov: 'TLOG_INVALID' },
  'verify/policy-mismatch': { sigstoreJs: 'UNTRUSTED_SIGNER_ERROR', aiprov: 'IDENTITY_MISMATCH' },
  'verify/duplicate-tlog-entries': { sigstoreJs: 'TIMESTAMP_ERROR', aiprov: 'TLOG_DUPLICATE_ENTRY' },
  'verify/no-inclusion-promise': { sigstoreJs: 'TLOG_MISSING_INCLUSION_ERROR', aiprov: 'BUNDLE_INVALID' },
  'verify/wrong-artifact': { sigstoreJs: 'SIGNATURE_ERROR', aiprov: 'DIGEST_MISMATCH' },
};

type Json = Record<string, unknown>;

function loadBundle(testCase: SigstoreJsCase): Json {
  const bundle = JSON.parse(readFileSync(join(VECTORS, testCase.bundle), 'utf8')) as Json;
  const entries = (bundle.verificationMaterial as { tlogEntries: Json[] }).tlogEntries;
  const [first] = entries;
  switch (testCase.mutate) {
    case undefined:
      break;
    case 'duplicate tlogEntries[0]':
      entries.push(structuredClone(first as Json));
      break;
    case 'delete tlogEntries[0].inclusionPromise':
      delete (first as Json).inclusionPromise;
      break;
    default:
      if (typeof testCase.mutate === 'string') throw new Error(`unknown mutation ${testCase.mutate}`);
      Object.assign(bundle, testCase.mutate);
  }
  return bundle;
}

function optionsFor(testCase: SigstoreJsCase): VerifySigstoreBundleOptions {
  const trustMaterial = toVerifierTrustMaterial(parseTrustRoot(readFileSync(join(VECTORS, testCase.trusted_root)), testCase.trusted_root));
  const artifact = typeof testCase.artifact === 'string' ? readFileSync(join(VECTORS, testCase.artifact)) : testCase.artifact_inline === undefined ? undefined : Buffer.from(testCase.artifact_inline);
  const identity = {
    ...(typeof testCase.identity === 'string' ? { certificateIdentity: testCase.identity } : {}),
    ...(typeof testCase.issuer === 'string' ? { certificateOidcIssuer: testCase.issuer } : {}),
  };
  const options = testCase.verifier_options;
  const thresholds: EvidenceThresholds | undefined = options === undefined ? undefined : { tlog: options.tlogThreshold, ctlog: options.ctlogThreshold, timestamp: options.tsaThreshold };
  return {
    bundleJson: loadBundle(testCase),
    trustMaterial,
    ...(artifact === undefined ? {} : { artifact }),
    ...(Object.keys(identity).length === 0 ? {} : { identity }),
    ...(testCase.key === undefined ? {} : { publicKey: readFileSync(join(VECTORS, testCase.key), 'utf8') }),
    ...(testCase.key_hint_map === undefined ? {} : { publicKeys: JSON.parse(readFileSync(join(VECTORS, testCase.key_hint_map), 'utf8')) as Record<string, string> }),
    ...(thresholds === undefined ? {} : { thresholds }),
  };
}

describe('sigstore-js vectors', () => {
  it('lists 30 cases, every failing one with its expected code', () => {
    expect(CASES).toHaveLength(30);
    const failing = CASES.filter((testCase) => !testCase.expected_success);
    expect(failing.map((testCase) => testCase.case).sort()).toEqual(Object.keys(EXPECTED_CODES).sort());
    for (const testCase of failing) expect(EXPECTED_CODES[testCase.case]?.sigstoreJs).toBe(testCase.expected_error);
  });

  it.each(CASES.map((testCase) => [testCase.case, testCase] as const))('%s', (_name, testCase) => {
    const options = optionsFor(testCase);
    if (testCase.expected_success) {
      const result = verifySigstoreBundle(options);
      if (testCase.key !== undefined || testCase.key_hint_map !== undefined) {
        expect(result.signer.kind).toBe('key');
      } else {
        expect(result.signer).toMatchObject({ kind: 'certificate', identity: { subjectAlternativeName: 'brian@dehamer.com', issuer: 'https://github.com/login/oauth' } });
        expect(result.signer.kind === 'certificate' ? result.signer.identity.subjectAlternativeNames : []).toEqual([{ type: 'email', value: 'brian@dehamer.com' }]);
      }
      expect(result.timestamps.length).toBeGreaterThan(0);
      if (result.content === 'dsse') expect(result.dsse?.payload.length).toBeGreaterThan(0);
    } else {
      let caught: unknown;
      try {
        verifySigstoreBundle(options);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(AiprovError);
      expect(caught).toMatchObject({ code: EXPECTED_CODES[testCase.case]?.aiprov });
    }
  });

  it('refuses the compatibility bundles for another identity or issuer', () => {
    for (const testCase of CASES.filter((candidate) => candidate.case.startsWith('compat/'))) {
      const options = optionsFor(testCase);
      expect(() => verifySigstoreBundle({ ...options, identity: { certificateIdentity: 'brian@dehamer.com.evil.example', certificateOidcIssuer: 'https://github.com/login/oauth' } })).toThrow(expect.objectContaining({ code: 'IDENTITY_MISMATCH' }) as Error);
      expect(() => verifySigstoreBundle({ ...options, identity: { certificateIdentity: 'brian@dehamer.com', certificateOidcIssuer: 'https://github.com/login/oauth/evil' } })).toThrow(expect.objectContaining({ code: 'ISSUER_MISMATCH' }) as Error);
    }
  });
});
