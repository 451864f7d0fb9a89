import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSigstore, type LocalSigstore } from '../../local-stack/index.js';
import { expectOneLineError, runCli, type CliRun } from '../support/cli.js';
import { writeModel } from '../support/fixtures.js';

const CI = 'ci@aiprov.test';
const DATA = 'data-team@aiprov.test';
const BUILDER = 'https://ci.example/org/models/.github/workflows/train.yml@refs/heads/main';

/**
 * The gate of `gate.test.ts`, keyless: every signature, attestation and the verification summary
 * come from the local Sigstore stack (Fulcio, Rekor, TSA on 127.0.0.1), and the deploy host
 * trusts identities under that instance's trusted root.
 */
describe('gate a deployment, keyless, on the local Sigstore stack', () => {
  let stack: LocalSigstore;
  let root: string;
  let host: { dir: string; model: string; policy: string; evidence: string; vsa: string; trustedRoot: string };

  const as = (identity: string): string[] => ['--signing-config', stack.signingConfigPath ?? '', '--identity-token', stack.mintIdentityToken(identity)];
  async function ok(args: readonly string[]): Promise<CliRun> {
    const run = await runCli(args);
    expect(run.status, `${args.join(' ')}\n${run.stderr}`).toBe(0);
    return run;
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'aiprov-gate-keyless-'));
    stack = await startLocalSigstore({ dir: join(root, 'sigstore') });
    const artifacts = join(root, 'artifacts');
    const model = await writeModel(join(artifacts, 'chat-1b'), { 'weights.bin': 'tuned weights' });
    const base = await writeModel(join(artifacts, 'base-1b'), { 'weights.bin': 'base weights' });
    const recipe = await writeModel(join(artifacts, 'recipe'), { 'train.yaml': 'lr: 0.001\n' });
    const wiki = await writeModel(join(artifacts, 'wiki'), { 'part-0.jsonl': '{"text": "a"}\n' });
    await writeFile(join(root, 'card.yaml'), 'name: wiki\nlicense: MIT\ndatasetType: [text]\nhasSensitivePersonalInformation: "no"\n');
    await ok(['sign', wiki, '--kind', 'dataset', ...as(DATA), '-q']);
    await ok(['attest', 'dataset', wiki, '--card', join(root, 'card.yaml'), ...as(DATA)]);
    await ok(['sign', recipe, '--kind', 'recipe', ...as(CI), '-q']);
    await ok(['sign', base, ...as(CI), '-q']);
    await ok(['attest', 'training', '--model', base, '--recipe', recipe, '--dataset', wiki, '--builder-id', BUILDER, ...as(CI)]);
    await ok(['sign', model, ...as(CI), '-q']);
    await ok(['attest', 'training', '--model', model, '--recipe', recipe, '--dataset', wiki, '--base-model', base, '--builder-id', BUILDER, ...as(CI)]);
    const policy = `version: 1
trust:
  sigstore: [./trusted_root.json]
signers:
  ci:
    keyless: { issuer: ${stack.issuer}, identity: ${CI} }
  data-team:
    keyless: { issuer: ${stack.issuer}, identity: ${DATA} }
roles:
  model: { signers: [ci], requireAttestations: [training-provenance], builderIds: [${BUILDER}] }
  base-model: { signers: [ci], requireAttestations: [training-provenance], maxDepth: 1 }
  recipe: { signers: [ci] }
  dataset: { signers: [data-team], requireAttestations: [dataset-card], allowedLicenses: [MIT] }
`;
    await writeFile(join(root, 'policy.yaml'), policy);
    await cp(stack.trustedRootPath ?? '', join(root, 'trusted_root.json'));
    const evidence = join(model, 'model.evidence.jsonl');
    const vsa = join(root, 'chat-1b.vsa.jsonl');
    await ok(['verify', 'lineage', model, '--policy', join(root, 'policy.yaml'), '--search', artifacts, '--evidence-out', evidence, '--vsa-out', vsa, '--vsa-signing-config', stack.signingConfigPath ?? '', '--vsa-identity-token', stack.mintIdentityToken(CI)]);

    const dir = join(root, 'host');
    await mkdir(dir);
    await cp(model, join(dir, 'chat-1b'), { recursive: true });
    for (const file of ['policy.yaml', 'trusted_root.json', 'chat-1b.vsa.jsonl']) await cp(join(root, file), join(dir, file));
    host = { dir, model: join(dir, 'chat-1b'), policy: join(dir, 'policy.yaml'), evidence: join(dir, 'chat-1b', 'model.evidence.jsonl'), vsa: join(dir, 'chat-1b.vsa.jsonl'), trustedRoot: join(dir, 'trusted_root.json') };
  }, 180_000);

  afterAll(async () => {
    await stack.close();
    await rm(root, { recursive: true, force: true });
  });

  const vsaArgs = (model: string, identity = CI): string[] => ['verify', 'vsa', model, '--vsa', host.vsa, '--trusted-root', host.trustedRoot, '--certificate-identity', identity, '--certificate-oidc-issuer', stack.issuer, '--offline'];

  it('passes offline with only the model and its evidence, the evidence inside the model directory', async () => {
    const run = await runCli(['verify', 'lineage', host.model, '--policy', host.policy, '--evidence', host.evidence, '--offline', '--json']);
    expect(run.status, run.stdout).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ verified: true, root: { verifiedFrom: 'disk', signedBy: { name: 'ci', signer: { kind: 'keyless', identity: CI } } } });
  });

  it('verify vsa: 0 for the verifier\'s identity, 3 for another identity', async () => {
    const run = await runCli([...vsaArgs(host.model), '--json']);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ verified: true, signer: { kind: 'keyless', identity: CI, issuer: stack.issuer } });
    expectOneLineError(await runCli(vsaArgs(host.model, DATA)), 3, 'VSA_UNTRUSTED_SIGNER');
  });

  it('a changed model file fails both gates (exit 1)', async () => {
    const changed = join(host.dir, 'changed');
    await cp(host.model, changed, { recursive: true });
    await writeFile(join(changed, 'weights.bin'), 'tampered');
    expect((await runCli(['verify', 'lineage', changed, '--policy', host.policy, '--evidence', join(changed, 'model.evidence.jsonl'), '--offline'])).status).toBe(1);
    expectOneLineError(await runCli(vsaArgs(changed)), 1, 'VSA_SUBJECT_MISMATCH');
  });
});
