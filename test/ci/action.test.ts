import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSigstore, type LocalSigstore } from '../../local-stack/index.js';
import { runCli } from '../support/cli.js';
import { writeModel } from '../support/fixtures.js';
import { REPO_ROOT } from '../support/paths.js';
import { ACTION, actionStep, runAction, type ActionRun } from './run-action.js';

const IDENTITY = 'release@aiprov.test';
const WORKFLOW_REF = 'org/models/.github/workflows/release.yml@refs/heads/main';
const BUILDER = `https://github.com/${WORKFLOW_REF}`;
const SHA256_ROOT = /^sha256:[0-9a-f]{64}$/;

describe('action.yml', () => {
  it('passes every input to the run step as INPUT_<NAME>, and every output comes from that step', () => {
    const env = actionStep('run').env ?? {};
    for (const name of Object.keys(ACTION.inputs)) {
      if (name === 'node-version') continue;
      expect(env[`INPUT_${name.toUpperCase().replaceAll('-', '_')}`], name).toBe(`\${{ inputs.${name} }}`);
    }
    expect(Object.keys(env)).toHaveLength(Object.keys(ACTION.inputs).length - 1);
    for (const [name, output] of Object.entries(ACTION.outputs)) expect(output.value).toBe(`\${{ steps.run.outputs.${name} }}`);
    // No input is interpolated into a script (script injection): only into `env` and `with`.
    for (const step of ACTION.runs.steps) expect(step.run ?? '').not.toMatch(/\$\{\{/);
  });

  it('the install step keeps a built aiprov (the second use of the action in a job installs nothing)', () => {
    const output = execFileSync('bash', ['-e', '-c', actionStep('install').run ?? ''], { env: { PATH: process.env['PATH'] ?? '', GITHUB_ACTION_PATH: REPO_ROOT }, encoding: 'utf8' });
    expect(output).toBe('');
  });
});

/**
 * The action as the runner runs it (inputs as `INPUT_*`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`),
 * keyless with the job's OIDC token: a fake GitHub Actions token endpoint on 127.0.0.1 hands out
 * tokens minted by the local Sigstore stack's OIDC provider, as GitHub's does for a job with
 * `permissions: id-token: write`.
 */
describe('the GitHub Action, keyless, on the local Sigstore stack', () => {
  let stack: LocalSigstore;
  let oidc: Server;
  let root: string;
  let workspace: string;
  let env: Record<string, string>;
  const requestToken = randomBytes(24).toString('hex');
  const minted: string[] = [];
  const audiences: string[] = [];
  const runs: ActionRun[] = [];
  let modelDigest = '';

  async function action(inputs: Record<string, string>, cwd = workspace): Promise<ActionRun> {
    const run = await runAction(inputs, { cwd, env, files: root });
    runs.push(run);
    return run;
  }
  async function ok(inputs: Record<string, string>): Promise<ActionRun> {
    const run = await action(inputs);
    expect(run.status, `${JSON.stringify(inputs)}\n${run.stdout}\n${run.stderr}`).toBe(0);
    return run;
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'aiprov-action-'));
    stack = await startLocalSigstore({ dir: join(root, 'sigstore') });
    oidc = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      if (request.headers.authorization !== `Bearer ${requestToken}`) {
        response.writeHead(401).end();
        return;
      }
      audiences.push(url.searchParams.get('audience') ?? '');
      const token = stack.mintIdentityToken(IDENTITY);
      minted.push(token);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count: 1, value: token }));
    });
    await new Promise<void>((resolve) => oidc.listen(0, '127.0.0.1', resolve));
    const { port } = oidc.address() as AddressInfo;
    workspace = join(root, 'workspace');
    await mkdir(join(root, 'runner-temp'), { recursive: true });
    env = {
      RUNNER_TEMP: join(root, 'runner-temp'),
      GITHUB_ACTIONS: 'true',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'org/models',
      GITHUB_WORKFLOW_REF: WORKFLOW_REF,
      GITHUB_REF: 'refs/heads/main',
      GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
      GITHUB_RUN_ID: '42',
      ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${String(port)}/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
    };
    await writeModel(join(workspace, 'artifacts', 'chat-1b'), { 'weights.bin': 'tuned weights', 'config.json': '{}' });
    await writeModel(join(workspace, 'artifacts', 'recipe'), { 'train.yaml': 'lr: 0.001\n' });
    await writeModel(join(workspace, 'artifacts', 'wiki'), { 'part-0.jsonl': '{"text": "a"}\n' });
    await writeFile(join(workspace, 'card.yaml'), 'name: wiki\nlicense: MIT\ndatasetType: [text]\nhasSensitivePersonalInformation: "no"\n');
    await cp(stack.trustedRootPath ?? '', join(workspace, 'trusted_root.json'));
    await writeFile(join(workspace, 'policy.yaml'), `version: 1
trust:
  sigstore: [./trusted_root.json]
signers:
  release:
    keyless: { issuer: ${stack.issuer}, identity: ${IDENTITY} }
roles:
  model: { signers: [release], requireAttestations: [training-provenance], builderIds: [${BUILDER}] }
  recipe: { signers: [release] }
  dataset: { signers: [release], requireAttestations: [dataset-card], allowedLicenses: [MIT] }
`);
  }, 120_000);

  afterAll(async () => {
    await new Promise((resolve) => oidc.close(resolve));
    await stack.close();
    await rm(root, { recursive: true, force: true });
  });

  const signingConfig = (): string => stack.signingConfigPath ?? '';

  it('signs the dataset and recipe, attests the card and the training run, and signs the model', async () => {
    const wiki = await ok({ operation: 'sign', path: 'artifacts/wiki', kind: 'dataset', 'signing-config': signingConfig() });
    expect(wiki.outputs).toMatchObject({ 'root-digest': expect.stringMatching(SHA256_ROOT) as unknown, 'bundle-path': join(workspace, 'artifacts', 'wiki', 'dataset.sig') });
    expect(wiki.summary).toContain('### ✅ aiprov sign: signed wiki');
    const card = await ok({ operation: 'attest-dataset', path: 'artifacts/wiki', card: 'card.yaml', 'signing-config': signingConfig() });
    expect(card.outputs).toEqual({ 'root-digest': wiki.outputs['root-digest'], 'bundle-path': join(workspace, 'artifacts', 'wiki', 'dataset.intoto.jsonl') });
    await ok({ operation: 'sign', path: 'artifacts/recipe', kind: 'recipe', 'signing-config': signingConfig() });
    const model = await ok({ operation: 'sign', path: 'artifacts/chat-1b', 'signing-config': signingConfig() });
    modelDigest = model.outputs['root-digest'] ?? '';
    expect(modelDigest).toMatch(SHA256_ROOT);
    // The builder id is not given: attest training takes this workflow's from the environment.
    const training = await ok({ operation: 'attest-training', path: 'artifacts/chat-1b', recipe: 'artifacts/recipe', datasets: 'artifacts/wiki\n', 'signing-config': signingConfig() });
    expect(training.outputs).toEqual({ 'root-digest': modelDigest, 'bundle-path': join(workspace, 'artifacts', 'chat-1b', 'model.intoto.jsonl') });
    expect(training.summary).toContain('https://slsa.dev/provenance/v1');
    expect(audiences.length).toBeGreaterThanOrEqual(5);
    expect(new Set(audiences)).toEqual(new Set(['sigstore']));
  });

  it('verifies the lineage and writes the evidence and a keyless VSA; the summary shows the tree', async () => {
    const run = await ok({
      operation: 'verify-lineage', path: 'artifacts/chat-1b', policy: 'policy.yaml', search: 'artifacts',
      'evidence-out': 'artifacts/chat-1b/model.evidence.jsonl', 'vsa-out': 'chat-1b.vsa.jsonl', 'resource-uri': 'hf://org/chat-1b', 'signing-config': signingConfig(),
    });
    expect(run.outputs).toEqual({ verified: 'true', 'root-digest': modelDigest, 'evidence-path': 'artifacts/chat-1b/model.evidence.jsonl', 'vsa-path': 'chat-1b.vsa.jsonl' });
    expect(run.summary).toContain('### aiprov verify lineage: ✅ VERIFIED');
    expect(run.summary).toMatch(/^- ✅ \*\*model\*\* chat-1b `sha256:[0-9a-f]{12}…` signed by release \(release@aiprov\.test\)$/m);
    expect(run.summary).toMatch(/^ {2}- trained by `https:\/\/github\.com\/org\/models\/\.github\/workflows\/release\.yml@refs\/heads\/main`$/m);
    expect(run.summary).toMatch(/^ {2}- ✅ \*\*dataset\*\* wiki .* signed by release/m);
    expect(run.summary).toMatch(/^ {4}- license `MIT`$/m);
    expect(run.summary).toMatch(/^ {2}- ✅ \*\*recipe\*\* recipe /m);
  });

  describe('at deploy time, with only the model, its evidence and the VSA', () => {
    let host: string;
    beforeAll(async () => {
      host = join(root, 'host');
      await mkdir(host);
      await cp(join(workspace, 'artifacts', 'chat-1b'), join(host, 'chat-1b'), { recursive: true });
      for (const file of ['policy.yaml', 'trusted_root.json', 'chat-1b.vsa.jsonl']) await cp(join(workspace, file), join(host, file));
    });
    const trust = (): Record<string, string> => ({ 'trusted-root': 'trusted_root.json', 'certificate-identity': IDENTITY, 'certificate-oidc-issuer': stack.issuer, offline: 'true' });

    it('verify-lineage from the evidence, offline', async () => {
      const run = await action({ operation: 'verify-lineage', path: 'chat-1b', policy: 'policy.yaml', evidence: 'chat-1b/model.evidence.jsonl', offline: 'true' }, host);
      expect(run.status, run.stderr).toBe(0);
      expect(run.outputs).toEqual({ verified: 'true', 'root-digest': modelDigest });
      expect(run.summary).toContain('(from the evidence)');
    });

    it('verify-vsa and verify (the model\'s own signature), offline', async () => {
      const policyDigest = `sha256:${createHash('sha256').update(await readFile(join(host, 'policy.yaml'))).digest('hex')}`;
      const vsa = await action({ operation: 'verify-vsa', path: 'chat-1b', vsa: 'chat-1b.vsa.jsonl', 'verified-level': 'AIPROV_LINEAGE_VERIFIED', 'policy-digest': policyDigest, 'max-age': '1h', 'resource-uri': 'hf://org/chat-1b', ...trust() }, host);
      expect(vsa.status, vsa.stderr).toBe(0);
      // A level the summary does not assert is a denial (exit 3), whatever else passes.
      const level = await action({ operation: 'verify-vsa', path: 'chat-1b', vsa: 'chat-1b.vsa.jsonl', 'verified-level': 'AIPROV_LINEAGE_VERIFIED\nSLSA_BUILD_LEVEL_3', ...trust() }, host);
      expect(level.status).toBe(3);
      expect(level.summary).toContain('`VSA_LEVEL_MISMATCH`');
      expect(vsa.outputs).toEqual({ verified: 'true', 'root-digest': modelDigest });
      expect(vsa.summary).toContain('AIPROV_LINEAGE_VERIFIED');
      const verify = await action({ operation: 'verify', path: 'chat-1b', ...trust() }, host);
      expect(verify.status, verify.stderr).toBe(0);
      expect(verify.outputs).toEqual({ verified: 'true', 'root-digest': modelDigest, 'bundle-path': join(host, 'chat-1b', 'model.sig') });
      expect(verify.summary).toContain('| signed by | `release@aiprov.test` |');
    });

    it('a tampered model fails every gate: exit 1, verified false, the finding in the summary', async () => {
      await writeFile(join(host, 'chat-1b', 'weights.bin'), 'backdoored weights');
      const lineage = await action({ operation: 'verify-lineage', path: 'chat-1b', policy: 'policy.yaml', evidence: 'chat-1b/model.evidence.jsonl', offline: 'true' }, host);
      expect(lineage.status).toBe(1);
      expect(lineage.outputs).toMatchObject({ verified: 'false' });
      expect(lineage.summary).toContain('❌ FAILED');
      expect(lineage.summary).toContain('`FILE_CHANGED`: weights.bin');
      const vsa = await action({ operation: 'verify-vsa', path: 'chat-1b', vsa: 'chat-1b.vsa.jsonl', ...trust() }, host);
      expect(vsa.status).toBe(1);
      expect(vsa.outputs).toEqual({ verified: 'false' });
      expect(vsa.summary).toContain('`VSA_SUBJECT_MISMATCH`');
      const verify = await action({ operation: 'verify', path: 'chat-1b', ...trust() }, host);
      expect(verify.status).toBe(1);
      expect(verify.outputs).toMatchObject({ verified: 'false' });
      expect(verify.stdout).toContain('::error');
    });
  });

  it('signs with a key from a secret (an encrypted PEM and its passphrase) and verifies with the public key given as PEM', async () => {
    const keys = join(root, 'keys');
    await mkdir(keys);
    const passphrase = randomBytes(12).toString('hex');
    expect((await runCli(['keygen', '--output-prefix', join(keys, 'release'), '--passphrase-env', 'PASS'], { env: { PASS: passphrase } })).status).toBe(0);
    const privateKey = await readFile(join(keys, 'release.key'), 'utf8');
    const publicKey = await readFile(join(keys, 'release.pub'), 'utf8');
    await writeModel(join(workspace, 'keyed'), { 'model.gguf': 'gguf bytes' });
    const sign = await ok({ operation: 'sign', path: 'keyed/model.gguf', key: privateKey, 'key-passphrase': passphrase });
    expect(sign.outputs['bundle-path']).toBe(join(workspace, 'keyed', 'model.gguf.sig'));
    const verify = await ok({ operation: 'verify', path: 'keyed/model.gguf', 'public-key': publicKey, offline: 'true' });
    expect(verify.outputs).toMatchObject({ verified: 'true', 'root-digest': sign.outputs['root-digest'] });
    for (const run of [sign, verify]) {
      const everything = [run.stdout, run.stderr, run.summary, JSON.stringify(run.outputs)].join('\n');
      expect(everything).not.toContain(passphrase);
      expect(everything).not.toContain('PRIVATE KEY');
      expect(everything).toContain('<temporary file>');
    }
    // The key file lived in a private temporary directory, removed when the step ended.
    expect(await readdir(env['RUNNER_TEMP'] ?? '')).toEqual([]);
  });

  it('an unknown operation or a missing input is a usage error (exit 2) named in the summary', async () => {
    const bogus = await action({ operation: 'publish', path: 'artifacts/chat-1b' });
    expect(bogus.status).toBe(2);
    expect(bogus.summary).toContain('the input "operation" must be one of sign, attest-dataset, attest-training, verify, verify-lineage, verify-vsa');
    const noPolicy = await action({ operation: 'verify-lineage', path: 'artifacts/chat-1b' });
    expect(noPolicy.status).toBe(2);
    expect(noPolicy.outputs).toEqual({});
    expect(noPolicy.stdout).toContain('::error title=aiprov::the input "policy" is required for verify-lineage');
  });

  it('never prints a token: no identity token nor the token request token in any output, summary or log', () => {
    expect(minted.length).toBeGreaterThan(0);
    for (const run of runs) {
      const everything = [run.stdout, run.stderr, run.summary, JSON.stringify(run.outputs)].join('\n');
      for (const token of [...minted, requestToken]) expect(everything).not.toContain(token);
      // Nor any JWT-shaped string.
      expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*\./);
    }
  });
});
