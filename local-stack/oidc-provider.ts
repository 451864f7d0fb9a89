/**
 * A tiny OpenID Connect provider on loopback, shaped like the public-good one (Dex at
 * `https://oauth2.sigstore.dev/auth`): discovery document, authorization endpoint, token
 * endpoint, JWKS. It exists to exercise aiprov's interactive sign-in end to end without a
 * browser, and to mint identity tokens for the local Fulcio.
 *
 * The sign-in is consented automatically for one configured subject: the user agent that follows
 * the authorization URL gets redirected back with a code at once. Everything the client must get
 * right is still checked as a real provider would: the client id, a loopback redirect URI
 * (RFC 8252 §7.3), PKCE with S256 only (RFC 7636 §4.3; `plain` is refused so a client cannot be
 * downgraded), single-use short-lived codes bound to the redirect URI (RFC 6749 §4.1.2, §4.1.3)
 * and the verifier (RFC 7636 §4.6).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, timingSafeEqual, type KeyObject } from 'node:crypto';
import { listenOnLoopback, type LoopbackRequest, type LoopbackResponse } from './loopback-server.js';

export interface LocalOidcProviderOptions {
  /** The identity that "signs in" at the authorization endpoint. */
  readonly subject?: string;
  /** The only client id accepted; the public-good client is `sigstore`. */
  readonly clientId?: string;
  readonly tokenLifetimeSeconds?: number;
  /** The provider's clock (token `iat`/`exp`, code expiry). */
  readonly now?: () => Date;
}

export interface LocalOidcProvider {
  /** The issuer URL (`iss`), with a path like Dex's: `http://127.0.0.1:PORT/auth`. */
  readonly issuer: string;
  readonly discoveryUrl: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly jwksUri: string;
  readonly clientId: string;
  /** The subject the authorization endpoint signs in. */
  readonly subject: string;
  /**
   * An ES256 ID token from this issuer for `subject`, audience `sigstore`. `extraClaims` are
   * merged last, so a test can add CI claims (`repository`, `ref`, …) or override `iss`.
   */
  mintIdentityToken(subject: string, extraClaims?: Readonly<Record<string, unknown>>): string;
  close(): Promise<void>;
}

export const DEFAULT_LOCAL_SUBJECT = 'developer@aiprov.test';
const DEFAULT_CLIENT_ID = 'sigstore';
const SIGSTORE_AUDIENCE = 'sigstore';
const CODE_LIFETIME_MS = 60_000;
/** RFC 7636 §4.1: code_verifier = 43*128unreserved. */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is always 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

interface PendingCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly nonce: string | undefined;
  readonly expiresAt: number;
}

export async function startLocalOidcProvider(options: LocalOidcProviderOptions = {}): Promise<LocalOidcProvider> {
  const subject = options.subject ?? DEFAULT_LOCAL_SUBJECT;
  const clientId = options.clientId ?? DEFAULT_CLIENT_ID;
  const lifetime = options.tokenLifetimeSeconds ?? 600;
  const now = options.now ?? (() => new Date());
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url').slice(0, 16);
  const codes = new Map<string, PendingCode>();
  let issuer = '';

  const mint = (claims: Readonly<Record<string, unknown>>): string => signJwt(privateKey, kid, claims);
  const baseClaims = (sub: string, audience: string): Record<string, unknown> => {
    const iat = Math.floor(now().getTime() / 1000);
    return {
      iss: issuer,
      sub,
      aud: audience,
      iat,
      exp: iat + lifetime,
      // Real providers put the address in `email` with `email_verified`; Sigstore clients use it
      // as the identity when present (@sigstore/sign extractJWTSubject).
      ...(sub.includes('@') ? { email: sub, email_verified: true } : {}),
    };
  };

  const server = await listenOnLoopback((origin) => {
    issuer = `${origin}/auth`;
    return async (request) => Promise.resolve(route(request));
  });

  function route(request: LoopbackRequest): LoopbackResponse {
    const path = request.url.pathname;
    if (request.method === 'GET' && path === '/auth/.well-known/openid-configuration') return json(200, discovery());
    if (request.method === 'GET' && path === '/auth/keys') return json(200, { keys: [jwk(publicKey, kid)] });
    if (request.method === 'GET' && path === '/auth/auth') return authorize(request.url.searchParams);
    if (request.method === 'POST' && path === '/auth/token') return token(request);
    return { status: 404, body: 'not found' };
  }

  function discovery(): Record<string, unknown> {
    return {
      issuer,
      authorization_endpoint: `${issuer}/auth`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/keys`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      scopes_supported: ['openid', 'email'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    };
  }

  function authorize(params: URLSearchParams): LoopbackResponse {
    // RFC 6749 §4.1.2.1: with a bad client or redirect URI the provider must not redirect.
    if (params.get('client_id') !== clientId) return { status: 400, body: 'invalid client_id' };
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!isLoopbackRedirect(redirectUri)) return { status: 400, body: 'redirect_uri must be a loopback http URL' };

    const redirect = (query: Record<string, string>): LoopbackResponse => {
      const target = new URL(redirectUri);
      for (const [key, value] of Object.entries(query)) target.searchParams.set(key, value);
      const state = params.get('state');
      if (state !== null) target.searchParams.set('state', state);
      return { status: 302, headers: { Location: target.toString() } };
    };
    if (params.get('response_type') !== 'code') return redirect({ error: 'unsupported_response_type' });
    if (!(params.get('scope') ?? '').split(' ').includes('openid')) return redirect({ error: 'invalid_scope' });
    const codeChallenge = params.get('code_challenge') ?? '';
    if (params.get('code_challenge_method') !== 'S256' || !S256_CHALLENGE.test(codeChallenge)) {
      return redirect({ error: 'invalid_request', error_description: 'PKCE with S256 is required' });
    }

    const code = randomBytes(32).toString('base64url');
    codes.set(code, {
      clientId,
      redirectUri,
      codeChallenge,
      nonce: params.get('nonce') ?? undefined,
      expiresAt: now().getTime() + CODE_LIFETIME_MS,
    });
    return redirect({ code });
  }

  function token(request: LoopbackRequest): LoopbackResponse {
    const form = new URLSearchParams(request.body.toString('utf8'));
    if (form.get('grant_type') !== 'authorization_code') return oauthError('unsupported_grant_type');
    const code = form.get('code') ?? '';
    const pending = codes.get(code);
    // RFC 6749 §4.1.2: a code is used at most once, whatever the outcome.
    codes.delete(code);
    if (pending === undefined || pending.expiresAt < now().getTime()) return oauthError('invalid_grant');
    if ((form.get('client_id') ?? basicAuthClientId(request)) !== pending.clientId) return oauthError('invalid_client');
    if (form.get('redirect_uri') !== pending.redirectUri) return oauthError('invalid_grant');
    const verifier = form.get('code_verifier') ?? '';
    if (!CODE_VERIFIER.test(verifier)) return oauthError('invalid_request');
    // RFC 7636 §4.6: the verifier must hash to the challenge sent with the authorization request;
    // this is what stops an app that intercepted the redirect from redeeming the code.
    const computed = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
    const expected = Buffer.from(pending.codeChallenge);
    if (computed.length !== expected.length || !timingSafeEqual(computed, expected)) return oauthError('invalid_grant');

    const claims = { ...baseClaims(subject, pending.clientId), ...(pending.nonce === undefined ? {} : { nonce: pending.nonce }) };
    return json(200, {
      access_token: randomBytes(32).toString('base64url'),
      token_type: 'Bearer',
      expires_in: lifetime,
      scope: 'openid email',
      id_token: mint(claims),
    });
  }

  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    authorizationEndpoint: `${issuer}/auth`,
    tokenEndpoint: `${issuer}/token`,
    jwksUri: `${issuer}/keys`,
    clientId,
    subject,
    mintIdentityToken: (sub, extraClaims = {}) => mint({ ...baseClaims(sub, SIGSTORE_AUDIENCE), ...extraClaims }),
    close: () => server.close(),
  };
}

/** RFC 8252 §7.3: native apps receive the code on an `http` loopback redirect, any port. */
function isLoopbackRedirect(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname) && url.username === '' && url.hash === '';
}

function basicAuthClientId(request: LoopbackRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Basic ') !== true) return undefined;
  const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
  return decodeURIComponent(decoded.split(':', 1)[0] ?? '');
}

function oauthError(error: string): LoopbackResponse {
  // RFC 6749 §5.2: errors of the token endpoint are 400 JSON `{ error }`.
  return json(400, { error });
}

function json(status: number, body: unknown): LoopbackResponse {
  return { status, body: JSON.stringify(body), contentType: 'application/json' };
}

/** JWS compact serialization (RFC 7515 §7.1) with ES256: the signature is raw r||s (RFC 7518 §3.4). */
function signJwt(privateKey: KeyObject, kid: string, claims: Readonly<Record<string, unknown>>): string {
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${header}.${payload}.${signature.toString('base64url')}`;
}

function jwk(publicKey: KeyObject, kid: string): Record<string, unknown> {
  return { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'ES256' };
}
