/**
 * The Sigstore client conformance suite's bundle-verification cases (testdata/sigstore-conformance,
 * PATH and DIGEST mode), the attacks a bundle verifier must stop (each by a mutation of a valid
 * conformance bundle, each with its stable code), model_signing's Sigstore bundles, and the
 * digest-only signature check that DIGEST mode relies on.
 */
import { createHash, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import { toSignedEntity, Verifier } from '@sigstore/verify';
import { describe, expect, it } from 'vitest';
import { AiprovError } from '../../src/errors.js';
import { verifyEcdsaDigest } from '../../src/verify/prehashed-signature.js';
import { verifySigstoreBundle, type VerifySigstoreBundleOptions } from '../../src/verify/sigstore-bundle.js';
import { verifyBundleFile } from '../../src/use-cases/verify-bundle.js';
import { parseTrustRoot, stagingTrustRoot, toVerifierTrustMaterial } from '../../src/verify/trust.js';
import { temporaryDirectory } from '../support/fixtures.js';
import { CONFORMANCE, CONFORMANCE_CASES, PRODUCTION_ROOT, type ConformanceCase } from '../support/conformance.js';
import { TESTDATA } from '../support/paths.js';

const ASSETS = join(CONFORMANCE, 'test', 'assets', 'bundle-verify');
const MODEL_SIGNING = join(TESTDATA, 'model-transparency');

const CASES = CONFORMANCE_CASES;

/**
 * The code each failing case is refused with, in both modes: a case that starts failing for
 * another reason (or passing) is caught here, not just "it failed".
 */
const EXPECTED_CODES: Readonly<Record<string, string>> = {
  'bundle-empty-certificate-chain_fail': 'BUNDLE_INVALID',
  'bundle-from-wrong-instance_fail': 'CERTIFICATE_CHAIN_INVALID',
  'bundle-invalid-base64-signature_fail': 'BUNDLE_INVALID',
  'bundle-malformed-json_fail': 'BUNDLE_NOT_JSON',
  'bundle-negative-log-index_fail': 'BUNDLE_INVALID',
  'bundle-unknown-version_fail': 'BUNDLE_UNSUPPORTED_VERSION',
  // Refused for its inclusion proof without checkpoint; the bundled root itself is ignored (see
  // "never takes a trust anchor from the bundle" below).
  'bundle-with-root-cert_fail': 'BUNDLE_INVALID',
  'checkpoint-bad-keyhint_fail': 'TLOG_INVALID',
  'checkpoint-wrong-roothash_fail': 'TLOG_INVALID',
  'dsse-invalid-sig_fail': 'TLOG_INVALID',
  'dsse-mismatch-envelope_fail': 'TLOG_INVALID',
  'dsse-mismatch-sig_fail': 'TLOG_INVALID',
  'inclusion-proof-corrupted-hash_fail': 'TLOG_INVALID',
  'incorrect-public-key_fail': 'TLOG_INVALID',
  'integrated-time-in-future_fail': 'CERTIFICATE_CHAIN_INVALID',
  'intoto-expired-certificate_fail': 'CERTIFICATE_CHAIN_INVALID',
  'intoto-log-entry-mismatch_fail': 'TLOG_INVALID',
  'intoto-missing-inclusion-proof_fail': 'BUNDLE_INVALID',
  'intoto-set-outside-signing-cert-validity_fail': 'CERTIFICATE_CHAIN_INVALID',
  'intoto-tsa-timestamp-outside-cert-validity_fail': 'CERTIFICATE_CHAIN_INVALID',
  'invalid-checkpoint-signature_fail': 'TLOG_INVALID',
  'invalid-ct-key_fail': 'CERTIFICATE_CHAIN_INVALID',
  'invalid-inclusion-proof_fail': 'BUNDLE_INVALID',
  'managed-key-no-key_fail': 'IDENTITY_MISMATCH',
  'managed-key-wrong-key_fail': 'KEY_INVALID',
  'message-digest-mismatch_fail': 'DIGEST_MISMATCH',
  'rekor2-checkpoint-missing-log-signature_fail': 'TLOG_INVALID',
  'rekor2-checkpoint-missing-origin_fail': 'TLOG_INVALID',
  'rekor2-checkpoint-missing-root-hash_fail': 'TLOG_INVALID',
  'rekor2-checkpoint-missing-size_fail': 'TLOG_INVALID',
  'rekor2-checkpoint-no-matching-signature_fail': 'TLOG_INVALID',
  'rekor2-dsse-invalid-sig_fail': 'TLOG_INVALID',
  'rekor2-dsse-mismatch-envelope_fail': 'TLOG_INVALID',
  'rekor2-dsse-mismatch-sig_fail': 'TLOG_INVALID',
  'rekor2-no-inclusion-proof_fail': 'BUNDLE_INVALID',
  'rekor2-no-timestamp_fail': 'TIMESTAMP_MISSING',
  'rekor2-timestamp-outside-trust-root-tsa-validity_fail': 'TIMESTAMP_INVALID',
  'rekor2-timestamp-outside-tsa-cert-validity_fail': 'TIMESTAMP_INVALID',
  'rekor2-timestamp-payload-mismatch_fail': 'TIMESTAMP_INVALID',
  'rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail': 'TIMESTAMP_INVALID',
  'rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail': 'TIMESTAMP_INVALID',
  'rekor2-timestamp-with-incorrect-time_fail': 'CERTIFICATE_CHAIN_INVALID',
  'set-invalid-signature_fail': 'TLOG_INVALID',
  'signature-mismatch_fail': 'TLOG_INVALID',
  'trust-root-tlog-missing-validity-start_fail': 'TRUST_ROOT_INVALID',
  'wrong-hashedrekord-artifact_fail': 'TLOG_INVALID',
  'wrong-hashedrekord-cert-and-sig_fail': 'TLOG_INVALID',
  'wrong-hashedrekord-entry_fail': 'TLOG_INVALID',
  'wrong-material_fail': 'DIGEST_MISMATCH',
};

/** The flags of `verify-bundle` for a case, as the CLI passes them (see verifyBundleFileOptions). */
interface CommandFlags {
  readonly bundle: string;
  readonly artifact: string;
  readonly certificateIdentity?: string;
  readonly certificateIdentityRegexp?: string;
  readonly certificateOidcIssuer?: string;
  readonly key?: string;
  readonly trustedRoot?: string;
  readonly staging?: boolean;
}

function commandOptions(testCase: ConformanceCase, mode: 'PATH' | 'DIGEST'): CommandFlags {
  return {
    bundle: join(ASSETS, testCase.case, 'bundle.sigstore.json'),
    artifact: mode === 'PATH' ? join(CONFORMANCE, testCase.artifact) : testCase.digest_arg,
    ...(testCase.key === undefined ? { certificateIdentity: testCase.identity ?? '', certificateOidcIssuer: testCase.issuer ?? '' } : { key: join(CONFORMANCE, testCase.key) }),
    trustedRoot: testCase.trusted_root === null ? PRODUCTION_ROOT : join(CONFORMANCE, testCase.trusted_root),
  };
}

function verifyBundleCommand(flags: CommandFlags): ReturnType<typeof verifyBundleFile> {
  return verifyBundleFile({
    bundlePath: flags.bundle,
    artifact: flags.artifact,
    identity: {
      ...(flags.certificateIdentity === undefined ? {} : { certificateIdentity: flags.certificateIdentity }),
      ...(flags.certificateIdentityRegexp === undefined ? {} : { certificateIdentityRegExp: flags.certificateIdentityRegexp }),
      ...(flags.certificateOidcIssuer === undefined ? {} : { certificateOidcIssuer: flags.certificateOidcIssuer }),
    },
    ...(flags.key === undefined ? {} : { publicKeyPath: flags.key }),
    trustRoot: { ...(flags.trustedRoot === undefined ? {} : { trustedRoot: flags.trustedRoot }), ...(flags.staging === undefined ? {} : { staging: flags.staging }) },
  });
}

describe('sigstore-conformance index', () => {
  it('has the 70 cases of the snapshot (21 to pass, 49 to fail), each with an expected code when failing', () => {
    expect(CASES).toHaveLength(70);
    expect(CASES.filter((testCase) => testCase.expected_success)).toHaveLength(21);
    expect(CASES.filter((testCase) => !testCase.expected_success).map((testCase) => testCase.case).sort()).toEqual(Object.keys(EXPECTED_CODES).sort());
  });
});

describe.each(['PATH', 'DIGEST'] as const)('sigstore-conformance, %s mode', (mode) => {
  it.each(CASES.map((testCase) => [testCase.case, testCase] as const))('%s', async (_name, testCase) => {
    const run = verifyBundleCommand(commandOptions(testCase, mode));
    if (testCase.expected_success) {
      const result = await run;
      if (testCase.mode === 'key') {
        expect(result.signer.kind).toBe('key');
      } else {
        expect(result.signer).toMatchObject({ kind: 'certificate', identity: { subjectAlternativeName: testCase.identity, issuer: testCase.issuer } });
      }
      expect(result.artifact?.digest).toBe(testCase.digest_arg.slice('sha256:'.length));
    } else {
      const error: unknown = await run.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(AiprovError);
      expect(error).toMatchObject({ code: EXPECTED_CODES[testCase.case] });
      expect((error as AiprovError).category).not.toBe('internal');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Attacks on valid bundles

const A_TXT = readFileSync(join(ASSETS, 'a.txt'));
const A_TXT_SHA256 = createHash('sha256').update(A_TXT).digest('hex');
const BEACON = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const PRODUCTION = toVerifierTrustMaterial(parseTrustRoot(readFileSync(PRODUCTION_ROOT), 'production'));

type Json = Record<string, unknown>;
/** A fresh, mutable copy of a conformance bundle. */
function bundleOf(name: string): Json {
  return JSON.parse(readFileSync(join(ASSETS, name, 'bundle.sigstore.json'), 'utf8')) as Json;
}
function caseRoot(name: string): VerifySigstoreBundleOptions['trustMaterial'] {
  return toVerifierTrustMaterial(parseTrustRoot(readFileSync(join(ASSETS, name, 'trusted_root.json')), name));
}
function tlogEntries(bundle: Json): Json[] {
  return (bundle.verificationMaterial as { tlogEntries: Json[] }).tlogEntries;
}
function firstEntry(bundle: Json): Json {
  const entry = tlogEntries(bundle)[0];
  if (entry === undefined) throw new Error('bundle has no tlog entry');
  return entry;
}
function flipBase64(value: unknown, at = 10): string {
  const bytes = Buffer.from(String(value), 'base64');
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}
function omit<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  return Object.fromEntries(Object.entries(value).filter(([name]) => name !== key)) as Omit<T, K>;
}
function expectCode(run: () => unknown, code: string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(AiprovError);
  expect(caught).toMatchObject({ code });
}

const keyless = (bundleJson: unknown, overrides: Partial<VerifySigstoreBundleOptions> = {}): ReturnType<typeof verifySigstoreBundle> =>
  verifySigstoreBundle({ bundleJson, artifact: A_TXT, trustMaterial: PRODUCTION, identity: { certificateIdentity: BEACON, certificateOidcIssuer: GITHUB_ISSUER }, ...overrides });

describe('identity attacks', () => {
  it('accepts the real signer (control)', () => {
    expect(keyless(bundleOf('happy-path-v0.3')).signer.kind).toBe('certificate');
  });

  it('refuses another identity with IDENTITY_MISMATCH, naming expected and found', () => {
    const error = (() => {
      try {
        keyless(bundleOf('happy-path-v0.3'), { identity: { certificateIdentity: 'https://github.com/evil/repo/.github/workflows/release.yml@refs/heads/main', certificateOidcIssuer: GITHUB_ISSUER } });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toMatchObject({ code: 'IDENTITY_MISMATCH', category: 'policy' });
    expect((error as Error).message).toContain('https://github.com/evil/repo/');
    expect((error as Error).message).toContain(BEACON);
  });

  it('does not accept an identity that only matches as an unanchored substring (which @sigstore/verify would)', () => {
    const prefix = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon';
    // @sigstore/verify's own policy treats the SAN as an unanchored regex: this passes there.
    const bundle = bundleFromJSON(bundleOf('happy-path-v0.3'));
    expect(() => new Verifier(PRODUCTION).verify(toSignedEntity(bundle, A_TXT), { subjectAlternativeName: prefix })).not.toThrow();
    // aiprov: exact means exact, and a regexp is anchored at both ends.
    expectCode(() => keyless(bundleOf('happy-path-v0.3'), { identity: { certificateIdentity: prefix, certificateOidcIssuer: GITHUB_ISSUER } }), 'IDENTITY_MISMATCH');
    expectCode(() => keyless(bundleOf('happy-path-v0.3'), { identity: { certificateIdentityRegExp: prefix, certificateOidcIssuer: GITHUB_ISSUER } }), 'IDENTITY_MISMATCH');
    expectCode(() => keyless(bundleOf('happy-path-v0.3'), { identity: { certificateIdentityRegExp: 'extremely-dangerous', certificateOidcIssuer: GITHUB_ISSUER } }), 'IDENTITY_MISMATCH');
    expect(keyless(bundleOf('happy-path-v0.3'), { identity: { certificateIdentityRegExp: `${prefix.replaceAll('.', '\\.')}/.*`, certificateOidcIssuer: GITHUB_ISSUER } }).signer.kind).toBe('certificate');
  });

  it('refuses a regexp that tries to close the anchoring group (POLICY_INVALID)', () => {
    expectCode(() => keyless(bundleOf('happy-path-v0.3'), { identity: { certificateIdentityRegExp: 'x)|(.*', certificateOidcIssuer: GITHUB_ISSUER } }), 'POLICY_INVALID');
  });

  it('refuses another issuer with ISSUER_MISMATCH, exact or by anchored regexp', () => {
    expectCode(() => keyless(bundleOf('happy-path-v0.3'), { identity: { certificateIdentity: BEACON, certificateOidcIssuer: 'https://accounts.google.com' } }), 'ISSUER_MISMATCH');
    expectCode(() => keyless(bundleOf('happy-path-v0.3'), { identity: { certificateIdentity: BEACON, certificateOidcIssuerRegExp: 'https://token\\.actions' } }), 'ISSUER_MISMATCH');
    expect(keyless(bundleOf('happy-path-v0.3'), { identity: { certificateIdentity: BEACON, certificateOidcIssuerRegExp: 'https://token\\.actions\\.githubusercontent\\.com' } }).signer.kind).toBe('certificate');
  });

  it('checks the CI claims of the certificate (source repository, ref, digest, workflow, runner)', () => {
    const claims = {
      sourceRepositoryUri: 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon',
      sourceRepositoryRef: 'refs/heads/main',
      sourceRepositoryDigest: 'c7b3dfb335f051e1c86bda4c716fac97df62ad81',
      buildSignerUri: BEACON,
      runnerEnvironment: 'github-hosted',
    } as const;
    expect(keyless(bundleOf('happy-path-v0.3'), { identity: { certificateIdentity: BEACON, certificateOidcIssuer: GITHUB_ISSUER, extensions: claims } }).signer.kind).toBe('certificate');
    for (const [name, wrong] of [
      ['sourceRepositoryUri', 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon-evil'],
      ['sourceRepositoryRef', 'refs/tags/v1.0.0'],
      ['sourceRepositoryDigest', '0000000000000000000000000000000000000000'],
      ['buildSignerUri', 'https://github.com/evil/.github/workflows/x.yml@refs/heads/main'],
      ['runnerEnvironment', 'self-hosted'],
    ] as const) {
      expectCode(() => keyless(bundleOf('happy-path-v0.3'), { identity: { certificateIdentity: BEACON, certificateOidcIssuer: GITHUB_ISSUER, extensions: { ...claims, [name]: wrong } } }), 'CERTIFICATE_EXTENSION_MISMATCH');
    }
  });

  it('refuses a certificate from another Sigstore instance (staging bundle, production root and back)', () => {
    expectCode(() => keyless(bundleOf('bundle-from-wrong-instance_fail')), 'CERTIFICATE_CHAIN_INVALID');
    expectCode(() => keyless(bundleOf('happy-path-v0.1'), { trustMaterial: toVerifierTrustMaterial(stagingTrustRoot()) }), 'CERTIFICATE_CHAIN_INVALID');
  });

  it('refuses an identity policy for a key-signed bundle, and a key bundle without a key', () => {
    expectCode(() => keyless(bundleOf('managed-key-happy-path')), 'IDENTITY_MISMATCH');
    expectCode(() => keyless(bundleOf('managed-key-happy-path'), { identity: {} }), 'KEY_REQUIRED');
  });
});

describe('transparency log attacks', () => {
  it('refuses a tampered entry body', () => {
    const bundle = bundleOf('happy-path-v0.3');
    const entry = firstEntry(bundle);
    const body = JSON.parse(Buffer.from(String(entry.canonicalizedBody), 'base64').toString('utf8')) as { spec: { data: { hash: { value: string } } } };
    body.spec.data.hash.value = 'b'.repeat(64);
    entry.canonicalizedBody = Buffer.from(JSON.stringify(body)).toString('base64');
    expectCode(() => keyless(bundle), 'TLOG_INVALID');
  });

  it('refuses a tampered signed entry timestamp, log index or integrated time', () => {
    for (const mutate of [
      (entry: Json) => {
        entry.inclusionPromise = { signedEntryTimestamp: flipBase64((entry.inclusionPromise as Json).signedEntryTimestamp) };
      },
      (entry: Json) => {
        entry.logIndex = String(Number(entry.logIndex) + 1);
      },
      (entry: Json) => {
        entry.integratedTime = String(Number(entry.integratedTime) + 60);
      },
    ]) {
      const bundle = bundleOf('happy-path-v0.1');
      mutate(firstEntry(bundle));
      expectCode(() => keyless(bundle), 'TLOG_INVALID');
    }
  });

  it('refuses a tampered inclusion proof (path hash, root hash) or checkpoint', () => {
    const mutations: ((proof: { hashes: string[]; rootHash: string; checkpoint: { envelope: string } }) => void)[] = [
      (proof) => {
        proof.hashes[0] = flipBase64(proof.hashes[0], 0);
      },
      (proof) => {
        proof.rootHash = flipBase64(proof.rootHash, 0);
      },
      (proof) => {
        // Another tree size in the signed note: the checkpoint signature no longer covers it.
        const lines = proof.checkpoint.envelope.split('\n');
        lines[1] = String(Number(lines[1]) + 1);
        proof.checkpoint.envelope = lines.join('\n');
      },
      (proof) => {
        const lines = proof.checkpoint.envelope.split('\n');
        lines[2] = flipBase64(lines[2], 0);
        proof.checkpoint.envelope = lines.join('\n');
      },
    ];
    for (const mutate of mutations) {
      // Rekor v2: the inclusion proof is the only tlog evidence (no SET to fall back on).
      const bundle = bundleOf('rekor2-happy-path');
      mutate(firstEntry(bundle).inclusionProof as Parameters<(typeof mutations)[number]>[0]);
      expectCode(() => keyless(bundle, { trustMaterial: caseRoot('rekor2-happy-path') }), 'TLOG_INVALID');
    }
    expect(keyless(bundleOf('rekor2-happy-path'), { trustMaterial: caseRoot('rekor2-happy-path') }).tlogEntries).toHaveLength(1);
  });

  it('counts a duplicated entry once: threshold 2 with one entry twice fails (TLOG_DUPLICATE_ENTRY)', () => {
    const bundle = bundleOf('happy-path-v0.3');
    tlogEntries(bundle).push(structuredClone(firstEntry(bundle)));
    expectCode(() => keyless(bundle, { thresholds: { tlog: 2 } }), 'TLOG_DUPLICATE_ENTRY');
    expectCode(() => keyless(bundle), 'TLOG_DUPLICATE_ENTRY');
  });

  it('counts a duplicated entry once even with another log index (an inclusion proof does not cover it)', () => {
    const bundle = bundleOf('rekor2-happy-path');
    const copy = structuredClone(firstEntry(bundle));
    copy.logIndex = String(Number(copy.logIndex) + 1);
    tlogEntries(bundle).push(copy);
    expectCode(() => keyless(bundle, { trustMaterial: caseRoot('rekor2-happy-path'), thresholds: { tlog: 2 } }), 'TLOG_DUPLICATE_ENTRY');
  });

  it('refuses a bundle below the tlog threshold (counted in distinct logs)', () => {
    expectCode(() => keyless(bundleOf('happy-path-v0.3'), { thresholds: { tlog: 2 } }), 'TLOG_THRESHOLD_NOT_MET');
    const bundle = bundleOf('rekor2-happy-path');
    (bundle.verificationMaterial as Json).tlogEntries = [];
    expectCode(() => keyless(bundle, { trustMaterial: caseRoot('rekor2-happy-path') }), 'TLOG_THRESHOLD_NOT_MET');
  });

  it('accepts two RFC 3161 timestamps from one authority, and counts them once', () => {
    const bundle = bundleOf('rekor2-happy-path');
    const data = (bundle.verificationMaterial as { timestampVerificationData: { rfc3161Timestamps: unknown[] } }).timestampVerificationData;
    data.rfc3161Timestamps.push(structuredClone(data.rfc3161Timestamps[0]));
    expect(keyless(bundle, { trustMaterial: caseRoot('rekor2-happy-path') }).tlogEntries).toHaveLength(1);
    expectCode(() => keyless(bundle, { trustMaterial: caseRoot('rekor2-happy-path'), thresholds: { timestamp: 2 } }), 'TIMESTAMP_MISSING');
  });

  it('refuses more than 64 RFC 3161 timestamps as a malformed bundle (BUNDLE_INVALID)', () => {
    const bundle = bundleOf('rekor2-happy-path');
    const data = rfc3161Timestamps(bundle);
    const token = tokenOf('rekor2-happy-path');
    data.push(...Array.from({ length: 64 }, () => structuredClone(token)));
    expect(data).toHaveLength(65);
    expectCode(() => keyless(bundle, { trustMaterial: caseRoot('rekor2-happy-path') }), 'BUNDLE_INVALID');
  });

  it('accepts a checkpoint whose origin line carries the log\'s tree id after " - " (as Rekor v1 writes it)', () => {
    const bundle = bundleOf('happy-path-v0.3');
    expect((firstEntry(bundle).inclusionProof as { checkpoint: { envelope: string } }).checkpoint.envelope.split('\n')[0]).toMatch(/^rekor\.sigstore\.dev - [0-9]+$/);
    expect(keyless(bundle).tlogEntries).toHaveLength(1);
  });

  it('refuses a timestamp from the verifier\'s future', () => {
    expectCode(() => keyless(bundleOf('happy-path-v0.3'), { now: new Date('2024-01-01T00:00:00Z') }), 'TIMESTAMP_INVALID');
  });
});

/** The RFC 3161 tokens of a bundle, to add to. */
function rfc3161Timestamps(bundle: Json): Json[] {
  return (bundle.verificationMaterial as { timestampVerificationData: { rfc3161Timestamps: Json[] } }).timestampVerificationData.rfc3161Timestamps;
}
function tokenOf(name: string): Json {
  const [token] = rfc3161Timestamps(bundleOf(name));
  if (token === undefined) throw new Error(`${name} has no RFC 3161 timestamp`);
  return token;
}

describe('RFC 3161 timestamps that do not verify, beside ones that do', () => {
  // rekor2-happy-path: one token of the staging TSA, 2025-06-12T12:02:20Z, inside its leaf's
  // validity (12:02:16 to 12:12:16). From the same TSA (same signing certificate):
  // rekor2-timestamp-payload-mismatch_fail's token, 2025-07-15T10:12:52Z, over another signature
  // (it does not verify), and rekor2-timestamp-with-incorrect-time_fail's, 2025-07-15T10:33:31Z,
  // over this bundle's signature (it verifies, at a time the leaf had expired).
  const root = (): VerifySigstoreBundleOptions['trustMaterial'] => caseRoot('rekor2-happy-path');
  const withTokens = (...tokens: Json[]): Json => {
    const bundle = bundleOf('rekor2-happy-path');
    const data = rfc3161Timestamps(bundle);
    data.splice(0, data.length, ...tokens);
    return bundle;
  };
  const good = (): Json => tokenOf('rekor2-happy-path');
  const otherSignature = (): Json => tokenOf('rekor2-timestamp-payload-mismatch_fail');
  const afterLeafExpiry = (): Json => tokenOf('rekor2-timestamp-with-incorrect-time_fail');

  it('does not refuse a bundle whose second token from the same TSA covers another signature, outside the leaf\'s validity, when the first verifies (as sigstore-go and sigstore-python)', () => {
    for (const bundle of [withTokens(good(), otherSignature()), withTokens(otherSignature(), good())]) {
      const result = keyless(bundle, { trustMaterial: root() });
      expect(result.timestamps).toEqual([{ kind: 'timestamp-authority', time: '2025-06-12T12:02:20.000Z' }]);
      expect(result.signer.kind).toBe('certificate');
    }
  });

  it('still refuses when the tokens that verify do not meet the threshold: one TSA counts once (TIMESTAMP_MISSING)', () => {
    expectCode(() => keyless(withTokens(good(), otherSignature()), { trustMaterial: root(), thresholds: { timestamp: 2 } }), 'TIMESTAMP_MISSING');
    expectCode(() => keyless(withTokens(good(), good(), otherSignature()), { trustMaterial: root(), thresholds: { timestamp: 2 } }), 'TIMESTAMP_MISSING');
  });

  it('still refuses a bundle whose only tokens do not verify, one or repeated (TIMESTAMP_INVALID)', () => {
    expectCode(() => keyless(withTokens(otherSignature()), { trustMaterial: root() }), 'TIMESTAMP_INVALID');
    expectCode(() => keyless(withTokens(otherSignature(), otherSignature()), { trustMaterial: root() }), 'TIMESTAMP_INVALID');
    // With the threshold at 0 no token is set aside either: a bundle is never verified at "now" because its timestamps failed.
    expectCode(() => keyless(withTokens(otherSignature()), { trustMaterial: root(), thresholds: { timestamp: 0 } }), 'TIMESTAMP_INVALID');
  });

  it('still refuses a token that verifies at a time the signing certificate was not valid, beside a good one (CERTIFICATE_CHAIN_INVALID)', () => {
    expectCode(() => keyless(withTokens(good(), afterLeafExpiry()), { trustMaterial: root() }), 'CERTIFICATE_CHAIN_INVALID');
    expectCode(() => keyless(withTokens(afterLeafExpiry(), good()), { trustMaterial: root() }), 'CERTIFICATE_CHAIN_INVALID');
  });

  it('sets aside a token from an untrusted TSA when the signed entry timestamp meets the threshold, and refuses it when one more is required', () => {
    const bundle = bundleOf('happy-path-v0.3');
    (bundle.verificationMaterial as Json).timestampVerificationData = { rfc3161Timestamps: [good()] };
    expect(keyless(bundle).timestamps.map((timestamp) => timestamp.kind)).toEqual(['transparency-log']);
    expectCode(() => keyless(bundle, { thresholds: { timestamp: 2 } }), 'TIMESTAMP_INVALID');
  });
});

describe('bundle and artifact attacks', () => {
  it('never takes a trust anchor from the bundle: a staging bundle carrying the staging root still fails', () => {
    // Certificates after the leaf are not used for trust at all (only the trusted root's are), so
    // a bundle that brings its own root gains nothing. sigstore-js's v0.1 bundles carry the full
    // chain, root included, and must verify, so a bundled root is ignored rather than refused.
    const bundle = bundleOf('bundle-from-wrong-instance_fail');
    const staging = JSON.parse(readFileSync(join(TESTDATA, 'sigstore-trust-roots', 'staging_trusted_root.json'), 'utf8')) as { certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[] };
    const chain = staging.certificateAuthorities.flatMap((ca) => ca.certChain.certificates);
    (bundle.verificationMaterial as { x509CertificateChain: { certificates: unknown[] } }).x509CertificateChain.certificates.push(...chain);
    expectCode(() => keyless(bundle), 'CERTIFICATE_CHAIN_INVALID');
  });

  it('refuses a DSSE bundle for an artifact that is not a subject of its statement (SUBJECT_MISMATCH)', () => {
    const bundle = bundleOf('happy-path-intoto-in-dsse-v3');
    expect(keyless(bundle).artifact).toMatchObject({ matchedBy: 'statement-subject', digest: A_TXT_SHA256 });
    expectCode(() => keyless(bundle, { artifact: Buffer.from('not the artifact') }), 'SUBJECT_MISMATCH');
    expectCode(() => keyless(bundle, { artifact: { sha256: 'f'.repeat(64) } }), 'SUBJECT_MISMATCH');
    // Without an artifact, the bundle is verified and its payload returned for the caller to match.
    const { dsse, artifact } = verifySigstoreBundle({ bundleJson: bundle, trustMaterial: PRODUCTION, identity: { certificateIdentity: BEACON, certificateOidcIssuer: GITHUB_ISSUER } });
    expect(artifact).toBeUndefined();
    expect(dsse?.payloadType).toBe('application/vnd.in-toto+json');
  });

  it('refuses a message signature over another artifact, and needs one', () => {
    expectCode(() => keyless(bundleOf('happy-path-v0.3'), { artifact: Buffer.from('other') }), 'DIGEST_MISMATCH');
    expectCode(() => keyless(bundleOf('happy-path-v0.3'), { artifact: { sha256: 'a'.repeat(64) } }), 'DIGEST_MISMATCH');
    expectCode(() => verifySigstoreBundle({ bundleJson: bundleOf('happy-path-v0.3'), trustMaterial: PRODUCTION }), 'ARTIFACT_REQUIRED');
  });

  it('refuses oversized, non-JSON and off-schema bundles as input errors', () => {
    expectCode(() => keyless(Buffer.alloc(64 * 1024 * 1024 + 1, 0x20)), 'BUNDLE_TOO_LARGE');
    expectCode(() => keyless(readFileSync(join(ASSETS, 'happy-path-v0.3', 'bundle.sigstore.json')).subarray(0, 200)), 'BUNDLE_NOT_JSON');
    expectCode(() => keyless({ ...bundleOf('happy-path-v0.3'), extra: true }), 'BUNDLE_INVALID');
    // An unknown key is named in the message, but never with its control characters.
    expect(() => keyless({ ...bundleOf('happy-path-v0.3'), '\u001b[2Jevil': true })).toThrow(expect.objectContaining({ code: 'BUNDLE_INVALID', message: expect.not.stringContaining('\u001b') as unknown }) as Error);
    expectCode(() => keyless({ ...bundleOf('happy-path-v0.3'), mediaType: 'application/vnd.dev.sigstore.bundle.v1.0+json' }), 'BUNDLE_UNSUPPORTED_VERSION');
    // Bytes and text are parsed too; a well-formed bundle passes either way.
    expect(keyless(readFileSync(join(ASSETS, 'happy-path-v0.3', 'bundle.sigstore.json'), 'utf8')).signer.kind).toBe('certificate');
  });

  it('verifies a key-signed bundle only with its key', () => {
    const bundle = bundleOf('managed-key-happy-path');
    const key = readFileSync(join(ASSETS, 'managed-key-happy-path', 'key.pub'), 'utf8');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    expect(verifySigstoreBundle({ bundleJson: bundle, artifact: A_TXT, trustMaterial: PRODUCTION, publicKey: key }).signer).toMatchObject({ kind: 'key' });
    expect(verifySigstoreBundle({ bundleJson: bundle, artifact: { sha256: A_TXT_SHA256 }, trustMaterial: PRODUCTION, publicKey: key }).signer).toMatchObject({ kind: 'key' });
    expectCode(() => verifySigstoreBundle({ bundleJson: bundle, artifact: A_TXT, trustMaterial: PRODUCTION, publicKey: other }), 'SIGNATURE_INVALID');
    expectCode(() => verifySigstoreBundle({ bundleJson: bundle, artifact: { sha256: A_TXT_SHA256 }, trustMaterial: PRODUCTION, publicKey: other }), 'SIGNATURE_INVALID');
  });

  it('verifies a certificate bundle with a pinned key only if the certificate holds that key', () => {
    const bundle = bundleOf('happy-path-v0.3');
    const leaf = X509Certificate.parse(Buffer.from((bundle.verificationMaterial as { certificate: { rawBytes: string } }).certificate.rawBytes, 'base64'));
    const key = createPublicKey({ key: leaf.publicKey, format: 'der', type: 'spki' });
    expect(verifySigstoreBundle({ bundleJson: bundle, artifact: A_TXT, trustMaterial: PRODUCTION, publicKey: key }).signer).toMatchObject({ kind: 'key' });
    expectCode(() => verifySigstoreBundle({ bundleJson: bundle, artifact: A_TXT, trustMaterial: PRODUCTION, publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey }), 'PUBLIC_KEY_MISMATCH');
  });
});

describe('verifyBundleFile', () => {
  const happy = CASES.find((testCase) => testCase.case === 'happy-path-v0.1');
  if (happy === undefined) throw new Error('missing happy-path-v0.1');

  it('uses the public-good root embedded in @sigstore/tuf when no root is given', async () => {
    const result = await verifyBundleCommand(omit(commandOptions(happy, 'PATH'), 'trustedRoot'));
    expect(result.trustRoot.source).toMatch(/^public-good/);
    expect(result.signer).toMatchObject({ kind: 'certificate', identity: { subjectAlternativeName: BEACON } });
  });

  it('verifies a staging bundle with --staging, and not a production one', async () => {
    const staging = { ...omit(commandOptions(happy, 'DIGEST'), 'trustedRoot'), staging: true };
    expect((await verifyBundleCommand({ ...staging, bundle: join(ASSETS, 'bundle-from-wrong-instance_fail', 'bundle.sigstore.json') })).trustRoot.source).toMatch(/^staging/);
    await expect(verifyBundleCommand(staging)).rejects.toMatchObject({ code: 'CERTIFICATE_CHAIN_INVALID' });
  });

  it('refuses unusable flags as usage errors', async () => {
    const base = commandOptions(happy, 'DIGEST');
    await expect(verifyBundleCommand({ ...base, key: join(ASSETS, 'managed-key-happy-path', 'key.pub') })).rejects.toMatchObject({ code: 'USAGE', category: 'input' });
    await expect(verifyBundleCommand(omit(base, 'certificateOidcIssuer'))).rejects.toMatchObject({ code: 'IDENTITY_REQUIRED', category: 'input' });
    await expect(verifyBundleCommand(omit(base, 'certificateIdentity'))).rejects.toMatchObject({ code: 'IDENTITY_REQUIRED', category: 'input' });
    await expect(verifyBundleCommand({ ...base, staging: true })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(verifyBundleCommand({ ...base, artifact: 'sha256:abc' })).rejects.toMatchObject({ code: 'DIGEST_INVALID' });
    await expect(verifyBundleCommand({ ...base, certificateIdentityRegexp: '(' })).rejects.toMatchObject({ code: 'POLICY_INVALID' });
  });

  it('reports missing files as I/O errors and a directory artifact as input', async () => {
    const base = commandOptions(happy, 'PATH');
    await expect(verifyBundleCommand({ ...base, bundle: join(ASSETS, 'no-such-bundle.json') })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', category: 'io' });
    await expect(verifyBundleCommand({ ...base, artifact: join(ASSETS, 'no-such-file') })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await expect(verifyBundleCommand({ ...base, artifact: ASSETS })).rejects.toMatchObject({ code: 'ARTIFACT_NOT_FILE' });
  });

  it('refuses a trusted root whose log key has a validity period without start', async () => {
    const directory = await temporaryDirectory();
    const root = JSON.parse(readFileSync(PRODUCTION_ROOT, 'utf8')) as { tlogs: { publicKey: { validFor: Json } }[] };
    const tlog = root.tlogs[0];
    if (tlog === undefined) throw new Error('production root has no tlog');
    tlog.publicKey.validFor = {};
    await writeFile(join(directory, 'root.json'), JSON.stringify(root));
    await expect(verifyBundleCommand({ ...commandOptions(happy, 'PATH'), trustedRoot: join(directory, 'root.json') })).rejects.toMatchObject({ code: 'TRUST_ROOT_INVALID' });
  });
});

// ---------------------------------------------------------------------------------------------
// model_signing's Sigstore bundles, at the bundle level (the artifact level is verify-artifact's)

interface ModelSigningCase {
  readonly case: string;
  readonly signature: string;
  readonly method: string;
  readonly identity?: string;
  readonly issuer?: string;
}

const MODEL_SIGNING_SIGSTORE = readFileSync(join(MODEL_SIGNING, 'index.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as ModelSigningCase)
  .filter((testCase) => testCase.method === 'sigstore');

describe('model_signing Sigstore bundles (DSSE, production root)', () => {
  it('covers v0.3.1 to v1.1.0', () => {
    expect(MODEL_SIGNING_SIGSTORE.map((testCase) => testCase.case)).toEqual(['v0.3.1-sigstore', 'v1.0.0-sigstore', 'v1.0.1-sigstore', 'v1.1.0-sigstore']);
  });

  it.each(MODEL_SIGNING_SIGSTORE.map((testCase) => [testCase.case, testCase] as const))('%s verifies with its identity and no other', (_name, testCase) => {
    const bundleJson = readFileSync(join(MODEL_SIGNING, testCase.signature));
    const identity = { certificateIdentity: testCase.identity ?? '', certificateOidcIssuer: testCase.issuer ?? '' };
    const result = verifySigstoreBundle({ bundleJson, trustMaterial: PRODUCTION, identity });
    expect(result.content).toBe('dsse');
    expect(result.signer).toMatchObject({ kind: 'certificate', identity: { subjectAlternativeName: 'stefanb@us.ibm.com', issuer: 'https://sigstore.verify.ibm.com/oauth2' } });
    const statement = JSON.parse(result.dsse?.payload.toString('utf8') ?? '{}') as { subject: { digest: { sha256: string } }[] };
    const root = statement.subject[0]?.digest.sha256 ?? '';
    expect(verifySigstoreBundle({ bundleJson, trustMaterial: PRODUCTION, identity, artifact: { sha256: root } }).artifact).toMatchObject({ matchedBy: 'statement-subject', digest: root });

    expectCode(() => verifySigstoreBundle({ bundleJson, trustMaterial: PRODUCTION, identity: { ...identity, certificateIdentity: 'someone@us.ibm.com' } }), 'IDENTITY_MISMATCH');
    expectCode(() => verifySigstoreBundle({ bundleJson, trustMaterial: PRODUCTION, identity: { ...identity, certificateOidcIssuer: 'https://accounts.google.com' } }), 'ISSUER_MISMATCH');
    expectCode(() => verifySigstoreBundle({ bundleJson, trustMaterial: PRODUCTION, identity: { ...identity, certificateIdentityRegExp: 'stefanb', certificateIdentity: undefined } as never }), 'IDENTITY_MISMATCH');
    expectCode(() => verifySigstoreBundle({ bundleJson, trustMaterial: PRODUCTION, identity, artifact: { sha256: 'e'.repeat(64) } }), 'SUBJECT_MISMATCH');
    // Another instance: v1.1.0's timestamp authority is refused before its certificate is.
    expect(() => verifySigstoreBundle({ bundleJson, trustMaterial: toVerifierTrustMaterial(stagingTrustRoot()), identity })).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(CERTIFICATE_CHAIN_INVALID|TIMESTAMP_INVALID)$/) as unknown }) as Error);
  });
});

// ---------------------------------------------------------------------------------------------
// Digest-only signature verification (DIGEST mode of message signatures)

describe('signatures checked against a digest', () => {
  const curves = [
    ['P-256', 'sha256'],
    ['P-256', 'sha512'],
    ['P-384', 'sha384'],
    ['P-384', 'sha256'],
    ['P-521', 'sha512'],
    ['P-521', 'sha256'],
  ] as const;

  it.each(curves)('ECDSA %s over %s agrees with Node on valid and altered signatures', (curve, hash) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    for (let round = 0; round < 8; round++) {
      const message = Buffer.from(`message ${String(round)} ${curve}`);
      const digest = createHash(hash).update(message).digest();
      const signature = sign(hash, message, privateKey);
      expect(verifyEcdsaDigest(publicKey, digest, signature)).toBe(true);
      const alteredDigest = Buffer.from(digest);
      alteredDigest[round] = (alteredDigest[round] ?? 0) ^ 0x80;
      expect(verifyEcdsaDigest(publicKey, alteredDigest, signature)).toBe(false);
      const alteredSignature = Buffer.from(signature);
      alteredSignature[signature.length - 1 - round] = (alteredSignature[signature.length - 1 - round] ?? 0) ^ 0x01;
      expect(verifyEcdsaDigest(publicKey, digest, alteredSignature)).toBe(false);
    }
    const otherKey = generateKeyPairSync('ec', { namedCurve: curve }).publicKey;
    const message = Buffer.from('another key');
    expect(verifyEcdsaDigest(otherKey, createHash(hash).update(message).digest(), sign(hash, message, privateKey))).toBe(false);
  });

  it('refuses out-of-range and non-canonical ECDSA signatures', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const message = Buffer.from('range');
    const digest = createHash('sha256').update(message).digest();
    const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
    const der = (r: Buffer, s: Buffer): Buffer => {
      const int = (value: Buffer): Buffer => Buffer.concat([Buffer.from([0x02, value.length]), value]);
      const body = Buffer.concat([int(r), int(s)]);
      return Buffer.concat([Buffer.from([0x30, body.length]), body]);
    };
    expect(verifyEcdsaDigest(publicKey, digest, der(Buffer.from([0]), Buffer.from([1])))).toBe(false);
    expect(verifyEcdsaDigest(publicKey, digest, der(Buffer.concat([Buffer.from([0]), n]), Buffer.from([1])))).toBe(false);
    expect(verifyEcdsaDigest(publicKey, digest, Buffer.alloc(0))).toBe(false);
    // The same (r, s) with a redundant leading zero is not DER.
    const signature = sign('sha256', message, privateKey);
    const [rLength] = [signature[3] ?? 0];
    const r = signature.subarray(4, 4 + rLength);
    const s = signature.subarray(6 + rLength);
    expect(verifyEcdsaDigest(publicKey, digest, der(r, s))).toBe(true);
    expect(verifyEcdsaDigest(publicKey, digest, der(Buffer.concat([Buffer.from([0, 0]), r.subarray(r[0] === 0 ? 1 : 0)]), s))).toBe(false);
  });

  /** A key-signed v0.3 message-signature bundle, as a signer without witnesses writes it. */
  function keyBundle(privateKey: KeyObject, artifact: Buffer, hash: string | null): Json {
    return {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: 'test-key' }, tlogEntries: [] },
      messageSignature: {
        messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(artifact).digest('base64') },
        signature: sign(hash, artifact, privateKey).toString('base64'),
      },
    };
  }
  const artifact = Buffer.from('a model file');
  const digest = { sha256: createHash('sha256').update(artifact).digest('hex') };

  it.each(['P-256', 'P-384', 'P-521'] as const)('verifies an ECDSA %s message signature from its bytes and from its digest', (curve) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const bundleJson = keyBundle(privateKey, artifact, 'sha256');
    for (const given of [artifact, digest]) {
      expect(verifySigstoreBundle({ bundleJson, artifact: given, trustMaterial: PRODUCTION, publicKey }).signer.kind).toBe('key');
      expectCode(() => verifySigstoreBundle({ bundleJson, artifact: given, trustMaterial: PRODUCTION, publicKey: generateKeyPairSync('ec', { namedCurve: curve }).publicKey }), 'SIGNATURE_INVALID');
    }
  });

  it('verifies an RSA PKCS#1 v1.5 message signature from its digest, and refuses another key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const bundleJson = keyBundle(privateKey, artifact, 'sha256');
    expect(verifySigstoreBundle({ bundleJson, artifact: digest, trustMaterial: PRODUCTION, publicKey }).signer.kind).toBe('key');
    expect(verifySigstoreBundle({ bundleJson, artifact, trustMaterial: PRODUCTION, publicKey }).signer.kind).toBe('key');
    expectCode(() => verifySigstoreBundle({ bundleJson, artifact: digest, trustMaterial: PRODUCTION, publicKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey }), 'SIGNATURE_INVALID');
  });

  it('refuses, never passes, a key type that cannot be checked from a digest (Ed25519)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    expectCode(() => verifySigstoreBundle({ bundleJson: keyBundle(privateKey, artifact, null), artifact: digest, trustMaterial: PRODUCTION, publicKey }), 'DIGEST_MODE_UNSUPPORTED');
  });

  it('looks a key up by the bundle\'s hint when keys are given by hint', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const bundleJson = keyBundle(privateKey, artifact, 'sha256');
    expect(verifySigstoreBundle({ bundleJson, artifact, trustMaterial: PRODUCTION, publicKeys: { 'test-key': publicKey } }).signer).toMatchObject({ kind: 'key', keyHint: 'test-key' });
    expectCode(() => verifySigstoreBundle({ bundleJson, artifact, trustMaterial: PRODUCTION, publicKeys: { 'other-key': publicKey } }), 'PUBLIC_KEY_NOT_FOUND');
    expectCode(() => verifySigstoreBundle({ bundleJson, artifact, trustMaterial: PRODUCTION, publicKeys: {} }), 'PUBLIC_KEY_NOT_FOUND');
  });
});
