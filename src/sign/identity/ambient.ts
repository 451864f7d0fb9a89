/**
 * Ambient OIDC credentials of CI systems other than GitHub Actions, detected the way
 * sigstore-python's `id` package detects them, each asking for audience `sigstore`:
 *
 * - Google Cloud: with `GOOGLE_SERVICE_ACCOUNT_NAME`, an identity token of that service account by
 *   impersonation (IAM Credentials `generateIdToken`, authorized by the metadata server's access
 *   token); otherwise the metadata server's own identity token for the instance's default
 *   service account. The metadata host is `GCE_METADATA_HOST` (as Google's client libraries
 *   read it), default `metadata.google.internal`; it is only asked on Google Cloud (that variable
 *   or `GOOGLE_SERVICE_ACCOUNT_NAME` set, or a DMI product name that says Google).
 *   `GOOGLE_IAM_CREDENTIALS_URL` replaces `https://iamcredentials.googleapis.com` (a private
 *   service endpoint); it must be https, as it is sent the metadata server's access token.
 * - Buildkite (`BUILDKITE=true`): `buildkite-agent oidc request-token --audience sigstore`.
 * - CircleCI (`CIRCLECI=true`): `circleci run oidc get --claims '{"aud":"sigstore"}'`.
 * - GitLab CI: tokens come from the job's `id_tokens:`; by convention `SIGSTORE_ID_TOKEN` with
 *   `aud: sigstore`, which the environment source already reads. Without it, the error says how to
 *   declare it.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { InputError, IOError } from '../../errors.js';
import { isJsonObject } from '../../input/json-object.js';
import { networkReason } from '../network-error.js';
import { OIDC_REQUEST_TIMEOUT_MS } from './providers.js';

/** The audience Fulcio accepts in an identity token. */
export const SIGSTORE_AUDIENCE = 'sigstore';

/** Runs a CI's own token command; injectable for tests. Resolves to its stdout. */
export type CommandRunner = (file: string, args: readonly string[], env: Readonly<Record<string, string | undefined>>) => Promise<string>;

export interface AmbientOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch: typeof fetch;
  readonly runCommand?: CommandRunner;
  /** Whether this machine is a Google Cloud instance (DMI product name); injectable for tests. */
  readonly onGoogleCloud?: () => Promise<boolean>;
}

export type AmbientSource = 'google-cloud' | 'buildkite' | 'circleci';

/** The first ambient credential this environment offers, or undefined when it offers none. */
export async function ambientIdentityToken(options: AmbientOptions): Promise<{ readonly token: string; readonly source: AmbientSource } | undefined> {
  const { env } = options;
  const run = options.runCommand ?? runCommand;
  if (env['BUILDKITE'] === 'true') {
    return { token: await commandToken(run, 'buildkite-agent', ['oidc', 'request-token', '--audience', SIGSTORE_AUDIENCE], env, 'Buildkite'), source: 'buildkite' };
  }
  if (env['CIRCLECI'] === 'true') {
    return { token: await commandToken(run, 'circleci', ['run', 'oidc', 'get', '--claims', JSON.stringify({ aud: SIGSTORE_AUDIENCE })], env, 'CircleCI'), source: 'circleci' };
  }
  if (env['GITLAB_CI'] === 'true') {
    throw new InputError('IDENTITY_TOKEN_MISSING', 'GitLab CI: declare `id_tokens: { SIGSTORE_ID_TOKEN: { aud: sigstore } }` in the job, so the token is in SIGSTORE_ID_TOKEN');
  }
  const googleCloud = env['GOOGLE_SERVICE_ACCOUNT_NAME'] !== undefined || env['GCE_METADATA_HOST'] !== undefined || (await (options.onGoogleCloud ?? onGoogleCloud)());
  if (googleCloud) return { token: await googleCloudToken(options), source: 'google-cloud' };
  return undefined;
}

async function commandToken(run: CommandRunner, file: string, args: readonly string[], env: AmbientOptions['env'], ci: string): Promise<string> {
  let output: string;
  try {
    output = await run(file, args, env);
  } catch (error) {
    // The command's own message may quote what it printed; only its exit is reported.
    const code = (error as { code?: unknown }).code;
    throw new IOError('IDENTITY_TOKEN_UNAVAILABLE', `${ci}: \`${file} ${args.join(' ')}\` failed${typeof code === 'string' || typeof code === 'number' ? ` (${String(code)})` : ''}`);
  }
  const token = output.trim();
  if (token === '') throw new IOError('IDENTITY_TOKEN_UNAVAILABLE', `${ci}: \`${file}\` printed no token`);
  return token;
}

async function runCommand(file: string, args: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<string> {
  const childEnv = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const { stdout } = await promisify(execFile)(file, [...args], { env: childEnv, timeout: OIDC_REQUEST_TIMEOUT_MS, maxBuffer: 1024 * 1024, encoding: 'utf8' });
  return stdout;
}

async function onGoogleCloud(): Promise<boolean> {
  try {
    return (await readFile('/sys/class/dmi/id/product_name', 'utf8')).includes('Google');
  } catch {
    return false;
  }
}

/** https://cloud.google.com/compute/docs/instances/verifying-instance-identity, and IAM Credentials `generateIdToken`. */
async function googleCloudToken(options: AmbientOptions): Promise<string> {
  const host = options.env['GCE_METADATA_HOST'] ?? 'metadata.google.internal';
  const metadata = (path: string): Promise<Response> => request(options.fetch, `http://${host}/computeMetadata/v1/instance/service-accounts/default/${path}`, { headers: { 'Metadata-Flavor': 'Google' } }, 'the Google Cloud metadata server');
  const serviceAccount = options.env['GOOGLE_SERVICE_ACCOUNT_NAME'];
  if (serviceAccount === undefined) {
    const response = await metadata(`identity?audience=${SIGSTORE_AUDIENCE}&format=full`);
    return nonEmpty(await response.text(), 'the Google Cloud metadata server');
  }
  // Checked before the access token is asked for: a wrong endpoint gets no token at all.
  const endpoint = iamCredentialsEndpoint(options.env['GOOGLE_IAM_CREDENTIALS_URL']);
  const access: unknown = await (await metadata('token')).json().catch(() => undefined);
  const accessToken = isJsonObject(access) && typeof access['access_token'] === 'string' ? access['access_token'] : undefined;
  if (accessToken === undefined) throw new IOError('IDENTITY_TOKEN_UNAVAILABLE', 'the Google Cloud metadata server returned no access token');
  const response = await request(
    options.fetch,
    `${endpoint}/v1/projects/-/serviceAccounts/${encodeURIComponent(serviceAccount)}:generateIdToken`,
    { method: 'POST', headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ audience: SIGSTORE_AUDIENCE, includeEmail: true }) },
    `IAM Credentials (impersonating ${serviceAccount})`,
  );
  const body: unknown = await response.json().catch(() => undefined);
  return nonEmpty(isJsonObject(body) && typeof body['token'] === 'string' ? body['token'] : '', `IAM Credentials (impersonating ${serviceAccount})`);
}

/** Google's IAM Credentials API (https://cloud.google.com/iam/docs/reference/credentials/rest). */
const GOOGLE_IAM_CREDENTIALS_URL = 'https://iamcredentials.googleapis.com';

/**
 * The IAM Credentials endpoint to send the access token to: Google's, or an https:// URL in
 * `GOOGLE_IAM_CREDENTIALS_URL` (unset or empty: Google's). The access token is a bearer
 * credential for the instance's service account, so it never travels in clear text, and the URL
 * carries no user name, password, query or fragment (the API path is appended to it). The value
 * is not quoted in the error: it may hold a credential.
 */
function iamCredentialsEndpoint(value: string | undefined): string {
  if (value === undefined || value === '') return GOOGLE_IAM_CREDENTIALS_URL;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError('IAM_CREDENTIALS_URL_INVALID', 'GOOGLE_IAM_CREDENTIALS_URL is not a URL');
  }
  if (url.protocol !== 'https:') {
    throw new InputError('IAM_CREDENTIALS_URL_INVALID', `GOOGLE_IAM_CREDENTIALS_URL must be an https:// URL (it is sent the metadata server's access token), not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new InputError('IAM_CREDENTIALS_URL_INVALID', 'GOOGLE_IAM_CREDENTIALS_URL must have no user name, password, query or fragment');
  }
  return url.href.replace(/\/+$/, '');
}

async function request(fetchFn: typeof fetch, url: string, init: RequestInit, what: string): Promise<Response> {
  const response = await fetchFn(url, { ...init, signal: AbortSignal.timeout(OIDC_REQUEST_TIMEOUT_MS) }).catch((error: unknown) => {
    throw new IOError('IDENTITY_TOKEN_UNAVAILABLE', `cannot reach ${what}: ${networkReason(error)}`);
  });
  if (!response.ok) throw new IOError('IDENTITY_TOKEN_UNAVAILABLE', `${what} answered ${String(response.status)}`);
  return response;
}

function nonEmpty(token: string, what: string): string {
  const trimmed = token.trim();
  if (trimmed === '') throw new IOError('IDENTITY_TOKEN_UNAVAILABLE', `${what} returned no token`);
  return trimmed;
}
