import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveIdentityToken } from '../../../src/sign/identity/token-sources.js';
import { expectOneLineError, runCli } from '../../support/cli.js';
import { rejectionOf } from '../../support/errors.js';
import { writeModel } from '../../support/fixtures.js';
import { unsignedJwt } from '../../support/jwt.js';

const TOKEN = unsignedJwt({ iss: 'https://agent.buildkite.com', sub: 'organization:acme:pipeline:models:ref:refs/heads/main' });
const notGoogle = (): Promise<boolean> => Promise.resolve(false);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'aiprov-ambient-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A stub CI command on PATH: records its arguments, prints the token (or fails). */
async function stubCommand(name: string, output: string, exitCode = 0): Promise<{ bin: string; argsFile: string }> {
  const bin = await mkdtemp(path.join(dir, `${name}-`));
  const argsFile = path.join(bin, 'args');
  await writeFile(path.join(bin, name), `#!/bin/sh\nprintf '%s\\n' "$@" > "${argsFile}"\nprintf '%s' '${output}'\nexit ${String(exitCode)}\n`);
  await chmod(path.join(bin, name), 0o755);
  return { bin, argsFile };
}

describe('ambient CI credentials (stub commands on PATH, fake endpoints on 127.0.0.1)', () => {
  it('Buildkite: buildkite-agent oidc request-token --audience sigstore', async () => {
    const stub = await stubCommand('buildkite-agent', TOKEN);
    const token = await resolveIdentityToken({ env: { BUILDKITE: 'true', PATH: `${stub.bin}:${process.env['PATH'] ?? ''}` }, onGoogleCloud: notGoogle });
    expect(token).toMatchObject({ token: TOKEN, source: 'buildkite', issuer: 'https://agent.buildkite.com' });
    expect((await readFile(stub.argsFile, 'utf8')).trim().split('\n')).toEqual(['oidc', 'request-token', '--audience', 'sigstore']);
  });

  it('CircleCI: circleci run oidc get --claims {"aud":"sigstore"}', async () => {
    const stub = await stubCommand('circleci', TOKEN);
    const token = await resolveIdentityToken({ env: { CIRCLECI: 'true', PATH: stub.bin }, onGoogleCloud: notGoogle });
    expect(token).toMatchObject({ token: TOKEN, source: 'circleci' });
    expect((await readFile(stub.argsFile, 'utf8')).trim().split('\n')).toEqual(['run', 'oidc', 'get', '--claims', '{"aud":"sigstore"}']);
  });

  it('a failing or silent CI command is IDENTITY_TOKEN_UNAVAILABLE (exit 4), never a token in the message', async () => {
    const failing = await stubCommand('buildkite-agent', 'secret-looking-output', 3);
    const error = await rejectionOf(resolveIdentityToken({ env: { BUILDKITE: 'true', PATH: failing.bin }, onGoogleCloud: notGoogle }));
    expect(error).toMatchObject({ code: 'IDENTITY_TOKEN_UNAVAILABLE', category: 'io' });
    expect((error as Error).message).not.toContain('secret-looking-output');
    const silent = await stubCommand('circleci', '');
    expect(await rejectionOf(resolveIdentityToken({ env: { CIRCLECI: 'true', PATH: silent.bin }, onGoogleCloud: notGoogle }))).toMatchObject({ code: 'IDENTITY_TOKEN_UNAVAILABLE' });
  });

  it('GitLab CI: SIGSTORE_ID_TOKEN from id_tokens; without it, an error that says how to declare it', async () => {
    expect(await resolveIdentityToken({ env: { GITLAB_CI: 'true', SIGSTORE_ID_TOKEN: TOKEN }, onGoogleCloud: notGoogle })).toMatchObject({ source: 'environment' });
    const error = await rejectionOf(resolveIdentityToken({ env: { GITLAB_CI: 'true' }, onGoogleCloud: notGoogle }));
    expect(error).toMatchObject({ code: 'IDENTITY_TOKEN_MISSING', category: 'input' });
    expect((error as Error).message).toContain('id_tokens');
  });

  describe('Google Cloud', () => {
    type Recorded = { url: string; flavor: string | undefined; authorization: string | undefined; body: string };
    let server: Server;
    let host: string;
    const requests: Recorded[] = [];
    /** An IAM Credentials endpoint over plain http, which must never be sent the access token. */
    let plainIam: Server;
    let plainIamUrl: string;
    const plainIamRequests: Recorded[] = [];
    /** The same over https, with a self-signed certificate for 127.0.0.1. */
    let iam: ReturnType<typeof createHttpsServer>;
    let iamUrl: string;
    let iamCa: string;
    const iamRequests: Recorded[] = [];

    /** Records each request into `log`, then answers as the metadata server and IAM Credentials do. */
    const handler = (log: Recorded[]) => (request: IncomingMessage, response: ServerResponse) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        log.push({ url: request.url ?? '', flavor: request.headers['metadata-flavor'] as string | undefined, authorization: request.headers.authorization, body });
        if (request.headers['metadata-flavor'] !== 'Google' && request.url?.startsWith('/computeMetadata') === true) {
          response.writeHead(403).end();
        } else if (request.url?.startsWith('/computeMetadata/v1/instance/service-accounts/default/identity') === true) {
          response.end(TOKEN);
        } else if (request.url === '/computeMetadata/v1/instance/service-accounts/default/token') {
          response.setHeader('Content-Type', 'application/json').end(JSON.stringify({ access_token: 'access-123', expires_in: 3600, token_type: 'Bearer' }));
        } else if (request.url?.includes(':generateIdToken') === true && request.method === 'POST') {
          response.setHeader('Content-Type', 'application/json').end(JSON.stringify({ token: TOKEN }));
        } else {
          response.writeHead(404).end();
        }
      });
    };

    /** The global fetch, but https requests trust `ca` (as NODE_EXTRA_CA_CERTS would make them). */
    const fetchTrusting = (ca: string): typeof fetch => async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.protocol !== 'https:') return fetch(input, init);
      return new Promise<Response>((resolve, reject) => {
        const outgoing = httpsRequest(url, { method: init?.method ?? 'GET', headers: init?.headers as Record<string, string>, ca }, (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('end', () => {
            resolve(new Response(Buffer.concat(chunks), { status: incoming.statusCode ?? 500 }));
          });
        });
        outgoing.on('error', reject);
        outgoing.end(typeof init?.body === 'string' ? init.body : undefined);
      });
    };

    const listen = async (target: Server | ReturnType<typeof createHttpsServer>): Promise<string> => {
      await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
      return `127.0.0.1:${String((target.address() as AddressInfo).port)}`;
    };

    beforeAll(async () => {
      server = createServer(handler(requests));
      host = await listen(server);
      plainIam = createServer(handler(plainIamRequests));
      plainIamUrl = `http://${await listen(plainIam)}`;
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path.join(dir, 'iam.key'), '-out', path.join(dir, 'iam.crt'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      iamCa = await readFile(path.join(dir, 'iam.crt'), 'utf8');
      iam = createHttpsServer({ key: await readFile(path.join(dir, 'iam.key')), cert: iamCa }, handler(iamRequests));
      iamUrl = `https://${await listen(iam)}`;
    });

    afterAll(async () => {
      for (const target of [server, plainIam, iam]) await new Promise((resolve) => target.close(resolve));
    });

    it('the metadata server\'s identity token for the default service account, audience sigstore', async () => {
      requests.length = 0;
      expect(await resolveIdentityToken({ env: { GCE_METADATA_HOST: host } })).toMatchObject({ token: TOKEN, source: 'google-cloud' });
      expect(requests).toEqual([expect.objectContaining({ url: '/computeMetadata/v1/instance/service-accounts/default/identity?audience=sigstore&format=full', flavor: 'Google' })]);
    });

    const account = 'signer@acme.iam.gserviceaccount.com';

    it('impersonation with GOOGLE_SERVICE_ACCOUNT_NAME: generateIdToken authorized by the metadata access token, against a loopback server that follows Google\'s documented IAM credentials protocol (https)', async () => {
      requests.length = 0;
      iamRequests.length = 0;
      const env = { GCE_METADATA_HOST: host, GOOGLE_SERVICE_ACCOUNT_NAME: account, GOOGLE_IAM_CREDENTIALS_URL: `${iamUrl}/` };
      expect(await resolveIdentityToken({ env, fetch: fetchTrusting(iamCa) })).toMatchObject({ token: TOKEN, source: 'google-cloud' });
      expect(requests).toEqual([expect.objectContaining({ url: '/computeMetadata/v1/instance/service-accounts/default/token', flavor: 'Google' })]);
      expect(iamRequests).toHaveLength(1);
      expect(iamRequests[0]).toMatchObject({ url: `/v1/projects/-/serviceAccounts/${encodeURIComponent(account)}:generateIdToken`, authorization: 'Bearer access-123' });
      expect(JSON.parse(iamRequests[0]?.body ?? '{}')).toEqual({ audience: 'sigstore', includeEmail: true });
    });

    it('an IAM credentials endpoint that is not https:// is refused, IAM_CREDENTIALS_URL_INVALID (exit 2), before the access token is asked for: the http endpoint receives nothing', async () => {
      requests.length = 0;
      plainIamRequests.length = 0;
      for (const url of [plainIamUrl, iamUrl.replace('https:', 'ftp:'), 'iamcredentials.googleapis.com', `https://user:secret@${iamUrl.slice('https://'.length)}`, `${iamUrl}/?key=secret`]) {
        const error = await rejectionOf(resolveIdentityToken({ env: { GCE_METADATA_HOST: host, GOOGLE_SERVICE_ACCOUNT_NAME: account, GOOGLE_IAM_CREDENTIALS_URL: url }, fetch: fetchTrusting(iamCa) }));
        expect(error, url).toMatchObject({ code: 'IAM_CREDENTIALS_URL_INVALID', category: 'input' });
        expect(error.message).not.toContain('secret');
      }
      expect(requests).toEqual([]);
      expect(plainIamRequests).toEqual([]);
    });

    it('`aiprov sign` with an http:// GOOGLE_IAM_CREDENTIALS_URL: one line, IAM_CREDENTIALS_URL_INVALID, exit 2, no request to either server, nothing written', async () => {
      requests.length = 0;
      plainIamRequests.length = 0;
      const model = await writeModel(path.join(dir, 'model'), { 'weights.bin': 'weights' });
      const run = await runCli(['sign', model], { env: { GCE_METADATA_HOST: host, GOOGLE_SERVICE_ACCOUNT_NAME: account, GOOGLE_IAM_CREDENTIALS_URL: plainIamUrl } });
      expectOneLineError(run, 2, 'IAM_CREDENTIALS_URL_INVALID');
      expect(requests).toEqual([]);
      expect(plainIamRequests).toEqual([]);
      expect(await readdir(model)).toEqual(['weights.bin']);
    });

    it('an unreachable metadata server is IDENTITY_TOKEN_UNAVAILABLE', async () => {
      expect(await rejectionOf(resolveIdentityToken({ env: { GCE_METADATA_HOST: '127.0.0.1:1' } }))).toMatchObject({ code: 'IDENTITY_TOKEN_UNAVAILABLE', category: 'io' });
    });
  });
});
