/**
 * The interactive sign-in, the last source of an identity token: OAuth 2.0 authorization code
 * grant (RFC 6749 §4.1) for a native app (RFC 8252). The user signs in in a browser, which is
 * redirected to a one-shot HTTP listener on 127.0.0.1 (RFC 8252 §7.3, an IP literal rather than
 * `localhost`, §8.3). The provider's endpoints come from OpenID Connect Discovery 1.0.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { IOError, ioErrorFrom } from '../../errors.js';
import { networkReason } from '../network-error.js';
import { isJsonObject } from '../../input/json-object.js';
import { parseIdentityToken } from './jwt.js';
import { OIDC_REQUEST_TIMEOUT_MS, PUBLIC_GOOD_OIDC_ISSUER } from './providers.js';

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

/** The public client registered at Sigstore's OIDC providers. */
const SIGSTORE_CLIENT_ID = 'sigstore';
const DEFAULT_SIGN_IN_TIMEOUT_MS = 5 * 60 * 1000;
const CALLBACK_PATH = '/auth/callback';

/**
 * Signs in and returns the ID token. PKCE S256 (RFC 7636 §4.1–4.2: a 32-byte random verifier,
 * base64url, and its SHA-256 as the challenge) binds the code to this process, so another local
 * app that sees the redirect cannot redeem it; `state` (RFC 6749 §10.12) stops a forged redirect
 * from injecting someone else's code; `nonce` (OIDC Core §3.1.2.1) ties the ID token to this
 * request.
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
    // RFC 7636 §4.5: the verifier is sent only now, straight to the token endpoint; the browser
    // saw only its hash.
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
      signal: AbortSignal.timeout(OIDC_REQUEST_TIMEOUT_MS),
    }).catch((error: unknown) => {
      throw new IOError('OIDC_PROVIDER_UNREACHABLE', `cannot reach the token endpoint of ${issuer}: ${networkReason(error)}`);
    });
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const reason = isJsonObject(body) && typeof body['error'] === 'string' ? body['error'] : `HTTP ${response.status}`;
      throw new IOError('OIDC_SIGN_IN_FAILED', `the OIDC provider ${issuer} refused the authorization code: ${reason}`);
    }
    const idToken = isJsonObject(body) ? body['id_token'] : undefined;
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
  const response = await fetchFn(url, { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(OIDC_REQUEST_TIMEOUT_MS) }).catch(
    (error: unknown) => {
      throw new IOError('OIDC_PROVIDER_UNREACHABLE', `cannot reach the OIDC provider ${issuer}: ${networkReason(error)}`);
    },
  );
  if (!response.ok) throw new IOError('OIDC_PROVIDER_UNREACHABLE', `the OIDC discovery document of ${issuer} answered ${response.status}`);
  const document: unknown = await response.json().catch(() => undefined);
  if (!isJsonObject(document)) throw new IOError('OIDC_PROVIDER_UNREACHABLE', `the OIDC discovery document of ${issuer} is not JSON`);
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

/** Provider-supplied error codes are echoed; keep them to the RFC 6749 §4.1.2.1 character set. */
function sanitize(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '').slice(0, 100);
}
