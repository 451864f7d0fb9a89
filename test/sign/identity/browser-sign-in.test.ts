import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSigstore, type LocalSigstore } from '../../../local-stack/index.js';
import { signInInteractively } from '../../../src/sign/identity/browser-sign-in.js';
import { resolveIdentityToken } from '../../../src/sign/identity/token-sources.js';
import { signDsseKeyless } from '../../../src/sign/keyless.js';
import { verifyBundle } from '../../local-stack/verify-bundle.js';
import { rejectionOf } from '../../support/errors.js';

let stack: LocalSigstore;

beforeAll(async () => {
  stack = await startLocalSigstore({ oidc: { subject: 'browser-user@example.com' } });
});

afterAll(async () => {
  await stack.close();
});

/** The "browser": follows the authorization URL, then the redirect back to the loopback listener. */
async function browser(url: string): Promise<void> {
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (location === null) throw new Error(`no redirect (${response.status})`);
  await fetch(location);
}

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
