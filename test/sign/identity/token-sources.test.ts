import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveIdentityToken, type ResolveIdentityTokenOptions } from '../../../src/sign/identity/token-sources.js';
import { rejectionOf } from '../../support/errors.js';
import { unsignedJwt } from '../../support/jwt.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'aiprov-token-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fetch that plays the GitHub Actions OIDC endpoint and records what it was asked. */
function fakeGitHub(token: string, status = 200): { fetch: typeof fetch; requests: { url: string; authorization: string | null }[] } {
  const requests: { url: string; authorization: string | null }[] = [];
  const fakeFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    requests.push({ url: input instanceof Request ? input.url : input.toString(), authorization: new Headers(init?.headers).get('authorization') });
    return Promise.resolve(new Response(JSON.stringify({ value: token }), { status, headers: { 'Content-Type': 'application/json' } }));
  };
  return { fetch: fakeFetch, requests };
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
