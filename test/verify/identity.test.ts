/**
 * Identity policy: what is read from a Fulcio certificate (SANs, issuer, CI extensions) and how
 * it is matched (exactly, or by an anchored regexp). Certificates come from a real Fulcio bundle
 * (sigstore-conformance) and from @sigstore/mock's CA, which lets a test choose the claims.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from '@sigstore/core';
import { initializeCA, type CA } from '@sigstore/mock/dist/fulcio/index.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { AiprovError } from '../../src/errors.js';
import { checkIdentityPolicy, compileIdentityPolicy, FULCIO_EXTENSION_OIDS, isEmptyPolicy, readCertificateIdentity, type IdentityPolicy } from '../../src/verify/identity.js';
import { TESTDATA } from '../support/paths.js';

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const REPO_WORKFLOW = 'https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.0.0';
const EVIL_WORKFLOW = 'https://github.com/org/repo-evil/.github/workflows/release.yml@refs/tags/v1.0.0';

let ca: CA;
beforeAll(async () => {
  ca = await initializeCA(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
});

interface Claims {
  readonly san: string;
  readonly extensions?: readonly { readonly oid: string; readonly value: string; readonly legacy?: boolean }[];
}

/** A Fulcio-like leaf certificate carrying exactly the given claims. */
async function certificate({ san, extensions = [] }: Claims): Promise<X509Certificate> {
  const publicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
  const der = await ca.issueCertificate({ publicKey: new Uint8Array(publicKey), subjectAltName: san, extensions: [...extensions] });
  return X509Certificate.parse(Buffer.from(der.buffer, der.byteOffset, der.byteLength));
}

/** A GitHub Actions certificate: issuer (both encodings) and the CI claims. */
function githubClaims(san: string, repository: string): Claims {
  return {
    san,
    extensions: [
      { oid: FULCIO_EXTENSION_OIDS.issuerV1, value: GITHUB_ISSUER, legacy: true },
      { oid: FULCIO_EXTENSION_OIDS.issuer, value: GITHUB_ISSUER },
      { oid: FULCIO_EXTENSION_OIDS.buildSignerUri, value: san },
      { oid: FULCIO_EXTENSION_OIDS.runnerEnvironment, value: 'github-hosted' },
      { oid: FULCIO_EXTENSION_OIDS.sourceRepositoryUri, value: repository },
      { oid: FULCIO_EXTENSION_OIDS.sourceRepositoryDigest, value: 'c'.repeat(40) },
      { oid: FULCIO_EXTENSION_OIDS.sourceRepositoryRef, value: 'refs/tags/v1.0.0' },
    ],
  };
}

function failure(run: () => void): AiprovError | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AiprovError);
    return error as AiprovError;
  }
  return undefined;
}

const check = (policy: IdentityPolicy, certificate: X509Certificate): void => {
  checkIdentityPolicy(compileIdentityPolicy(policy), readCertificateIdentity(certificate));
};

describe('reading a certificate', () => {
  it('reads the SAN, the issuer and every CI extension of a real Fulcio certificate', () => {
    const bundle = JSON.parse(readFileSync(join(TESTDATA, 'sigstore-conformance', 'test', 'assets', 'bundle-verify', 'happy-path-v0.3', 'bundle.sigstore.json'), 'utf8')) as { verificationMaterial: { certificate: { rawBytes: string } } };
    const identity = readCertificateIdentity(X509Certificate.parse(Buffer.from(bundle.verificationMaterial.certificate.rawBytes, 'base64')));
    expect(identity.subjectAlternativeName).toBe('https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main');
    expect(identity.issuer).toBe(GITHUB_ISSUER);
    expect(identity.extensions).toMatchObject({
      issuerV1: GITHUB_ISSUER,
      sourceRepositoryUri: 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon',
      sourceRepositoryRef: 'refs/heads/main',
      sourceRepositoryDigest: 'c7b3dfb335f051e1c86bda4c716fac97df62ad81',
      runnerEnvironment: 'github-hosted',
      githubWorkflowRepository: 'sigstore-conformance/extremely-dangerous-public-oidc-beacon',
    });
  });

  it('reads DER (1.8+) and raw (1.1-1.6) extensions, preferring the v2 issuer', async () => {
    const identity = readCertificateIdentity(await certificate(githubClaims(REPO_WORKFLOW, 'https://github.com/org/repo')));
    expect(identity).toMatchObject({ subjectAlternativeName: REPO_WORKFLOW, subjectAlternativeNames: [{ type: 'uri', value: REPO_WORKFLOW }], issuer: GITHUB_ISSUER });
    expect(identity.extensions.sourceRepositoryRef).toBe('refs/tags/v1.0.0');
    const legacyOnly = readCertificateIdentity(await certificate({ san: REPO_WORKFLOW, extensions: [{ oid: FULCIO_EXTENSION_OIDS.issuerV1, value: 'https://legacy.example', legacy: true }] }));
    expect(legacyOnly.issuer).toBe('https://legacy.example');
    expect(readCertificateIdentity(await certificate({ san: REPO_WORKFLOW })).issuer).toBeUndefined();
  });

  it('refuses a repeated extension and a v2 extension that is not a DER UTF8String', async () => {
    const repeated = await certificate({
      san: REPO_WORKFLOW,
      extensions: [
        { oid: FULCIO_EXTENSION_OIDS.sourceRepositoryUri, value: 'https://github.com/org/repo' },
        { oid: FULCIO_EXTENSION_OIDS.sourceRepositoryUri, value: 'https://github.com/org/repo-evil' },
      ],
    });
    expect(failure(() => readCertificateIdentity(repeated))?.code).toBe('CERTIFICATE_INVALID');
    const raw = await certificate({ san: REPO_WORKFLOW, extensions: [{ oid: FULCIO_EXTENSION_OIDS.sourceRepositoryUri, value: 'https://github.com/org/repo', legacy: true }] });
    expect(failure(() => readCertificateIdentity(raw))?.code).toBe('CERTIFICATE_INVALID');
  });
});

describe('matching a policy', () => {
  it('matches the exact identity and issuer', async () => {
    const cert = await certificate(githubClaims(REPO_WORKFLOW, 'https://github.com/org/repo'));
    expect(() => {
      check({ certificateIdentity: REPO_WORKFLOW, certificateOidcIssuer: GITHUB_ISSUER }, cert);
    }).not.toThrow();
  });

  it('refuses org/repo-evil for a policy on org/repo, where an unanchored regex would accept it', async () => {
    const evil = await certificate(githubClaims(EVIL_WORKFLOW, 'https://github.com/org/repo-evil'));
    const prefix = 'https://github.com/org/repo';
    // What @sigstore/verify does with a policy string: an unanchored match, which this passes.
    expect(new RegExp(prefix).test(EVIL_WORKFLOW)).toBe(true);
    for (const policy of [
      { certificateIdentity: prefix },
      { certificateIdentity: REPO_WORKFLOW },
      { certificateIdentityRegExp: prefix },
      { certificateIdentityRegExp: 'https://github\\.com/org/repo' },
      { certificateIdentityRegExp: 'org/repo' },
    ] satisfies IdentityPolicy[]) {
      const error = failure(() => {
        check({ ...policy, certificateOidcIssuer: GITHUB_ISSUER }, evil);
      });
      expect(error).toMatchObject({ code: 'IDENTITY_MISMATCH', category: 'policy' });
    }
    // The regexp a user means does match the right repository, and only it.
    const good = await certificate(githubClaims(REPO_WORKFLOW, 'https://github.com/org/repo'));
    const policy = { certificateIdentityRegExp: 'https://github\\.com/org/repo/\\.github/workflows/[^@]+@refs/tags/v.*', certificateOidcIssuer: GITHUB_ISSUER };
    expect(() => {
      check(policy, good);
    }).not.toThrow();
    expect(failure(() => {
      check(policy, evil);
    })?.code).toBe('IDENTITY_MISMATCH');
  });

  it('says which claim differed, with expected and found values', async () => {
    const cert = await certificate(githubClaims(REPO_WORKFLOW, 'https://github.com/org/repo'));
    const identity = failure(() => {
      check({ certificateIdentity: EVIL_WORKFLOW }, cert);
    });
    expect(identity?.message).toContain(`expected "${EVIL_WORKFLOW}"`);
    expect(identity?.message).toContain(`found "${REPO_WORKFLOW}"`);

    const issuer = failure(() => {
      check({ certificateOidcIssuer: 'https://accounts.google.com' }, cert);
    });
    expect(issuer).toMatchObject({ code: 'ISSUER_MISMATCH' });
    expect(issuer?.message).toContain(`found "${GITHUB_ISSUER}"`);

    const ref = failure(() => {
      check({ extensions: { sourceRepositoryRef: 'refs/heads/main' } }, cert);
    });
    expect(ref).toMatchObject({ code: 'CERTIFICATE_EXTENSION_MISMATCH' });
    expect(ref?.message).toContain('source repository ref (1.3.6.1.4.1.57264.1.14)');
    expect(ref?.message).toContain('expected "refs/heads/main", found "refs/tags/v1.0.0"');

    const absent = failure(() => {
      check({ extensions: { deploymentEnvironment: 'production' } }, cert);
    });
    expect(absent?.message).toContain('found none');
  });

  it('checks each CI claim: source repository, ref, digest, build signer, runner', async () => {
    const cert = await certificate(githubClaims(REPO_WORKFLOW, 'https://github.com/org/repo'));
    const claims = { sourceRepositoryUri: 'https://github.com/org/repo', sourceRepositoryRef: 'refs/tags/v1.0.0', sourceRepositoryDigest: 'c'.repeat(40), buildSignerUri: REPO_WORKFLOW, runnerEnvironment: 'github-hosted' };
    expect(() => {
      check({ certificateIdentity: REPO_WORKFLOW, certificateOidcIssuer: GITHUB_ISSUER, extensions: claims }, cert);
    }).not.toThrow();
    for (const name of Object.keys(claims) as (keyof typeof claims)[]) {
      expect(failure(() => {
        check({ extensions: { ...claims, [name]: `${claims[name]}x` } }, cert);
      })?.code).toBe('CERTIFICATE_EXTENSION_MISMATCH');
    }
  });

  it('matches the issuer by anchored regexp too', async () => {
    const cert = await certificate(githubClaims(REPO_WORKFLOW, 'https://github.com/org/repo'));
    expect(() => {
      check({ certificateOidcIssuerRegExp: 'https://token\\.actions\\.githubusercontent\\.com' }, cert);
    }).not.toThrow();
    expect(failure(() => {
      check({ certificateOidcIssuerRegExp: 'token\\.actions' }, cert);
    })?.code).toBe('ISSUER_MISMATCH');
    const noIssuer = await certificate({ san: REPO_WORKFLOW });
    expect(failure(() => {
      check({ certificateOidcIssuerRegExp: '.*' }, noIssuer);
    })?.code).toBe('ISSUER_MISMATCH');
  });

  it('never echoes control characters from a certificate', async () => {
    const cert = await certificate({ san: 'https://example.com/\u001b[2Jowned' });
    const error = failure(() => {
      check({ certificateIdentity: 'https://example.com/' }, cert);
    });
    expect(error?.message).not.toContain('\u001b');
    expect(error?.message).toContain('\\u001b');
  });
});

describe('validating a policy', () => {
  it('refuses contradictory, empty, unknown and invalid policies as input errors', () => {
    const invalid: IdentityPolicy[] = [
      { certificateIdentity: REPO_WORKFLOW, certificateIdentityRegExp: '.*' },
      { certificateOidcIssuer: GITHUB_ISSUER, certificateOidcIssuerRegExp: '.*' },
      { certificateIdentity: '' },
      { certificateIdentityRegExp: '' },
      { certificateIdentityRegExp: '(' },
      // Compiles inside `^(?:…)$` but not alone: it would close the anchoring group.
      { certificateIdentityRegExp: 'a)|(b' },
      // Lookaround and backreferences cannot run in linear time: RE2 refuses them when loaded.
      { certificateIdentityRegExp: '(?=x).*' },
      { certificateOidcIssuerRegExp: '(a)\\1' },
      { extensions: { sourceRepositoryRef: '' } },
      { extensions: { notAnExtension: 'x' } as NonNullable<IdentityPolicy['extensions']> },
    ];
    for (const policy of invalid) expect(failure(() => compileIdentityPolicy(policy))).toMatchObject({ code: 'POLICY_INVALID', category: 'input' });
  });

  it('matches a catastrophic-backtracking pattern in linear time (ReDoS: the signer picks the identity)', async () => {
    // On a backtracking engine this pattern runs for over a minute against an 18-character identity.
    const cert = await certificate({ san: 'aaaaaaaaaa@aaaaaaa' });
    const started = performance.now();
    expect(failure(() => { check({ certificateIdentityRegExp: '(([a-z]|[a-z@.])*)*!' }, cert); })).toMatchObject({ code: 'IDENTITY_MISMATCH' });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('knows an empty policy', () => {
    expect(isEmptyPolicy({})).toBe(true);
    expect(isEmptyPolicy({ extensions: {} })).toBe(true);
    expect(isEmptyPolicy({ certificateOidcIssuer: GITHUB_ISSUER })).toBe(false);
    expect(isEmptyPolicy({ extensions: { runnerEnvironment: 'github-hosted' } })).toBe(false);
  });
});
