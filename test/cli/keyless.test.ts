import { readFileSync } from 'node:fs';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSigstore, type LocalSigstore } from '../../local-stack/index.js';
import { certificatePem } from '../../src/format/certificates.js';
import { expectOneLineError, runCli, type CliRun } from '../support/cli.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';
import { MODEL_SIGNING_VECTORS, TESTDATA } from '../support/paths.js';

const SIGNER = 'release-bot@aiprov.test';

describe('keyless signing and verification against the local Sigstore stack', () => {
  let stack: LocalSigstore;
  let stackDir: string;

  beforeAll(async () => {
    stackDir = await mkdtemp(join(tmpdir(), 'aiprov-stack-'));
    stack = await startLocalSigstore({ dir: stackDir });
  });

  afterAll(async () => {
    await stack.close();
    await rm(stackDir, { recursive: true, force: true });
  });

  async function signedKeyless(): Promise<{ model: string; token: string; sign: CliRun }> {
    const model = await writeModel(await temporaryDirectory(), SMALL_MODEL);
    const token = stack.mintIdentityToken(SIGNER);
    const sign = await runCli(['sign', model, '--signing-config', stack.signingConfigPath ?? '', '--identity-token', token]);
    return { model, token, sign };
  }

  const verifyArgs = (model: string, identity = SIGNER, issuer = stack.issuer): string[] => ['verify', model, '--trusted-root', stack.trustedRootPath ?? '', '--certificate-identity', identity, '--certificate-oidc-issuer', issuer];

  it('signs with a Fulcio certificate and a Rekor entry, and verifies by identity', async () => {
    const { model, token, sign } = await signedKeyless();
    expect(sign.status).toBe(0);
    expect(sign.stdout + sign.stderr).not.toContain(token);
    const verify = await runCli(verifyArgs(model));
    expect(verify).toMatchObject({ status: 0, stderr: '' });
    expect(verify.stdout).toContain(`signed by   ${SIGNER} via ${stack.issuer}`);

    const inspect = JSON.parse((await runCli(['inspect', join(model, 'model.sig'), '--json'])).stdout) as { signer: { kind: string; identity: string; issuer: string }; tlogEntries: unknown[]; timestamps: unknown[] };
    expect(inspect.signer).toMatchObject({ kind: 'keyless', identity: SIGNER, issuer: stack.issuer });
    expect(inspect.tlogEntries).toHaveLength(1);
    expect(inspect.timestamps).toHaveLength(1);
  });

  it('also verifies with model_signing\'s flag names', async () => {
    const { model } = await signedKeyless();
    const run = await runCli(['verify', model, '--trusted-root', stack.trustedRootPath ?? '', '--identity', SIGNER, '--identity-provider', stack.issuer]);
    expect(run.status).toBe(0);
  });

  it('denies (exit 3) another identity, another issuer, and an identity that only an unanchored regexp would match', async () => {
    const { model } = await signedKeyless();
    expectOneLineError(await runCli(verifyArgs(model, 'someone-else@aiprov.test')), 3, 'IDENTITY_MISMATCH');
    expectOneLineError(await runCli(verifyArgs(model, SIGNER, 'https://issuer.example')), 3, 'ISSUER_MISMATCH');
    // "bot@aiprov" is inside the identity: an unanchored search would accept it, aiprov does not.
    const regexp = await runCli(['verify', model, '--trusted-root', stack.trustedRootPath ?? '', '--certificate-identity-regexp', 'bot@aiprov', '--certificate-oidc-issuer', stack.issuer]);
    expectOneLineError(regexp, 3, 'IDENTITY_MISMATCH');
    const anchoredOk = await runCli(['verify', model, '--trusted-root', stack.trustedRootPath ?? '', '--certificate-identity-regexp', '.*-bot@aiprov\\.test', '--certificate-oidc-issuer', stack.issuer]);
    expect(anchoredOk.status).toBe(0);
  });

  it('fails (exit 1) against another instance\'s trust root (the embedded public-good one)', async () => {
    const { model } = await signedKeyless();
    const run = await runCli(['verify', model, '--certificate-identity', SIGNER, '--certificate-oidc-issuer', stack.issuer]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^aiprov: [A-Z_]+: /);
  });

  it('refuses (exit 2) the stack\'s private Fulcio CA given as --certificate-chain, by the Fulcio issuer extension of the leaf it issued, instead of verifying without an identity', async () => {
    const { model } = await signedKeyless();
    const root = JSON.parse(await readFile(stack.trustedRootPath ?? '', 'utf8')) as { certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[] };
    const fulcioCa = join(stackDir, 'fulcio-ca.pem');
    await writeFile(fulcioCa, root.certificateAuthorities.flatMap((authority) => authority.certChain.certificates.map((certificate) => certificatePem(Buffer.from(certificate.rawBytes, 'base64')))).join(''));
    // The trusted root lends its TSA, so the chain is checked at the signature's timestamp.
    const run = await runCli(['verify', model, '--certificate-chain', fulcioCa, '--trusted-root', stack.trustedRootPath ?? '']);
    expectOneLineError(run, 2, 'FULCIO_CERTIFICATE_AS_CA');
    expect(run.stderr).toContain('use --certificate-identity and --certificate-oidc-issuer (keyless verification)');
  });

  it('needs both the identity and the issuer for keyless verification (exit 2)', async () => {
    const { model } = await signedKeyless();
    expectOneLineError(await runCli(['verify', model, '--trusted-root', stack.trustedRootPath ?? '', '--certificate-identity', SIGNER]), 2, 'IDENTITY_REQUIRED');
  });

  it('fails (exit 1) when the Rekor entry is altered', async () => {
    const { model } = await signedKeyless();
    const signature = join(model, 'model.sig');
    const original = await readFile(signature, 'utf8');
    const bundle = JSON.parse(original) as { verificationMaterial: { tlogEntries: { canonicalizedBody: string }[] } };
    const entry = bundle.verificationMaterial.tlogEntries[0];
    if (entry !== undefined) entry.canonicalizedBody = Buffer.from(Buffer.from(entry.canonicalizedBody, 'base64').toString().replace('"dsse"', '"dsse" ')).toString('base64');
    await writeFile(signature, JSON.stringify(bundle));
    const tampered = await runCli(verifyArgs(model));
    expect(tampered.status).toBe(1);
  });

  it('sign-bundle and verify-bundle round-trip a message signature (conformance protocol), by path and by digest', async () => {
    const dir = await temporaryDirectory();
    const artifact = join(dir, 'a.txt');
    await writeFile(artifact, 'conformance artifact\n');
    const bundle = join(dir, 'a.txt.sigstore.json');
    const sign = await runCli(['sign-bundle', '--identity-token', stack.mintIdentityToken(SIGNER), '--bundle', bundle, '--signing-config', stack.signingConfigPath ?? '', '--trusted-root', stack.trustedRootPath ?? '', artifact]);
    expect(sign).toMatchObject({ status: 0, stderr: '' });
    const { createHash } = await import('node:crypto');
    const digest = `sha256:${createHash('sha256').update('conformance artifact\n').digest('hex')}`;
    for (const target of [artifact, digest]) {
      const verify = await runCli(['verify-bundle', '--bundle', bundle, '--certificate-identity', SIGNER, '--certificate-oidc-issuer', stack.issuer, '--trusted-root', stack.trustedRootPath ?? '', target]);
      expect(verify).toMatchObject({ status: 0, stderr: '' });
      expect(verify.stdout).toMatch(/^Verified message-signature bundle/);
    }
    await writeFile(artifact, 'changed\n');
    const tampered = await runCli(['verify-bundle', '--bundle', bundle, '--certificate-identity', SIGNER, '--certificate-oidc-issuer', stack.issuer, '--trusted-root', stack.trustedRootPath ?? '', artifact]);
    expect(tampered.status).toBe(1);
  });

  it('refuses a token that is not a JWT without echoing it, and writes nothing', async () => {
    const model = await writeModel(await temporaryDirectory(), SMALL_MODEL);
    const run = await runCli(['sign', model, '--signing-config', stack.signingConfigPath ?? '', '--identity-token', 'not-a-jwt-secret-value']);
    expectOneLineError(run, 2, 'IDENTITY_TOKEN_INVALID');
    expect(run.stderr).not.toContain('not-a-jwt-secret-value');
    await expect(access(join(model, 'model.sig'))).rejects.toThrow();
  });

  it('exits 4 when Fulcio is unreachable, without a partial signature or the token in the output', async () => {
    const model = await writeModel(await temporaryDirectory(), SMALL_MODEL);
    const closed: Server = createServer();
    const port = await new Promise<number>((resolve) => {
      closed.listen(0, '127.0.0.1', () => {
        resolve((closed.address() as { port: number }).port);
      });
    });
    await new Promise((resolve) => closed.close(resolve));
    const token = stack.mintIdentityToken(SIGNER);
    const run = await runCli(['sign', model, '--signing-config', stack.signingConfigPath ?? '', '--fulcio-url', `http://127.0.0.1:${String(port)}`, '--identity-token', token]);
    expectOneLineError(run, 4, 'SIGNING_SERVICE_UNREACHABLE');
    expect(run.stdout + run.stderr).not.toContain(token);
    await expect(access(join(model, 'model.sig'))).rejects.toThrow();
  });

  it('--offline verifies without opening any connection (the probe does see signing connect)', async () => {
    const { model } = await signedKeyless();
    const connections = join(await temporaryDirectory(), 'connections.log');
    const probe = join(await temporaryDirectory(), 'probe.mjs');
    // Record every socket connect attempted by the process (preloaded before aiprov starts).
    await writeFile(probe, `import net from 'node:net'; import fs from 'node:fs';\nconst connect = net.Socket.prototype.connect;\nnet.Socket.prototype.connect = function (...args) { fs.appendFileSync(${JSON.stringify(connections)}, JSON.stringify(args[0]) + '\\n'); return connect.apply(this, args); };\n`);
    const env = { NODE_OPTIONS: `--import=${probe}` };
    const verify = await runCli([...verifyArgs(model), '--offline'], { env });
    expect(verify.status).toBe(0);
    await expect(access(connections)).rejects.toThrow();

    // Control: signing needs the network, and under the same probe its connections are seen.
    const sign = await runCli(['sign', model, '--signing-config', stack.signingConfigPath ?? '', '--identity-token', stack.mintIdentityToken(SIGNER)], { env });
    expect(sign.status).toBe(0);
    expect((await readFile(connections, 'utf8')).length).toBeGreaterThan(0);
  });
});

interface VectorCase {
  case: string;
  model_dir: string;
  signature: string;
  method: string;
  identity?: string;
  issuer?: string;
  ignore_paths: string[];
}

describe('model_signing Sigstore vectors (public-good, offline)', () => {
  const cases = readFileSync(join(MODEL_SIGNING_VECTORS, 'index.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as VectorCase)
    .filter((vector) => vector.method === 'sigstore');
  const trustedRoot = join(TESTDATA, 'sigstore-trust-roots', 'production_trusted_root.json');

  for (const vector of cases) {
    const args = (identity: string): string[] => {
      const dir = join(MODEL_SIGNING_VECTORS, vector.model_dir);
      const ignores = vector.ignore_paths.map((path) => path.slice(vector.model_dir.length + 1));
      return ['verify', dir, '--trusted-root', trustedRoot, '--certificate-identity', identity, '--certificate-oidc-issuer', vector.issuer ?? '', '--ignore-paths', ...ignores, '--offline'];
    };
    it(`${vector.case} verifies with its identity and is denied with another`, async () => {
      const ok = await runCli(args(vector.identity ?? ''));
      expect(ok.stderr).toBe('');
      expect(ok.status).toBe(0);
      expectOneLineError(await runCli(args('mallory@example.com')), 3, 'IDENTITY_MISMATCH');
    });
  }
});
