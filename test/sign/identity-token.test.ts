import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AiprovError } from '../../src/errors.js';
import { startLocalSigstore, type LocalSigstore } from '../../local-stack/index.js';
import { parseIdentityToken, resolveIdentityToken, signInInteractively, type ResolveIdentityTokenOptions } from '../../src/sign/identity-token.js';
import { signDsseKeyless } from '../../src/sign/keyless.js';
import { verifyBundle } from '../local-stack/verify-bundle.js';
import { rejectionOf } from '../support/errors.js';

let stack: LocalSigstore;
let dir: string;

beforeAll(async () => {
  stack = await startLocalSigstore({ oidc: { subject: 'browser-user@example.com' } });
  dir = await mkdtemp(path.join(tmpdir(), 'aiprov-token-'));
});

afterAll(async () => {
  await stack.close();
  await rm(dir, { recursive: true, force: true });
});

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const unsignedJwt = (claims: Record<string, unknown>): string => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;

/** A fetch that plays the GitHub Actions OIDC endpoint and records what it was asked. */
function fakeGitHub(token: string, status = 200): { fetch: typeof fetch; requests: { url: string; authorization: string | null }[] } {
  const requests: { url: string; authorization: string | null }[] = [];
  const fakeFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    requests.push({ url: input instanceof Request ? input.url : input.toString(), authorization: new Headers(init?.headers).get('authorization') });
    return Promise.resolve(new Response(JSON.stringify({ value: token }), { status, headers: { 'Content-Type': 'application/json' } }));
  };
  return { fetch: fakeFetch, requests };
}

function thrown(fn: () => unknown): AiprovError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AiprovError);
    return error as AiprovError;
  }
  throw new Error('expected a throw');
}

/** The "browser": follows the authorization URL, then the redirect back to the loopback listener. */
async function browser(url: string): Promise<void> {
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (location === null) throw new Error(`no redirect (${response.status})`);
  await fetch(location);
}

describe('resolveIdentityToken: sources, first match wins', () => {
  const explicitToken = unsignedJwt({ iss: 'https://explicit.example', sub: 'explicit' });
  const envToken = unsignedJwt({ iss: 'https://env.example', sub: 'env' });
  const ghaToken = unsignedJwt({ iss: 'https://token.actions.githubusercontent.com', sub: 'repo:acme/models:ref:refs/heads/main' });
  const ghaEnv = { ACTIONS_ID_TOKEN_REQUEST_URL: 'https://pipelines.example/token?api-version=2.0', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-secret' };
  const neverInteractive: ResolveIdentityTokenOptions['interactive'] = {
    openUrl: () => {
      throw new Error('must not be interactive');
    },
  };

  it('an explicit value beats the environment, GitHub Actions and the browser', async () => {
    const github = fakeGitHub(ghaToken);
    const token = await resolveIdentityToken({
      explicit: explicitToken,
      env: { SIGSTORE_ID_TOKEN: envToken, ...ghaEnv },
      interactive: neverInteractive,
      fetch: github.fetch,
    });
    expect(token).toMatchObject({ token: explicitToken, source: 'argument', issuer: 'https://explicit.example', subject: 'explicit' });
    expect(github.requests).toHaveLength(0);
  });

  it('@FILE reads the token from a file, trimmed', async () => {
    const file = path.join(dir, 'token');
    await writeFile(file, `${explicitToken}\n`);
    expect(await resolveIdentityToken({ explicit: `@${file}`, env: { SIGSTORE_ID_TOKEN: envToken } })).toMatchObject({ token: explicitToken, source: 'file' });
  });

  it('@FILE that does not exist is an IOError naming the file', async () => {
    const missing = path.join(dir, 'missing');
    const error = await rejectionOf(resolveIdentityToken({ explicit: `@${missing}`, env: {} }));
    expect(error.code).toBe('FILE_NOT_FOUND');
    expect(error.path).toBe(missing);
  });

  it('SIGSTORE_ID_TOKEN beats GitHub Actions', async () => {
    const github = fakeGitHub(ghaToken);
    const token = await resolveIdentityToken({ env: { SIGSTORE_ID_TOKEN: envToken, ...ghaEnv }, fetch: github.fetch, interactive: neverInteractive });
    expect(token).toMatchObject({ token: envToken, source: 'environment' });
    expect(github.requests).toHaveLength(0);
  });

  it('an empty SIGSTORE_ID_TOKEN (an unset CI secret) is skipped', async () => {
    const github = fakeGitHub(ghaToken);
    expect(await resolveIdentityToken({ env: { SIGSTORE_ID_TOKEN: '', ...ghaEnv }, fetch: github.fetch })).toMatchObject({ source: 'github-actions' });
  });

  it('GitHub Actions: asks for audience sigstore with the request token, beats the browser', async () => {
    const github = fakeGitHub(ghaToken);
    const token = await resolveIdentityToken({ env: ghaEnv, fetch: github.fetch, interactive: neverInteractive });
    expect(token).toMatchObject({ token: ghaToken, source: 'github-actions', issuer: 'https://token.actions.githubusercontent.com' });
    expect(github.requests).toHaveLength(1);
    const url = new URL(github.requests[0]?.url ?? '');
    expect(url.searchParams.get('audience')).toBe('sigstore');
    expect(url.searchParams.get('api-version')).toBe('2.0');
    expect(github.requests[0]?.authorization).toBe('Bearer request-secret');
  });

  it('GitHub Actions refusing: IOError IDENTITY_TOKEN_UNAVAILABLE without the request token', async () => {
    const error = await rejectionOf(resolveIdentityToken({ env: ghaEnv, fetch: fakeGitHub('', 403).fetch }));
    expect(error.category).toBe('io');
    expect(error.code).toBe('IDENTITY_TOKEN_UNAVAILABLE');
    expect(error.message).not.toContain('request-secret');
  });

  it('no source and not interactive: InputError IDENTITY_TOKEN_MISSING', async () => {
    const error = await rejectionOf(resolveIdentityToken({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: 'https://x.example' }, interactive: false }));
    expect(error.category).toBe('input');
    expect(error.code).toBe('IDENTITY_TOKEN_MISSING');
  });

  it('a non-JWT from any source: IDENTITY_TOKEN_INVALID, the value never echoed', async () => {
    for (const options of [{ explicit: 'not-a-jwt-s3cret', env: {} }, { env: { SIGSTORE_ID_TOKEN: 'not-a-jwt-s3cret' } }]) {
      const error = await rejectionOf(resolveIdentityToken(options));
      expect(error.code).toBe('IDENTITY_TOKEN_INVALID');
      expect(error.message).not.toContain('s3cret');
    }
  });
});

describe('parseIdentityToken', () => {
  it('accepts a JWT with iss and sub, and prefers email as the subject', () => {
    expect(parseIdentityToken(unsignedJwt({ iss: 'https://i.example', sub: 's' }))).toMatchObject({ issuer: 'https://i.example', subject: 's' });
    expect(parseIdentityToken(unsignedJwt({ iss: 'https://i.example', sub: 's', email: 'e@example.com' })).subject).toBe('e@example.com');
    expect(parseIdentityToken(stack.mintIdentityToken('x@example.com')).issuer).toBe(stack.issuer);
  });

  it.each([
    ['empty', ''],
    ['one part', 'abcdef'],
    ['two parts', `${b64({ alg: 'none' })}.${b64({ iss: 'i', sub: 's' })}`],
    ['four parts', `${b64({ alg: 'none' })}.${b64({ iss: 'i', sub: 's' })}.sig.extra`],
    ['not base64url', `${b64({ alg: 'none' })}.${b64({ iss: 'i', sub: 's' })}+/=.sig`],
    ['payload not JSON', `${b64({ alg: 'none' })}.${Buffer.from('nope').toString('base64url')}.sig`],
    ['payload an array', `${b64({ alg: 'none' })}.${b64(['iss'])}.sig`],
    ['header not JSON', `${Buffer.from('nope').toString('base64url')}.${b64({ iss: 'i', sub: 's' })}.sig`],
    ['no iss', unsignedJwt({ sub: 's' })],
    ['no sub or email', unsignedJwt({ iss: 'https://i.example' })],
  ])('rejects a token with %s as IDENTITY_TOKEN_INVALID, without echoing it', (_why, token) => {
    const error = thrown(() => parseIdentityToken(token));
    expect(error.category).toBe('input');
    expect(error.code).toBe('IDENTITY_TOKEN_INVALID');
    if (token.length > 0) expect(error.message).not.toContain(token);
  });
});

describe('interactive sign-in (authorization code + PKCE on a loopback redirect)', () => {
  it('completes against the local OIDC provider, and the token signs keylessly as the signed-in user', async () => {
    const opened: string[] = [];
    const token = await resolveIdentityToken({
      env: {},
      interactive: {
        issuer: stack.issuer,
        openUrl: async (url) => {
          opened.push(url);
          await browser(url);
        },
      },
    });
    expect(token).toMatchObject({ source: 'interactive', issuer: stack.issuer, subject: 'browser-user@example.com' });

    const authorization = new URL(opened[0] ?? '');
    expect(authorization.origin + authorization.pathname).toBe(stack.oidc.authorizationEndpoint);
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorization.searchParams.get('client_id')).toBe('sigstore');
    expect(new URL(authorization.searchParams.get('redirect_uri') ?? '').hostname).toBe('127.0.0.1');
    // The URL shown to the user carries no secret: neither the verifier nor a token.
    expect(opened[0]).not.toContain(token.token);

    const bundle = await signDsseKeyless({
      payload: Buffer.from('{}'),
      payloadType: 'application/vnd.in-toto+json',
      identityToken: token.token,
      fulcioUrl: stack.fulcioUrl,
      rekorUrl: stack.rekorUrl,
    });
    const signer = verifyBundle(bundle, { trustedRoot: stack.trustedRoot, policy: { extensions: { issuer: stack.issuer } } });
    expect(signer.identity?.subjectAlternativeName).toBe('browser-user@example.com');
  });

  it('refuses a redirect that does not carry its state (CSRF)', async () => {
    const error = await rejectionOf(
      signInInteractively({
        issuer: stack.issuer,
        openUrl: async (url) => {
          const redirectUri = new URL(url).searchParams.get('redirect_uri') ?? '';
          await fetch(`${redirectUri}?code=forged&state=not-ours`);
        },
      }),
    );
    expect(error.code).toBe('OIDC_SIGN_IN_FAILED');
  });

  it('reports the provider refusing the sign-in', async () => {
    const error = await rejectionOf(
      signInInteractively({
        issuer: stack.issuer,
        openUrl: async (url) => {
          const params = new URL(url).searchParams;
          await fetch(`${params.get('redirect_uri') ?? ''}?error=access_denied&state=${params.get('state') ?? ''}`);
        },
      }),
    );
    expect(error.code).toBe('OIDC_SIGN_IN_FAILED');
    expect(error.message).toContain('access_denied');
  });

  it('times out when the browser never comes back', async () => {
    const error = await rejectionOf(signInInteractively({ issuer: stack.issuer, timeoutMs: 200, openUrl: () => undefined }));
    expect(error.code).toBe('OIDC_SIGN_IN_TIMEOUT');
  });

  it('refuses a provider whose discovery document names another issuer', async () => {
    const error = await rejectionOf(signInInteractively({ issuer: `${stack.issuer}/../auth`, openUrl: () => undefined }));
    expect(error.code).toBe('OIDC_PROVIDER_UNREACHABLE');
  });
});
