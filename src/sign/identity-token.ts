/**
 * Where a keyless signer's OIDC identity token comes from. Sources are tried in a fixed order and
 * the first that yields a token wins, as in cosign and sigstore-python:
 *
 *   1. an explicit value (`--identity-token TOKEN`, or `@FILE` to read it from a file);
 *   2. `SIGSTORE_ID_TOKEN` in the environment;
 *   3. GitHub Actions ambient credentials (`ACTIONS_ID_TOKEN_REQUEST_URL` and
 *      `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, present when the job has `permissions: id-token: write`),
 *      requested with audience `sigstore`;
 *   4. only when the caller says the session is interactive: an OAuth 2.0 authorization-code
 *      sign-in with PKCE on a loopback redirect (RFC 8252).
 *
 * The token is a bearer credential for Fulcio: it never appears in an error message or a returned
 * description, and the environment is an input (the library never reads `process.env`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError, IOError, ioErrorFrom } from '../errors.js';

export type IdentityTokenSource = 'argument' | 'file' | 'environment' | 'github-actions' | 'interactive';

export interface IdentityToken {
  /** The raw JWT. Secret: pass it to Fulcio, never print it. */
  readonly token: string;
  readonly source: IdentityTokenSource;
  /** `iss` claim. */
  readonly issuer: string;
  /** The identity Fulcio will certify: the verified `email` when present, else `sub`. */
  readonly subject: string;
}

export interface IdentityTokenClaims {
  readonly issuer: string;
  readonly subject: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface InteractiveSignInOptions {
  /** OIDC issuer; its discovery document gives the endpoints. Default: public-good Sigstore. */
  readonly issuer?: string;
  readonly clientId?: string;
  /** Sent with HTTP Basic auth when set (confidential clients); public clients have none. */
  readonly clientSecret?: string;
  /** Called once with the URL the user must open. The CLI prints it (and may launch a browser). */
  readonly openUrl: (url: string) => void | Promise<void>;
  /** How long to wait for the browser to come back. Default 5 minutes. */
  readonly timeoutMs?: number;
  /** Loopback port for the redirect; default 0 (any free port). */
  readonly redirectPort?: number;
}

export interface ResolveIdentityTokenOptions {
  /** `--identity-token` value: the token itself, or `@path` of a file holding it. */
  readonly explicit?: string;
  /** The process environment, passed in by the CLI. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Present only when a person is at the terminal; absent or false disables the browser flow. */
  readonly interactive?: InteractiveSignInOptions | false;
  /** HTTP client for GitHub Actions and the OIDC provider; default the global fetch. */
  readonly fetch?: typeof fetch;
}

export const PUBLIC_GOOD_OIDC_ISSUER = 'https://oauth2.sigstore.dev/auth';
export const STAGING_OIDC_ISSUER = 'https://oauth2.sigstage.dev/auth';
export const SIGSTORE_CLIENT_ID = 'sigstore';
export const SIGSTORE_AUDIENCE = 'sigstore';

/** Generous for any real JWT (GitHub's are ~1.5 kB); bounds what we decode. */
const MAX_TOKEN_BYTES = 64 * 1024;
const DEFAULT_SIGN_IN_TIMEOUT_MS = 5 * 60 * 1000;
const HTTP_TIMEOUT_MS = 30_000;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export async function resolveIdentityToken(options: ResolveIdentityTokenOptions): Promise<IdentityToken> {
  const fetchFn = options.fetch ?? fetch;
  const { env } = options;

  if (options.explicit !== undefined) {
    if (options.explicit.startsWith('@')) {
      const file = options.explicit.slice(1);
      return describe(await readTokenFile(file), 'file');
    }
    return describe(options.explicit, 'argument');
  }

  const fromEnv = env['SIGSTORE_ID_TOKEN'];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return describe(fromEnv, 'environment');

  const requestUrl = env['ACTIONS_ID_TOKEN_REQUEST_URL'];
  const requestToken = env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
  if (requestUrl !== undefined && requestUrl !== '' && requestToken !== undefined && requestToken !== '') {
    return describe(await fetchGitHubActionsToken(requestUrl, requestToken, { fetch: fetchFn }), 'github-actions');
  }

  if (options.interactive !== undefined && options.interactive !== false) {
    return describe(await signInInteractively({ ...options.interactive, fetch: fetchFn }), 'interactive');
  }

  throw new InputError(
    'IDENTITY_TOKEN_MISSING',
    'keyless signing needs an OIDC identity token: pass --identity-token, set SIGSTORE_ID_TOKEN, run in GitHub Actions with `permissions: id-token: write`, or sign in interactively from a terminal',
  );
}

/**
 * Checks that a token is a JWT (RFC 7519 §7.2: three base64url parts, the second a JSON object)
 * naming an issuer and a subject. The signature is not checked here: Fulcio does that against the
 * issuer's keys. The point is to fail early and clearly, without echoing the token (which
 * @sigstore/sign's own parse error would do).
 */
export function parseIdentityToken(token: string): IdentityTokenClaims {
  const invalid = (why: string): InputError => new InputError('IDENTITY_TOKEN_INVALID', `the identity token is not a usable JWT: ${why}`);
  if (token.length === 0) throw invalid('it is empty');
  if (token.length > MAX_TOKEN_BYTES) throw invalid(`it is longer than ${MAX_TOKEN_BYTES} bytes`);
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid(`it has ${parts.length} dot-separated parts, not 3`);
  // An unsecured JWT (RFC 7519 §6) has an empty signature part; the header and payload never are.
  const [header = '', payload = ''] = parts;
  if (header === '' || payload === '' || !parts.every((part) => BASE64URL.test(part))) throw invalid('its parts are not base64url');

  const decode = (part: string): unknown => {
    try {
      return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
  };
  if (!isObject(decode(header))) throw invalid('its header is not a JSON object');
  const claims = decode(payload);
  if (!isObject(claims)) throw invalid('its payload is not a JSON object');

  const issuer = claims['iss'];
  if (typeof issuer !== 'string' || issuer === '') throw invalid('it has no "iss" claim');
  const email = claims['email'];
  const sub = claims['sub'];
  const subject = typeof email === 'string' && email !== '' ? email : typeof sub === 'string' && sub !== '' ? sub : undefined;
  if (subject === undefined) throw invalid('it has neither a "sub" nor an "email" claim');
  return { issuer, subject, claims };
}

/**
 * GitHub Actions OIDC: GET the request URL with `audience=sigstore`, authenticated by the
 * request token; the answer is `{"value": "<JWT>"}`
 * (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect).
 */
export async function fetchGitHubActionsToken(
  requestUrl: string,
  requestToken: string,
  options: { readonly audience?: string; readonly fetch?: typeof fetch } = {},
): Promise<string> {
  const fetchFn = options.fetch ?? fetch;
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    throw new InputError('IDENTITY_TOKEN_UNAVAILABLE', 'ACTIONS_ID_TOKEN_REQUEST_URL is not a URL');
  }
  url.searchParams.set('audience', options.audience ?? SIGSTORE_AUDIENCE);
  const response = await fetchFn(url, {
    headers: { Accept: 'application/json', Authorization: `Bearer ${requestToken}` },
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  }).catch((error: unknown) => {
    throw new IOError('IDENTITY_TOKEN_UNAVAILABLE', `cannot reach the GitHub Actions OIDC endpoint at ${url.origin}: ${networkReason(error)}`);
  });
  if (!response.ok) {
    throw new IOError(
      'IDENTITY_TOKEN_UNAVAILABLE',
      `the GitHub Actions OIDC endpoint answered ${response.status}; does the job have \`permissions: id-token: write\`?`,
    );
  }
  const body: unknown = await response.json().catch(() => undefined);
  const value = isObject(body) ? body['value'] : undefined;
  if (typeof value !== 'string' || value === '') {
    throw new IOError('IDENTITY_TOKEN_UNAVAILABLE', 'the GitHub Actions OIDC endpoint returned no token');
  }
  return value;
}

/**
 * OAuth 2.0 authorization code grant (RFC 6749 §4.1) for a native app (RFC 8252): the user signs
 * in in a browser, which is redirected to a one-shot HTTP listener on 127.0.0.1 (§7.3, an IP
 * literal rather than `localhost`, §8.3). PKCE S256 (RFC 7636) binds the code to this process, so
 * another local app that sees the redirect cannot redeem it; `state` (RFC 6749 §10.12) stops a
 * forged redirect from injecting someone else's code; `nonce` (OIDC Core §3.1.2.1) ties the
 * ID token to this request.
 */
export async function signInInteractively(options: InteractiveSignInOptions & { readonly fetch?: typeof fetch }): Promise<string> {
  const fetchFn = options.fetch ?? fetch;
  const issuer = (options.issuer ?? PUBLIC_GOOD_OIDC_ISSUER).replace(/\/+$/, '');
  const clientId = options.clientId ?? SIGSTORE_CLIENT_ID;
  const endpoints = await discover(issuer, fetchFn);

  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');

  const listener = await listenForRedirect(options.redirectPort ?? 0, state, options.timeoutMs ?? DEFAULT_SIGN_IN_TIMEOUT_MS);
  try {
    const authorizationUrl = new URL(endpoints.authorizationEndpoint);
    authorizationUrl.searchParams.set('response_type', 'code');
    authorizationUrl.searchParams.set('client_id', clientId);
    authorizationUrl.searchParams.set('redirect_uri', listener.redirectUri);
    authorizationUrl.searchParams.set('scope', 'openid email');
    authorizationUrl.searchParams.set('state', state);
    authorizationUrl.searchParams.set('nonce', nonce);
    authorizationUrl.searchParams.set('code_challenge', challenge);
    authorizationUrl.searchParams.set('code_challenge_method', 'S256');
    await options.openUrl(authorizationUrl.toString());

    const code = await listener.code;
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: listener.redirectUri,
      client_id: clientId,
      code_verifier: verifier,
    });
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
    if (options.clientSecret !== undefined) {
      // RFC 6749 §2.3.1: client credentials form-urlencoded, then Basic.
      const credentials = `${encodeURIComponent(clientId)}:${encodeURIComponent(options.clientSecret)}`;
      headers['Authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
    }
    const response = await fetchFn(endpoints.tokenEndpoint, {
      method: 'POST',
      headers,
      body: form.toString(),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    }).catch((error: unknown) => {
      throw new IOError('OIDC_PROVIDER_UNREACHABLE', `cannot reach the token endpoint of ${issuer}: ${networkReason(error)}`);
    });
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const reason = isObject(body) && typeof body['error'] === 'string' ? body['error'] : `HTTP ${response.status}`;
      throw new IOError('OIDC_SIGN_IN_FAILED', `the OIDC provider ${issuer} refused the authorization code: ${reason}`);
    }
    const idToken = isObject(body) ? body['id_token'] : undefined;
    if (typeof idToken !== 'string') throw new IOError('OIDC_SIGN_IN_FAILED', `the OIDC provider ${issuer} returned no id_token`);

    // OIDC Core §3.1.3.7: the ID token must come from the issuer we asked and answer our nonce,
    // else a token minted for another request could be replayed into this one.
    const { issuer: tokenIssuer, claims } = parseIdentityToken(idToken);
    if (tokenIssuer !== issuer) throw new IOError('OIDC_SIGN_IN_FAILED', `the ID token was issued by ${tokenIssuer}, not ${issuer}`);
    if (claims['nonce'] !== nonce) throw new IOError('OIDC_SIGN_IN_FAILED', 'the ID token does not answer this sign-in (nonce mismatch)');
    return idToken;
  } finally {
    await listener.close();
  }
}

interface ProviderEndpoints {
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
}

/** OpenID Connect Discovery 1.0 §4: `<issuer>/.well-known/openid-configuration`. */
async function discover(issuer: string, fetchFn: typeof fetch): Promise<ProviderEndpoints> {
  const url = `${issuer}/.well-known/openid-configuration`;
  const response = await fetchFn(url, { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) }).catch(
    (error: unknown) => {
      throw new IOError('OIDC_PROVIDER_UNREACHABLE', `cannot reach the OIDC provider ${issuer}: ${networkReason(error)}`);
    },
  );
  if (!response.ok) throw new IOError('OIDC_PROVIDER_UNREACHABLE', `the OIDC discovery document of ${issuer} answered ${response.status}`);
  const document: unknown = await response.json().catch(() => undefined);
  if (!isObject(document)) throw new IOError('OIDC_PROVIDER_UNREACHABLE', `the OIDC discovery document of ${issuer} is not JSON`);
  // Discovery §4.3: the document's issuer must be the one we asked for, or a provider could send
  // us to another provider's endpoints (mix-up).
  if (document['issuer'] !== issuer) {
    throw new IOError('OIDC_PROVIDER_UNREACHABLE', `the OIDC discovery document of ${issuer} names another issuer`);
  }
  const authorizationEndpoint = document['authorization_endpoint'];
  const tokenEndpoint = document['token_endpoint'];
  if (typeof authorizationEndpoint !== 'string' || typeof tokenEndpoint !== 'string') {
    throw new IOError('OIDC_PROVIDER_UNREACHABLE', `the OIDC discovery document of ${issuer} lacks its endpoints`);
  }
  return { authorizationEndpoint, tokenEndpoint };
}

interface RedirectListener {
  readonly redirectUri: string;
  /** Resolves with the authorization code; rejects on error, wrong state or timeout. */
  readonly code: Promise<string>;
  close(): Promise<void>;
}

const CALLBACK_PATH = '/auth/callback';

async function listenForRedirect(port: number, state: string, timeoutMs: number): Promise<RedirectListener> {
  let settle: { resolve: (code: string) => void; reject: (error: Error) => void } | undefined;
  const code = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // A caller that never awaits `code` (openUrl threw) must not see an unhandled rejection.
  code.catch(() => undefined);

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== CALLBACK_PATH) {
      res.writeHead(404).end();
      return;
    }
    const page = (status: number, text: string): void => {
      res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(`<!doctype html><title>aiprov</title><p>${text}</p>`);
    };
    // RFC 6749 §10.12: a redirect that does not carry our state is not ours.
    if (url.searchParams.get('state') !== state) {
      page(400, 'Sign-in failed: unexpected state. Return to the terminal.');
      settle?.reject(new IOError('OIDC_SIGN_IN_FAILED', 'the sign-in redirect carried an unexpected state'));
      return;
    }
    const error = url.searchParams.get('error');
    const received = url.searchParams.get('code');
    if (error !== null || received === null || received === '') {
      page(400, 'Sign-in failed. Return to the terminal.');
      const reason = error === null ? 'no authorization code' : sanitize(error);
      settle?.reject(new IOError('OIDC_SIGN_IN_FAILED', `the OIDC provider refused the sign-in: ${reason}`));
      return;
    }
    page(200, 'Signed in. You may close this window and return to the terminal.');
    settle?.resolve(received);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => {
      reject(ioErrorFrom(error, `127.0.0.1:${port}`, 'listen on'));
    });
    server.listen(port, '127.0.0.1', () => {
      resolve();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  const timer = setTimeout(() => {
    settle?.reject(new IOError('OIDC_SIGN_IN_TIMEOUT', `no sign-in within ${Math.round(timeoutMs / 1000)} s`));
  }, timeoutMs);
  timer.unref();

  return {
    redirectUri: `http://127.0.0.1:${bound}${CALLBACK_PATH}`,
    code,
    close: async () => {
      clearTimeout(timer);
      settle?.reject(new IOError('OIDC_SIGN_IN_FAILED', 'sign-in abandoned'));
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
    },
  };
}

async function readTokenFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw ioErrorFrom(error, file, 'read identity token file');
  }
  return text.trim();
}

function describe(token: string, source: IdentityTokenSource): IdentityToken {
  const trimmed = token.trim();
  const { issuer, subject } = parseIdentityToken(trimmed);
  return { token: trimmed, source, issuer, subject };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A network failure's errno (ECONNREFUSED, …) or its class; never a URL's query or a header. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return code;
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  return 'network error';
}

/** Provider-supplied error codes are echoed; keep them to the RFC 6749 §4.1.2.1 character set. */
function sanitize(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '').slice(0, 100);
}
