import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IOError } from '../../src/errors.js';
import { generateKeyPair, publicKeyPem } from '../../src/format/keys.js';
import { EXAMPLE_POLICY } from '../../src/policy/example.js';
import { checkPolicyFile, identityPolicyOf, licenseAllowed, loadPolicy, resolvePolicy, tryResolvePolicy, type PolicyLoaders } from '../../src/policy/resolve.js';
import { parsePolicy } from '../../src/policy/schema.js';
import { loadTrustRoot } from '../../src/verify/trust.js';
import { temporaryDirectory } from '../support/fixtures.js';
import { MODEL_SIGNING_VECTORS, TESTDATA } from '../support/paths.js';

const CERTIFICATES = join(MODEL_SIGNING_VECTORS, 'scripts/tests/keys/certificate');

/** A directory holding the example policy and every file it names. */
async function examplePolicyDirectory(): Promise<{ dir: string; policyPath: string; publicKey: string }> {
  const dir = await temporaryDirectory();
  await mkdir(join(dir, 'keys'));
  await mkdir(join(dir, 'pki'));
  const { publicKeyPem: publicKey } = generateKeyPair('P-256');
  await writeFile(join(dir, 'keys', 'data-team.pub'), publicKey);
  await copyFile(join(CERTIFICATES, 'ca-cert.pem'), join(dir, 'pki', 'root.pem'));
  const policyPath = join(dir, 'policy.yaml');
  await writeFile(policyPath, EXAMPLE_POLICY);
  return { dir, policyPath, publicKey };
}

/** The 1-based line of the example policy holding `text`. */
function lineOf(text: string): number {
  const index = EXAMPLE_POLICY.split('\n').findIndex((line) => line.includes(text));
  expect(index).toBeGreaterThanOrEqual(0);
  return index + 1;
}

describe('licenseAllowed', () => {
  const allowed = ['Apache-2.0', 'MIT', 'CC-BY-4.0', 'GPL-2.0-only'];
  it.each([
    ['MIT', true],
    ['GPL-3.0-only', false],
    ['MIT OR GPL-3.0-only', true],
    ['GPL-3.0-only OR MIT', true],
    ['MIT AND Apache-2.0', true],
    ['MIT AND GPL-3.0-only', false],
    ['(MIT OR GPL-3.0-only) AND CC-BY-4.0', true],
    ['(MIT OR GPL-3.0-only) AND CC-BY-SA-4.0', false],
    ['MIT AND (GPL-3.0-only OR BSD-3-Clause)', false],
    ['GPL-2.0-only WITH Classpath-exception-2.0', true],
    ['GPL-3.0-only WITH Classpath-exception-2.0', false],
    ['GPL-2.0-only+', true],
    ['mit', false], // not a valid expression: fail closed
    ['MIT AND', false],
    ['', false],
    ['NOASSERTION', false],
    ['NONE', false],
    ['LicenseRef-internal', false],
  ])('%s → %s', (expression, expected) => {
    expect(licenseAllowed(expression, allowed)).toBe(expected);
  });

  it('accepts NOASSERTION, NONE and LicenseRef ids only when listed, and compares ids case-insensitively', () => {
    expect(licenseAllowed('NOASSERTION', ['NOASSERTION'])).toBe(true);
    expect(licenseAllowed('NONE', ['NONE'])).toBe(true);
    expect(licenseAllowed('LicenseRef-internal OR GPL-3.0-only', ['LicenseRef-internal'])).toBe(true);
    expect(licenseAllowed('MIT', ['mit'])).toBe(true);
    expect(licenseAllowed('MIT', [])).toBe(false);
  });
});

describe('resolvePolicy', () => {
  it('loads the keys, CA certificates and trusted roots the example names, relative to the policy file', async () => {
    const { dir, policyPath, publicKey } = await examplePolicyDirectory();
    const resolved = await loadPolicy(policyPath);

    const key = resolved.signers.get('data-team');
    expect(key?.kind).toBe('key');
    if (key?.kind !== 'key') return;
    expect(publicKeyPem(key.publicKey)).toBe(publicKey);
    expect(key.source).toBe(join(dir, 'keys', 'data-team.pub'));

    const ca = resolved.signers.get('corp-pki');
    expect(ca?.kind).toBe('certificate');
    if (ca?.kind !== 'certificate') return;
    expect(ca.trustedCertificates).toHaveLength(1);
    expect(ca.trustedCertificates[0]?.ca).toBe(true);

    expect(resolved.signers.get('release-ci')).toEqual({
      name: 'release-ci',
      kind: 'keyless',
      identity: {
        certificateIdentity: 'https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main',
        certificateOidcIssuer: 'https://token.actions.githubusercontent.com',
        extensions: { sourceRepositoryUri: 'https://github.com/org/repo', sourceRepositoryRef: 'refs/heads/main' },
      },
    });

    expect(resolved.trustRoots.map((root) => root.source)).toEqual([expect.stringMatching(/^public-good/)]);
    expect(resolved.roles).toEqual({
      model: { signers: ['release-ci'], requireAttestations: ['training-provenance'], builderIds: ['https://github.com/org/repo/.github/workflows/train.yml@refs/heads/main'], forbid: [], maxDepth: 0, requireOnDisk: false },
      dataset: { signers: ['data-team', 'corp-pki'], requireAttestations: ['dataset-card'], allowedLicenses: ['Apache-2.0', 'CC-BY-4.0', 'MIT'], forbid: ['sensitive-personal-information'], maxDepth: 0, requireOnDisk: false },
      recipe: { signers: ['release-ci'], requireAttestations: [], forbid: [], maxDepth: 0, requireOnDisk: false },
      'base-model': { signers: ['release-ci'], requireAttestations: ['training-provenance'], forbid: [], maxDepth: 2, requireOnDisk: false },
    });
  });

  it('gives a left-out role no signers, and a base-model role depth 1 by default', async () => {
    const policy = parsePolicy('version: 1\nsigners:\n  ci: {key: k.pub}\nroles:\n  base-model:\n    signers: [ci, ci]\n', 'policy.yaml');
    const loaders: PolicyLoaders = { readText: () => Promise.resolve(generateKeyPair('P-384').publicKeyPem), loadTrustRoot };
    const resolved = await resolvePolicy(policy, '/policies', loaders);
    expect(resolved.roles.model).toEqual({ signers: [], requireAttestations: [], forbid: [], maxDepth: 0, requireOnDisk: false });
    expect(resolved.roles['base-model']).toEqual({ signers: ['ci'], requireAttestations: [], forbid: [], maxDepth: 1, requireOnDisk: false });
  });

  it('loads trusted roots by name or from a file next to the policy, each once', async () => {
    const dir = await temporaryDirectory();
    await mkdir(join(dir, 'local'));
    await copyFile(join(TESTDATA, 'sigstore-trust-roots', 'staging_trusted_root.json'), join(dir, 'local', 'trusted_root.json'));
    const policy = parsePolicy('version: 1\ntrust:\n  sigstore: [staging, public-good, ./local/trusted_root.json]\nsigners:\n  ci:\n    keyless: {identity: a@example.com, issuer: https://accounts.example.com}\nroles:\n  model: {signers: [ci]}\n', 'policy.yaml');
    const resolved = await resolvePolicy(policy, dir);
    // The file is byte-identical to the embedded staging root: it counts once.
    expect(resolved.trustRoots.map((root) => root.source)).toEqual([expect.stringMatching(/^staging/), expect.stringMatching(/^public-good/)]);
  });

  it('names the missing file, and the policy key it came from', async () => {
    const { dir, policyPath } = await examplePolicyDirectory();
    await writeFile(join(dir, 'keys', 'data-team.pub'), 'not a key');
    await writeFile(policyPath, EXAMPLE_POLICY.replace('./pki/root.pem', './pki/missing.pem').replace('sigstore: [public-good]', 'sigstore: [public-good, ./roots/none.json]'));
    const policy = parsePolicy(EXAMPLE_POLICY.replace('./pki/root.pem', './pki/missing.pem'), policyPath);

    // Loads run concurrently; the first failure in file order is thrown, unchanged.
    await expect(resolvePolicy(policy, dir)).rejects.toMatchObject({ code: 'KEY_INVALID', path: join(dir, 'keys', 'data-team.pub') });

    const resolution = await tryResolvePolicy(policy, dir);
    expect(resolution.ok).toBe(false);
    if (resolution.ok) return;
    expect(resolution.failures.map(({ path, error }) => [path.join('.'), error.code])).toEqual([
      ['signers.data-team.key', 'KEY_INVALID'],
      ['signers.corp-pki.certificateAuthority', 'FILE_NOT_FOUND'],
    ]);
    const missing = resolution.failures[1]?.error;
    expect(missing).toBeInstanceOf(IOError);
    expect(missing?.message).toContain(join(dir, 'pki', 'missing.pem'));

    const check = await checkPolicyFile(policyPath);
    expect(check.valid).toBe(false);
    expect(check.problems.map(({ code, path, line }) => ({ code, path, line }))).toEqual([
      { code: 'KEY_INVALID', path: 'signers.data-team.key', line: lineOf('key: ./keys/data-team.pub') },
      { code: 'FILE_NOT_FOUND', path: 'signers.corp-pki.certificateAuthority', line: lineOf('certificateAuthority: ./pki/root.pem') },
      { code: 'FILE_NOT_FOUND', path: 'trust.sigstore[1]', line: lineOf('sigstore: [public-good]') },
    ]);
  });

  it('refuses a CA file without certificates and an unsupported key type', async () => {
    const dir = await temporaryDirectory();
    const policy = parsePolicy('version: 1\nsigners:\n  a: {certificateAuthority: [ca.pem]}\n  b: {key: b.pub}\nroles:\n  dataset: {signers: [a, b]}\n', 'policy.yaml');
    await writeFile(join(dir, 'ca.pem'), await import('node:fs/promises').then(({ readFile }) => readFile(join(CERTIFICATES, 'signing-key-pub.pem'))));
    const { generateKeyPairSync } = await import('node:crypto');
    await writeFile(join(dir, 'b.pub'), generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const resolution = await tryResolvePolicy(policy, dir);
    expect(resolution.ok ? [] : resolution.failures.map(({ error }) => error.code)).toEqual(['CERTIFICATE_INVALID', 'UNSUPPORTED_KEY_TYPE']);
  });

  it('summarises a valid policy for `policy check`', async () => {
    const { policyPath } = await examplePolicyDirectory();
    const check = await checkPolicyFile(policyPath);
    expect(check).toMatchObject({ valid: true, problems: [] });
    expect(check.summary?.signers.map(({ name, kind }) => [name, kind])).toEqual([
      ['release-ci', 'keyless'],
      ['data-team', 'key'],
      ['corp-pki', 'certificate'],
    ]);
    expect(Object.keys(check.summary?.roles ?? {})).toEqual(['model', 'dataset', 'recipe', 'base-model']);
  });
});

describe('identityPolicyOf', () => {
  it('maps regexps and claims onto the identity policy (anchoring is done by identity.ts)', () => {
    expect(identityPolicyOf({ identityRegexp: '^https://github\\.com/org/.*$', issuerRegexp: 'https://(a|b)\\.example', runnerEnvironment: 'github-hosted' })).toEqual({
      certificateIdentityRegExp: '^https://github\\.com/org/.*$',
      certificateOidcIssuerRegExp: 'https://(a|b)\\.example',
      extensions: { runnerEnvironment: 'github-hosted' },
    });
  });
});
