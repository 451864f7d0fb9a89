import { createHash, createPublicKey, randomBytes, verify, type JsonWebKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSigstore, type LocalOidcProvider, type LocalSigstore } from '../../local-stack/index.js';

let stack: LocalSigstore;
let oidc: LocalOidcProvider;
const REDIRECT = 'http://127.0.0.1:9/auth/callback';

beforeAll(async () => {
  stack = await startLocalSigstore({ oidc: { subject: 'dev@example.com' } });
  oidc = stack.oidc;
});

afterAll(async () => {
  await stack.close();
});

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizationUrl(overrides: Record<string, string | undefined> = {}): string {
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: 'sigstore',
    redirect_uri: REDIRECT,
    scope: 'openid email',
    state: 'st',
    nonce: 'n0',
    code_challenge_method: 'S256',
    ...overrides,
  };
  const url = new URL(oidc.authorizationEndpoint);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

/** The "browser": follows the authorization URL once and returns where it was sent back to. */
async function authorize(url: string): Promise<{ status: number; location: URL | undefined }> {
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  return { status: response.status, location: location === null ? undefined : new URL(location) };
}

async function redeem(form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(oidc.tokenEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function decodePayload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('local OIDC provider', () => {
  it('publishes a discovery document under its issuer', async () => {
    const response = await fetch(oidc.discoveryUrl);
    const doc = (await response.json()) as Record<string, unknown>;
    expect(doc['issuer']).toBe(oidc.issuer);
    expect(doc['authorization_endpoint']).toBe(oidc.authorizationEndpoint);
    expect(doc['token_endpoint']).toBe(oidc.tokenEndpoint);
    expect(doc['code_challenge_methods_supported']).toEqual(['S256']);
    expect(stack.issuer).toBe(oidc.issuer);
  });

  it('issues an ID token for the configured subject after a PKCE S256 exchange', async () => {
    const { verifier, challenge } = pkce();
    const { status, location } = await authorize(authorizationUrl({ code_challenge: challenge }));
    expect(status).toBe(302);
    expect(location?.searchParams.get('state')).toBe('st');
    const code = location?.searchParams.get('code') ?? '';
    const { status: tokenStatus, body } = await redeem({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: 'sigstore', code_verifier: verifier });
    expect(tokenStatus).toBe(200);
    const claims = decodePayload(String(body['id_token']));
    expect(claims).toMatchObject({ iss: oidc.issuer, sub: 'dev@example.com', email: 'dev@example.com', email_verified: true, aud: 'sigstore', nonce: 'n0' });
  });

  it('refuses a code redeemed with the wrong verifier, and a code used twice', async () => {
    const { verifier, challenge } = pkce();
    const code = (await authorize(authorizationUrl({ code_challenge: challenge }))).location?.searchParams.get('code') ?? '';
    const wrong = await redeem({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: 'sigstore', code_verifier: pkce().verifier });
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    // The failed attempt consumed the code: the right verifier is too late.
    const replay = await redeem({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: 'sigstore', code_verifier: verifier });
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses a code redeemed for another redirect URI', async () => {
    const { verifier, challenge } = pkce();
    const code = (await authorize(authorizationUrl({ code_challenge: challenge }))).location?.searchParams.get('code') ?? '';
    const result = await redeem({ grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:10/cb', client_id: 'sigstore', code_verifier: verifier });
    expect(result).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('requires PKCE with S256: no challenge or the plain method is refused', async () => {
    const missing = await authorize(authorizationUrl());
    expect(missing.location?.searchParams.get('error')).toBe('invalid_request');
    const plain = await authorize(authorizationUrl({ code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' }));
    expect(plain.location?.searchParams.get('error')).toBe('invalid_request');
  });

  it('never redirects to a non-loopback URI or for an unknown client', async () => {
    const { challenge } = pkce();
    expect(await authorize(authorizationUrl({ code_challenge: challenge, redirect_uri: 'https://evil.example/cb' }))).toEqual({ status: 400, location: undefined });
    expect(await authorize(authorizationUrl({ code_challenge: challenge, client_id: 'other' }))).toEqual({ status: 400, location: undefined });
  });

  it('mints ES256 tokens that verify with its JWKS', async () => {
    const token = stack.mintIdentityToken('ci@example.com', { repository: 'acme/models' });
    const [header = '', payload = '', signature = ''] = token.split('.');
    const { keys } = (await (await fetch(oidc.jwksUri)).json()) as { keys: JsonWebKey[] };
    const key = createPublicKey({ key: keys[0] ?? {}, format: 'jwk' });
    expect(verify('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))).toBe(true);
    expect(decodePayload(token)).toMatchObject({ iss: stack.issuer, sub: 'ci@example.com', aud: 'sigstore', repository: 'acme/models' });
  });
});
