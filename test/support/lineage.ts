import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli, type CliRun } from './cli.js';
import { writeModel } from './fixtures.js';

export const BUILDER = 'https://ci.example/org/models/.github/workflows/train.yml@refs/heads/main';

/** The gate tests' policy: key signers, every role, datasets under the given licences. */
export const gatePolicy = (licenses: string, options: { recipeOnDisk?: boolean } = {}): string => `version: 1
signers:
  ci:
    key: ./ci.pub
  data-team:
    key: ./data.pub
roles:
  model:
    signers: [ci]
    requireAttestations: [training-provenance]
    builderIds: [${BUILDER}]
  base-model:
    signers: [ci]
    requireAttestations: [training-provenance]
    maxDepth: 1
  dataset:
    signers: [data-team]
    requireAttestations: [dataset-card]
    allowedLicenses: [${licenses}]
  recipe:
    signers: [ci]${options.recipeOnDisk === true ? '\n    requireOnDisk: true' : ''}
`;

const CARD = 'name: corpus\nlicense: CC-BY-4.0\ndatasetType: [text]\nhasSensitivePersonalInformation: "no"\n';

async function ok(args: readonly string[]): Promise<CliRun> {
  const run = await runCli(args);
  expect(run.status, `${args.join(' ')}\n${run.stderr}`).toBe(0);
  return run;
}

export interface ReleasedLineage {
  readonly release: { readonly model: string; readonly policy: string; readonly evidence: string; readonly artifacts: string };
  readonly deploy: { readonly model: string; readonly policy: string; readonly evidence: string; readonly dir: string };
}

/**
 * A key-signed two-level lineage built with the CLI, as a release job would: a base model trained
 * on a dataset with a recipe, and a fine-tune of it on a second dataset. The release host verifies
 * it with every input on disk and writes the evidence; the deploy host (`deploy`) has the model,
 * the evidence, the policy and the public keys (`ci`, `data`, `other`), and nothing else.
 */
export async function releaseLineage(root: string): Promise<ReleasedLineage> {
  const artifacts = join(root, 'artifacts');
  for (const name of ['ci', 'data', 'other']) await ok(['keygen', '--output-prefix', join(root, name)]);
  const ciKey = join(root, 'ci.key');
  const dataKey = join(root, 'data.key');
  const base = await writeModel(join(artifacts, 'base-1b'), { 'weights.bin': 'base weights', 'config.json': '{}' });
  const model = await writeModel(join(artifacts, 'chat-1b'), { 'weights.bin': 'tuned weights', 'config.json': '{"tuned": true}' });
  const recipe = await writeModel(join(artifacts, 'recipe'), { 'train.yaml': 'lr: 0.001\n' });
  const wiki = await writeModel(join(artifacts, 'wiki'), { 'part-0.jsonl': '{"text": "a"}\n' });
  const chats = await writeModel(join(artifacts, 'chats'), { 'part-0.jsonl': '{"text": "b"}\n' });
  await writeFile(join(root, 'card.yaml'), CARD);
  for (const dataset of [wiki, chats]) {
    await ok(['sign', dataset, '--kind', 'dataset', '--key', dataKey, '--quiet']);
    await ok(['attest', 'dataset', dataset, '--card', join(root, 'card.yaml'), '--key', dataKey]);
  }
  await ok(['sign', recipe, '--kind', 'recipe', '--key', ciKey, '--quiet']);
  await ok(['sign', base, '--key', ciKey, '--quiet']);
  await ok(['attest', 'training', '--model', base, '--recipe', recipe, '--dataset', wiki, '--builder-id', BUILDER, '--key', ciKey]);
  await ok(['sign', model, '--key', ciKey, '--quiet']);
  await ok(['attest', 'training', '--model', model, '--recipe', recipe, '--dataset', chats, '--base-model', base, '--builder-id', BUILDER, '--key', ciKey]);
  await writeFile(join(root, 'policy.yaml'), gatePolicy('CC-BY-4.0'));
  const release = { model, policy: join(root, 'policy.yaml'), evidence: join(root, 'chat-1b.evidence.jsonl'), artifacts };
  const written = await ok(['verify', 'lineage', model, '--policy', release.policy, '--search', artifacts, '--evidence-out', release.evidence]);
  expect(written.stderr).toContain('Wrote evidence');

  const dir = join(root, 'deploy');
  await mkdir(dir);
  await cp(model, join(dir, 'chat-1b'), { recursive: true });
  for (const file of ['chat-1b.evidence.jsonl', 'policy.yaml', 'ci.pub', 'data.pub', 'other.pub']) await cp(join(root, file), join(dir, file));
  return { release, deploy: { model: join(dir, 'chat-1b'), policy: join(dir, 'policy.yaml'), evidence: join(dir, 'chat-1b.evidence.jsonl'), dir } };
}
