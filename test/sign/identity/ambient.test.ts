import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveIdentityToken } from '../../../src/sign/identity/token-sources.js';
import { rejectionOf } from '../../support/errors.js';
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
    let server: Server;
    let host: string;
    const requests: { url: string; flavor: string | undefined; authorization: string | undefined; body: string }[] = [];

    beforeAll(async () => {
      server = createServer((request: IncomingMessage, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        request.on('end', () => {
          requests.push({ url: request.url ?? '', flavor: request.headers['metadata-flavor'] as string | undefined, authorization: request.headers.authorization, body });
          if (request.headers['metadata-flavor'] !== 'Google' && request.url?.startsWith('/computeMetadata') === true) {
            response.writeHead(403).end();
          } else if (request.url?.startsWith('/computeMetadata/v1/instance/service-accounts/default/identity') === true) {
            response.end(TOKEN);
          } else if (request.url === '/computeMetadata/v1/instance/service-accounts/default/token') {
            response.setHeader('Content-Type', 'application/json').end(JSON.stringify({ access_token: 'access-123', expires_in: 3600, token_type: 'Bearer' }));
          } else if (request.url?.includes(':generateIdToken') === true) {
            response.setHeader('Content-Type', 'application/json').end(JSON.stringify({ token: TOKEN }));
          } else {
            response.writeHead(404).end();
          }
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      host = `127.0.0.1:${String((server.address() as AddressInfo).port)}`;
    });

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('the metadata server\'s identity token for the default service account, audience sigstore', async () => {
      requests.length = 0;
      expect(await resolveIdentityToken({ env: { GCE_METADATA_HOST: host } })).toMatchObject({ token: TOKEN, source: 'google-cloud' });
      expect(requests).toEqual([expect.objectContaining({ url: '/computeMetadata/v1/instance/service-accounts/default/identity?audience=sigstore&format=full', flavor: 'Google' })]);
    });

    it('impersonation with GOOGLE_SERVICE_ACCOUNT_NAME: generateIdToken authorized by the metadata access token', async () => {
      requests.length = 0;
      const account = 'signer@acme.iam.gserviceaccount.com';
      expect(await resolveIdentityToken({ env: { GCE_METADATA_HOST: host, GOOGLE_SERVICE_ACCOUNT_NAME: account, GOOGLE_IAM_CREDENTIALS_URL: `http://${host}` } })).toMatchObject({ source: 'google-cloud' });
      const generate = requests.find((request) => request.url.includes(':generateIdToken'));
      expect(generate).toMatchObject({ url: `/v1/projects/-/serviceAccounts/${encodeURIComponent(account)}:generateIdToken`, authorization: 'Bearer access-123' });
      expect(JSON.parse(generate?.body ?? '{}')).toEqual({ audience: 'sigstore', includeEmail: true });
    });

    it('an unreachable metadata server is IDENTITY_TOKEN_UNAVAILABLE', async () => {
      expect(await rejectionOf(resolveIdentityToken({ env: { GCE_METADATA_HOST: '127.0.0.1:1' } }))).toMatchObject({ code: 'IDENTITY_TOKEN_UNAVAILABLE', category: 'io' });
    });
  });
});
