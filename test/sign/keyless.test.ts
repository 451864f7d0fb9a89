import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SerializedBundle } from '@sigstore/bundle';
import { AiprovError, isAiprovError } from '../../src/errors.js';
import { startLocalSigstore, type LocalSigstore } from '../../local-stack/index.js';
import { listenOnLoopback } from '../../local-stack/loopback-server.js';
import { loadSigningConfig, signDsseKeyless, SIGNING_CONFIG_V02_MEDIA_TYPE } from '../../src/sign/keyless.js';
import { verifyBundle } from '../local-stack/verify-bundle.js';

const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const SUBJECT = 'alice@example.com';
const statement = Buffer.from(
  JSON.stringify({
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'model', digest: { sha256: 'a'.repeat(64) } }],
    predicateType: 'https://model_signing/signature/v1.0',
    predicate: {},
  }),
);

let stack: LocalSigstore;
/** A loopback URL nothing listens on: a server we started and closed. */
let deadUrl: string;

beforeAll(async () => {
  stack = await startLocalSigstore();
  const dead = await listenOnLoopback(() => () => Promise.resolve({ status: 500 }));
  deadUrl = dead.origin;
  await dead.close();
});

afterAll(async () => {
  await stack.close();
});

async function expectAiprovError(promise: Promise<unknown>): Promise<AiprovError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AiprovError);
  return error as AiprovError;
}

/** Everything an error could show a user or a log: message, stack, and the cause chain. */
function renderedChain(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 10 && current instanceof Error; depth += 1) {
    parts.push(current.message, current.stack ?? '', JSON.stringify(current));
    current = current.cause;
  }
  if (current !== undefined && !(current instanceof Error)) parts.push(JSON.stringify(current));
  return parts.join('\n');
}

describe('signDsseKeyless against the local stack', () => {
  it('produces a v0.3 bundle that verifies with the local trusted root, certifying the token identity', async () => {
    const bundle = await signDsseKeyless({
      payload: statement,
      payloadType: PAYLOAD_TYPE,
      identityToken: stack.mintIdentityToken(SUBJECT),
      fulcioUrl: stack.fulcioUrl,
      rekorUrl: stack.rekorUrl,
      tsaUrl: stack.tsaUrl,
    });

    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.dsseEnvelope?.payloadType).toBe(PAYLOAD_TYPE);
    expect(Buffer.from(bundle.dsseEnvelope?.payload ?? '', 'base64')).toEqual(statement);
    expect(bundle.verificationMaterial.certificate).toBeDefined();
    expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);
    expect(bundle.verificationMaterial.tlogEntries[0]?.kindVersion).toEqual({ kind: 'dsse', version: '0.0.1' });
    expect(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(1);

    const signer = verifyBundle(bundle, {
      trustedRoot: stack.trustedRoot,
      // Both the Rekor SET and the TSA timestamp must verify.
      timestampThreshold: 2,
      policy: { subjectAlternativeName: SUBJECT, extensions: { issuer: stack.issuer } },
    });
    // @sigstore/verify matches the SAN as an unanchored regex: check it exactly as well.
    expect(signer.identity?.subjectAlternativeName).toBe(SUBJECT);
    expect(signer.identity?.extensions?.issuer).toBe(stack.issuer);
  });

  it('omits timestamps when no TSA is configured; the Rekor SET is then the only time evidence', async () => {
    const bundle = await signDsseKeyless({
      payload: statement,
      payloadType: PAYLOAD_TYPE,
      identityToken: stack.mintIdentityToken(SUBJECT),
      fulcioUrl: stack.fulcioUrl,
      rekorUrl: stack.rekorUrl,
    });
    expect(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []).toHaveLength(0);
    expect(verifyBundle(bundle, { trustedRoot: stack.trustedRoot, timestampThreshold: 1 }).identity?.subjectAlternativeName).toBe(SUBJECT);
  });

  it('signs through Rekor v2 (dsse 0.0.2, no SET) with a TSA timestamp', async () => {
    const bundle = await signDsseKeyless({
      payload: statement,
      payloadType: PAYLOAD_TYPE,
      identityToken: stack.mintIdentityToken(SUBJECT),
      fulcioUrl: stack.fulcioUrl,
      rekorUrl: stack.rekorUrl,
      rekorApiVersion: 2,
      tsaUrl: stack.tsaUrl,
    });
    const entry = bundle.verificationMaterial.tlogEntries[0];
    expect(entry?.kindVersion).toEqual({ kind: 'dsse', version: '0.0.2' });
    expect(entry?.inclusionPromise).toBeUndefined();
    expect(verifyBundle(bundle, { trustedRoot: stack.trustedRoot, timestampThreshold: 1 }).identity?.subjectAlternativeName).toBe(SUBJECT);
  });

  it('certifies CI-style identities: the issuer extension carries the token iss', async () => {
    const issuer = 'https://token.actions.githubusercontent.com';
    const san = 'https://github.com/acme/models/.github/workflows/release.yml@refs/heads/main';
    const bundle = await signDsseKeyless({
      payload: statement,
      payloadType: PAYLOAD_TYPE,
      identityToken: stack.mintIdentityToken(san, { iss: issuer, repository: 'acme/models' }),
      fulcioUrl: stack.fulcioUrl,
      rekorUrl: stack.rekorUrl,
    });
    const signer = verifyBundle(bundle, { trustedRoot: stack.trustedRoot, policy: { extensions: { issuer } } });
    expect(signer.identity?.subjectAlternativeName).toBe(san);
  });

  describe('the bundle does not verify', () => {
    let bundle: SerializedBundle;
    beforeAll(async () => {
      bundle = await signDsseKeyless({
        payload: statement,
        payloadType: PAYLOAD_TYPE,
        identityToken: stack.mintIdentityToken(SUBJECT),
        fulcioUrl: stack.fulcioUrl,
        rekorUrl: stack.rekorUrl,
        tsaUrl: stack.tsaUrl,
      });
    });

    it('when the payload is tampered', () => {
      const envelope = bundle.dsseEnvelope;
      if (envelope === undefined) throw new Error('no envelope');
      const tampered = { ...bundle, dsseEnvelope: { ...envelope, payload: Buffer.from('{"_type":"x"}').toString('base64') } };
      expect(() => verifyBundle(tampered, { trustedRoot: stack.trustedRoot })).toThrow();
    });

    it('when the inclusion proof is tampered', () => {
      const [entry] = bundle.verificationMaterial.tlogEntries;
      const proof = entry?.inclusionProof;
      if (entry === undefined || proof === undefined) throw new Error('no inclusion proof');
      // The proof is a real Merkle path at the entry's index, not the mock's single-leaf tree.
      expect(proof.hashes.length).toBeGreaterThan(0);
      expect(proof.logIndex).toBe(entry.logIndex);
      const hashes = [Buffer.alloc(32, 7).toString('base64'), ...proof.hashes.slice(1)];
      const tampered = {
        ...bundle,
        verificationMaterial: { ...bundle.verificationMaterial, tlogEntries: [{ ...entry, inclusionPromise: undefined, inclusionProof: { ...proof, hashes } }] },
      };
      expect(() => verifyBundle(tampered, { trustedRoot: stack.trustedRoot })).toThrow(/root hash/);
    });

    it('when the identity policy names someone else', () => {
      expect(() => verifyBundle(bundle, { trustedRoot: stack.trustedRoot, policy: { subjectAlternativeName: 'mallory@example.com' } })).toThrow();
    });

    it("against another stack's trust root: a local stack is trusted only when its root is passed", async () => {
      const other = await startLocalSigstore();
      try {
        expect(() => verifyBundle(bundle, { trustedRoot: other.trustedRoot })).toThrow();
      } finally {
        await other.close();
      }
    });
  });
});

describe('signDsseKeyless errors', () => {
  it('Fulcio unreachable: IOError SIGNING_SERVICE_UNREACHABLE without the token', async () => {
    const token = stack.mintIdentityToken(SUBJECT);
    const error = await expectAiprovError(
      signDsseKeyless({ payload: statement, payloadType: PAYLOAD_TYPE, identityToken: token, fulcioUrl: deadUrl, rekorUrl: stack.rekorUrl, retries: 0 }),
    );
    expect(error.category).toBe('io');
    expect(error.code).toBe('SIGNING_SERVICE_UNREACHABLE');
    expect(error.message).toContain('Fulcio');
    expect(error.message).toBe(`cannot reach Fulcio at ${deadUrl}: ECONNREFUSED`);
    expect(renderedChain(error)).not.toContain(token);
  });

  it('Rekor unreachable: IOError SIGNING_SERVICE_UNREACHABLE naming Rekor', async () => {
    const token = stack.mintIdentityToken(SUBJECT);
    const error = await expectAiprovError(
      signDsseKeyless({ payload: statement, payloadType: PAYLOAD_TYPE, identityToken: token, fulcioUrl: stack.fulcioUrl, rekorUrl: deadUrl, retries: 0 }),
    );
    expect(error.code).toBe('SIGNING_SERVICE_UNREACHABLE');
    expect(error.message).toContain('Rekor');
    expect(renderedChain(error)).not.toContain(token);
  });

  it('a service that never answers: IOError SIGNING_SERVICE_UNREACHABLE after the timeout', async () => {
    const silent = await listenOnLoopback(() => () => new Promise(() => undefined));
    try {
      const error = await expectAiprovError(
        signDsseKeyless({
          payload: statement,
          payloadType: PAYLOAD_TYPE,
          identityToken: stack.mintIdentityToken(SUBJECT),
          fulcioUrl: silent.origin,
          rekorUrl: stack.rekorUrl,
          fetchTimeoutMs: 200,
          retries: 0,
        }),
      );
      expect(error.code).toBe('SIGNING_SERVICE_UNREACHABLE');
      expect(error.message).toContain('timed out');
    } finally {
      await silent.close();
    }
  });

  it('a service answering with an HTTP error: IOError SIGNING_SERVICE_ERROR with the status', async () => {
    const broken = await listenOnLoopback(() => () => Promise.resolve({ status: 418, body: 'teapot' }));
    try {
      const error = await expectAiprovError(
        signDsseKeyless({
          payload: statement,
          payloadType: PAYLOAD_TYPE,
          identityToken: stack.mintIdentityToken(SUBJECT),
          fulcioUrl: broken.origin,
          rekorUrl: stack.rekorUrl,
          retries: 0,
        }),
      );
      expect(error.code).toBe('SIGNING_SERVICE_ERROR');
      expect(error.message).toContain('418');
    } finally {
      await broken.close();
    }
  });

  it('a non-JWT token: InputError IDENTITY_TOKEN_INVALID before any request, token not echoed', async () => {
    const token = 'ghp_notajwt_secretvalue';
    const error = await expectAiprovError(
      signDsseKeyless({ payload: statement, payloadType: PAYLOAD_TYPE, identityToken: token, fulcioUrl: deadUrl, rekorUrl: deadUrl }),
    );
    expect(error.category).toBe('input');
    expect(error.code).toBe('IDENTITY_TOKEN_INVALID');
    expect(renderedChain(error)).not.toContain(token);
  });

  it('an unverified email claim, which @sigstore/sign refuses quoting the token: IDENTITY_TOKEN_INVALID, token not echoed', async () => {
    const token = stack.mintIdentityToken('repo:acme/models', { email: 'alice@example.com', email_verified: false });
    const error = await expectAiprovError(
      signDsseKeyless({ payload: statement, payloadType: PAYLOAD_TYPE, identityToken: token, fulcioUrl: stack.fulcioUrl, rekorUrl: stack.rekorUrl }),
    );
    expect(error.code).toBe('IDENTITY_TOKEN_INVALID');
    expect(renderedChain(error)).not.toContain(token);
  });

  it('Rekor v2 without a TSA: InputError TIMESTAMP_AUTHORITY_REQUIRED', async () => {
    const error = await expectAiprovError(
      signDsseKeyless({
        payload: statement,
        payloadType: PAYLOAD_TYPE,
        identityToken: stack.mintIdentityToken(SUBJECT),
        fulcioUrl: stack.fulcioUrl,
        rekorUrl: stack.rekorUrl,
        rekorApiVersion: 2,
      }),
    );
    expect(error.code).toBe('TIMESTAMP_AUTHORITY_REQUIRED');
  });

  it('a malformed service URL: InputError SIGNING_SERVICE_URL_INVALID', async () => {
    const error = await expectAiprovError(
      signDsseKeyless({ payload: statement, payloadType: PAYLOAD_TYPE, identityToken: stack.mintIdentityToken(SUBJECT), fulcioUrl: 'fulcio', rekorUrl: stack.rekorUrl }),
    );
    expect(error.code).toBe('SIGNING_SERVICE_URL_INVALID');
  });
});

describe('loadSigningConfig', () => {
  const service = (url: string, majorApiVersion: number, start: string, end?: string): Record<string, unknown> => ({
    url,
    majorApiVersion,
    validFor: end === undefined ? { start } : { start, end },
    operator: 'test',
  });
  const config = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    mediaType: SIGNING_CONFIG_V02_MEDIA_TYPE,
    caUrls: [service('https://fulcio.example', 1, '2022-01-01T00:00:00Z')],
    oidcUrls: [service('https://oauth2.example/auth', 1, '2022-01-01T00:00:00Z')],
    rekorTlogUrls: [service('https://rekor.example', 1, '2021-01-01T00:00:00Z')],
    rekorTlogConfig: { selector: 'ANY' },
    tsaUrls: [service('https://tsa.example/api/v1/timestamp', 1, '2025-01-01T00:00:00Z')],
    tsaConfig: { selector: 'ANY' },
    ...overrides,
  });
  const now = new Date('2026-01-01T00:00:00Z');

  it("reads the local stack's signing config back into its URLs", () => {
    expect(loadSigningConfig(stack.signingConfig)).toEqual({
      fulcioUrl: stack.fulcioUrl,
      rekorUrl: stack.rekorUrl,
      rekorApiVersion: 1,
      tsaUrl: stack.tsaUrl,
      oidcIssuer: stack.issuer,
    });
  });

  it('picks the newest valid Rekor, v2 included, and skips expired and unsupported ones', () => {
    const services = loadSigningConfig(
      config({
        rekorTlogUrls: [
          service('https://rekor.example', 1, '2021-01-01T00:00:00Z'),
          service('https://log2025.rekor.example', 2, '2025-09-01T00:00:00Z'),
          service('https://log2024.rekor.example', 2, '2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z'),
          service('https://rekor-v3.example', 3, '2025-12-01T00:00:00Z'),
          service('https://future.rekor.example', 2, '2027-01-01T00:00:00Z'),
        ],
      }),
      { now },
    );
    expect(services.rekorUrl).toBe('https://log2025.rekor.example');
    expect(services.rekorApiVersion).toBe(2);
    expect(services.tsaUrl).toBe('https://tsa.example/api/v1/timestamp');
    expect(services.fulcioUrl).toBe('https://fulcio.example');
    expect(services.oidcIssuer).toBe('https://oauth2.example/auth');
  });

  it('refuses Rekor v2 without a usable TSA', () => {
    expect(() => loadSigningConfig(config({ rekorTlogUrls: [service('https://log.example', 2, '2025-01-01T00:00:00Z')], tsaUrls: [] }), { now })).toThrow(
      expect.objectContaining({ code: 'SIGNING_CONFIG_UNSUPPORTED' }) as Error,
    );
  });

  it('refuses other media types, malformed documents and selectors other than ANY', () => {
    const codeOf = (json: unknown): string | undefined => {
      try {
        loadSigningConfig(json, { now });
        return undefined;
      } catch (error) {
        return isAiprovError(error) ? error.code : 'not an AiprovError';
      }
    };
    expect(codeOf(config({ mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.1+json' }))).toBe('SIGNING_CONFIG_INVALID');
    expect(codeOf({ caUrls: 'nope' })).toBe('SIGNING_CONFIG_INVALID');
    expect(codeOf(config({ rekorTlogConfig: { selector: 'ALL' } }))).toBe('SIGNING_CONFIG_UNSUPPORTED');
    expect(codeOf(config({ caUrls: [] }))).toBe('SIGNING_CONFIG_UNSUPPORTED');
  });
});
