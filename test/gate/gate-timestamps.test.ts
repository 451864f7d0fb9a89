/**
 * Timestamped key signatures (`sign --key … --tsa-url`) in a lineage: a policy signer names the
 * TSA whose timestamps it accepts (`timestampAuthority`, `trustedRoot`), as `verify
 * --timestamp-authority` and `--trusted-root` do. Without it the bundle is refused for what it
 * is, TIMESTAMP_AUTHORITY_REQUIRED, never reported as tampered.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSigstore, type LocalSigstore } from '../../local-stack/index.js';
import { certificatePem } from '../../src/format/certificates.js';
import { expectOneLineError, runCli, type CliRun } from '../support/cli.js';
import { writeModel } from '../support/fixtures.js';

const BUILDER = 'https://ci.example/train';

/** The PEM chain (signing certificate first) of a local stack's TSA, from its trusted root. */
function tsaChainPem(stack: LocalSigstore): string {
  const root = stack.trustedRoot as { timestampAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[] };
  return root.timestampAuthorities.flatMap((authority) => authority.certChain.certificates.map((certificate) => certificatePem(Buffer.from(certificate.rawBytes, 'base64')))).join('');
}

const policy = (timestamps: string): string => `version: 1
signers:
  ci:
    key: ./ci.pub${timestamps}
roles:
  model:
    signers: [ci]
    requireAttestations: [training-provenance]
  dataset:
    signers: [ci]
  recipe:
    signers: [ci]
`;

interface LineageJson { verdict: string; root: { findings: { code: string; category?: string }[]; signedBy?: { signer: { timestamps?: unknown[] } } } }

describe('timestamped key signatures in a lineage', () => {
  let root: string;
  let stack: LocalSigstore;
  let other: LocalSigstore;
  let model: string;
  let artifacts: string;

  async function ok(args: readonly string[]): Promise<CliRun> {
    const run = await runCli(args);
    expect(run.status, `${args.join(' ')}\n${run.stderr}`).toBe(0);
    return run;
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'aiprov-gate-tsa-'));
    stack = await startLocalSigstore({ dir: join(root, 'stack') });
    other = await startLocalSigstore({ dir: join(root, 'other') });
    await writeFile(join(root, 'tsa-chain.pem'), tsaChainPem(stack));
    await writeFile(join(root, 'other-tsa-chain.pem'), tsaChainPem(other));
    await ok(['keygen', '--output-prefix', join(root, 'ci')]);
    const key = join(root, 'ci.key');
    const tsa = ['--key', key, '--tsa-url', stack.tsaUrl];
    artifacts = join(root, 'artifacts');
    model = await writeModel(join(artifacts, 'chat'), { 'weights.bin': 'weights' });
    const recipe = await writeModel(join(artifacts, 'recipe'), { 'train.yaml': 'lr: 0.1\n' });
    const dataset = await writeModel(join(artifacts, 'corpus'), { 'part-0.jsonl': '{"text": "a"}\n' });
    await ok(['sign', recipe, '--kind', 'recipe', ...tsa, '--quiet']);
    await ok(['sign', dataset, '--kind', 'dataset', ...tsa, '--quiet']);
    await ok(['sign', model, ...tsa, '--quiet']);
    await ok(['attest', 'training', '--model', model, '--recipe', recipe, '--dataset', dataset, '--builder-id', BUILDER, ...tsa]);
  });

  afterAll(async () => {
    await stack.close();
    await other.close();
    await rm(root, { recursive: true, force: true });
  });

  const lineage = async (name: string, timestamps: string): Promise<CliRun> => {
    const file = join(root, `${name}.yaml`);
    await writeFile(file, policy(timestamps));
    return runCli(['verify', 'lineage', model, '--policy', file, '--search', artifacts, '--json']);
  };

  it('verifies when the signer names the TSA by its chain (timestampAuthority) or by a trusted root (trustedRoot)', async () => {
    for (const [name, timestamps] of [['chain', '\n    timestampAuthority: ./tsa-chain.pem'], ['root', `\n    trustedRoot: ${stack.trustedRootPath ?? ''}`]] as const) {
      const run = await lineage(name, timestamps);
      expect(run.status, run.stdout).toBe(0);
      const result = JSON.parse(run.stdout) as LineageJson;
      expect(result.verdict).toBe('verified');
      expect(result.root.signedBy?.signer.timestamps).toHaveLength(1);
    }
  });

  it('without a TSA for the signer: refused as TIMESTAMP_AUTHORITY_REQUIRED (a denial, exit 3), never tampered', async () => {
    const run = await lineage('none', '');
    expect(run.status).toBe(3);
    const result = JSON.parse(run.stdout) as LineageJson;
    expect(result.verdict).toBe('denied');
    expect(result.root.findings).toContainEqual(expect.objectContaining({ code: 'TIMESTAMP_AUTHORITY_REQUIRED', category: 'policy' }));
    expect(run.stdout).not.toContain('SIGNATURE_INVALID');
  });

  it('a timestamp from a TSA the signer does not name fails (exit 1, TIMESTAMP_INVALID)', async () => {
    const run = await lineage('other', '\n    timestampAuthority: ./other-tsa-chain.pem');
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('TIMESTAMP_INVALID');
  });

  it('the policy schema stays strict: a TSA on a keyless signer, or a misspelt key, is POLICY_INVALID', async () => {
    const keyless = join(root, 'keyless.yaml');
    await writeFile(keyless, policy('').replace('key: ./ci.pub', 'keyless: {issuer: https://issuer.example, identity: ci@example.com}\n    timestampAuthority: ./tsa-chain.pem'));
    expectOneLineError(await runCli(['verify', 'lineage', model, '--policy', keyless]), 2, 'POLICY_INVALID');
    const misspelt = join(root, 'misspelt.yaml');
    await writeFile(misspelt, policy('\n    timestampAuthorities: ./tsa-chain.pem'));
    expectOneLineError(await runCli(['verify', 'lineage', model, '--policy', misspelt]), 2, 'POLICY_INVALID');
    const check = await runCli(['policy', 'check', keyless]);
    expect(check.status).toBe(2);
    expect(check.stdout + check.stderr).toContain('timestampAuthority applies to key and certificateAuthority signers');
  });
});
