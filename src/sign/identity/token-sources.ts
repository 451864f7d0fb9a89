/**
 * Where a keyless signer's OIDC identity token comes from. Sources are tried in a fixed order and
 * the first that yields a token wins, as in cosign and sigstore-python:
 *
 *   1. an explicit value (`--identity-token TOKEN`, or `@FILE` to read it from a file);
 *   2. `SIGSTORE_ID_TOKEN` in the environment;
 *   3. GitHub Actions ambient credentials (`ACTIONS_ID_TOKEN_REQUEST_URL` and
 *      `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, present when the job has `permissions: id-token: write`),
 *      requested with audience `sigstore`;
 *   4. the ambient credentials of Buildkite, CircleCI and Google Cloud (`ambient.ts`);
 *   5. only when the caller says the session is interactive: an OAuth 2.0 authorization-code
 *      sign-in in a browser, with PKCE on a loopback redirect (`browser-sign-in.ts`).
 *
 * The token is a bearer credential for Fulcio: it never appears in an error message or a returned
 * description, and the environment is an input (the library never reads `process.env`).
 */
import { InputError, IOError } from '../../errors.js';
import { readBoundedText } from '../../input/read-bounded.js';
import { networkReason } from '../network-error.js';
import { ambientIdentityToken, SIGSTORE_AUDIENCE, type AmbientSource, type CommandRunner } from './ambient.js';
import { signInInteractively, type InteractiveSignInOptions } from './browser-sign-in.js';
import { isJsonObject } from '../../input/json-object.js';
import { parseIdentityToken } from './jwt.js';
import { OIDC_REQUEST_TIMEOUT_MS } from './providers.js';

export type IdentityTokenSource = 'argument' | 'file' | 'environment' | 'github-actions' | AmbientSource | 'interactive';

export interface IdentityToken {
  /** The raw JWT. Secret: pass it to Fulcio, never print it. */
  readonly token: string;
  readonly source: IdentityTokenSource;
  /** `iss` claim. */
  readonly issuer: string;
  /** The identity Fulcio will certify: the verified `email` when present, else `sub`. */
  readonly subject: string;
}

export interface ResolveIdentityTokenOptions {
  /** `--identity-token` value: the token itself, or `@path` of a file holding it. */
  readonly explicit?: string;
  /** The process environment, passed in by the CLI. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Present only when a person is at the terminal; absent or false disables the browser flow. */
  readonly interactive?: InteractiveSignInOptions | false;
  /** HTTP client for GitHub Actions, Google Cloud and the OIDC provider; default the global fetch. */
  readonly fetch?: typeof fetch;
  /** How a CI's token command (buildkite-agent, circleci) is run; default a child process. */
  readonly runCommand?: CommandRunner;
  /** Whether this is a Google Cloud instance; default: its DMI product name says Google. */
  readonly onGoogleCloud?: () => Promise<boolean>;
}


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
    return describe(await fetchGitHubActionsToken(requestUrl, requestToken, fetchFn), 'github-actions');
  }

  const ambient = await ambientIdentityToken({
    env,
    fetch: fetchFn,
    ...(options.runCommand === undefined ? {} : { runCommand: options.runCommand }),
    ...(options.onGoogleCloud === undefined ? {} : { onGoogleCloud: options.onGoogleCloud }),
  });
  if (ambient !== undefined) return describe(ambient.token, ambient.source);

  if (options.interactive !== undefined && options.interactive !== false) {
    return describe(await signInInteractively({ ...options.interactive, fetch: fetchFn }), 'interactive');
  }

  throw new InputError(
    'IDENTITY_TOKEN_MISSING',
    'keyless signing needs an OIDC identity token: pass --identity-token, set SIGSTORE_ID_TOKEN, run in GitHub Actions with `permissions: id-token: write` (or Buildkite, CircleCI, Google Cloud), or sign in interactively from a terminal',
  );
}

/**
 * GitHub Actions OIDC: GET the request URL with `audience=sigstore`, authenticated by the
 * request token; the answer is `{"value": "<JWT>"}`
 * (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect).
 */
async function fetchGitHubActionsToken(requestUrl: string, requestToken: string, fetchFn: typeof fetch): Promise<string> {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    throw new InputError('IDENTITY_TOKEN_UNAVAILABLE', 'ACTIONS_ID_TOKEN_REQUEST_URL is not a URL');
  }
  url.searchParams.set('audience', SIGSTORE_AUDIENCE);
  const response = await fetchFn(url, {
    headers: { Accept: 'application/json', Authorization: `Bearer ${requestToken}` },
    signal: AbortSignal.timeout(OIDC_REQUEST_TIMEOUT_MS),
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
  const value = isJsonObject(body) ? body['value'] : undefined;
  if (typeof value !== 'string' || value === '') {
    throw new IOError('IDENTITY_TOKEN_UNAVAILABLE', 'the GitHub Actions OIDC endpoint returned no token');
  }
  return value;
}

/** An identity token is a few kilobytes; a larger file is not one. */
const MAX_IDENTITY_TOKEN_FILE_BYTES = 1024 * 1024;

async function readTokenFile(file: string): Promise<string> {
  return (await readBoundedText(file, { maxBytes: MAX_IDENTITY_TOKEN_FILE_BYTES, kind: 'IDENTITY_TOKEN', what: 'identity token file' })).trim();
}

function describe(token: string, source: IdentityTokenSource): IdentityToken {
  const trimmed = token.trim();
  const { issuer, subject } = parseIdentityToken(trimmed);
  return { token: trimmed, source, issuer, subject };
}
