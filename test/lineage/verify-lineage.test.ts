import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { beforeEach, describe, expect, it } from 'vitest';
import { attestDataset, attestTraining, identifyArtifact } from '../../src/sign/attest.js';
import { appendAttestation } from '../../src/format/attestation-file.js';
import { generateKeyPair, parsePrivateKey } from '../../src/format/keys.js';
import { signArtifact } from '../../src/sign/sign-artifact.js';
import { signDsseBundle, type KeySigningMethod } from '../../src/sign/signer.js';
import type { DatasetCard } from '../../src/statement/dataset-card.js';
import { buildTrainingProvenance } from '../../src/statement/provenance.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../../src/statement/statement.js';
import { runCli } from '../support/cli.js';
import { temporaryDirectory, writeModel } from '../support/fixtures.js';

const BUILDER = 'https://ci.example/org/models/.github/workflows/train.yml@refs/heads/main';

interface Finding {
  code: string;
  severity: string;
  category?: string;
}
interface Node {
  role: string;
  name: string;
  findings: Finding[];
  children: Node[];
}

/** Every error finding of the tree (info findings such as ATTESTATIONS_FOUND left out). */
function allFindings(node: Node): Finding[] {
  return [...node.findings.filter((finding) => finding.severity === 'error'), ...node.children.flatMap(allFindings)];
}

async function keyMethod(dir: string, name: string): Promise<KeySigningMethod> {
  const pair = generateKeyPair('P-256');
  await writeFile(join(dir, `${name}.pub`), pair.publicKeyPem);
  return { kind: 'key', privateKey: parsePrivateKey(pair.privateKeyPem, name) };
}

const card = (license: string, sensitive: 'yes' | 'no' = 'no'): DatasetCard => ({ name: 'corpus', license, datasetType: ['text'], hasSensitivePersonalInformation: sensitive });

/**
 * A two-level lineage signed with keys: base model ← fine-tune (recipe + two datasets), in the
 * layout a consumer downloads. Keyless signing of the same lineage is exercised by the demo and
 * the local-stack tests.
 */
describe('aiprov verify lineage', () => {
  let root: string;
  let ci: KeySigningMethod;
  let dataTeam: KeySigningMethod;
  let paths: { model: string; base: string; recipe: string; wiki: string; code: string; policy: string };

  beforeEach(async () => {
    root = await temporaryDirectory();
    ci = await keyMethod(root, 'ci');
    dataTeam = await keyMethod(root, 'data-team');
    paths = {
      base: await writeModel(join(root, 'artifacts', 'base-model'), { 'weights.bin': 'base weights' }),
      model: await writeModel(join(root, 'artifacts', 'fine-tune'), { 'weights.bin': 'tuned weights', 'config.json': '{}' }),
      recipe: await writeModel(join(root, 'artifacts', 'recipe'), { 'train.yaml': 'lr: 0.001\n', 'train.py': 'print(1)\n' }),
      wiki: await writeModel(join(root, 'artifacts', 'wiki'), { 'part-0.jsonl': '{"text": "a"}\n' }),
      code: await writeModel(join(root, 'artifacts', 'code-ds'), { 'part-0.jsonl': '{"code": "b"}\n' }),
      policy: join(root, 'policy.yaml'),
    };
    await writeFile(paths.policy, policyYaml({}));
    await signArtifact(paths.base, { signingMethod: ci });
    await signArtifact(paths.recipe, { signingMethod: ci, kind: 'recipe' });
    for (const dataset of [paths.wiki, paths.code]) {
      await signArtifact(dataset, { signingMethod: dataTeam, kind: 'dataset' });
      await attestDataset(dataset, card('CC-BY-4.0 OR MIT'), dataTeam);
    }
    await signArtifact(paths.model, { signingMethod: ci });
    await attestTraining({ model: paths.model, recipe: paths.recipe, datasets: [paths.wiki, paths.code], baseModel: paths.base, builderId: BUILDER }, ci);
  });

  function policyYaml(options: { recipeSigners?: string; maxDepth?: number; licenses?: string; baseRequires?: string }): string {
    return `version: 1
signers:
  ci:
    key: ./ci.pub
  data-team:
    key: ./data-team.pub
roles:
  model:
    signers: [ci]
    requireAttestations: [training-provenance]
    builderIds: [${BUILDER}]
  dataset:
    signers: [data-team]
    requireAttestations: [dataset-card]
    allowedLicenses: [${options.licenses ?? 'Apache-2.0, CC-BY-4.0'}]
    forbid: [sensitive-personal-information]
  recipe:
    signers: [${options.recipeSigners ?? 'ci'}]
  base-model:
    signers: [ci]
    requireAttestations: [${options.baseRequires ?? ''}]
    maxDepth: ${String(options.maxDepth ?? 1)}
`;
  }

  async function lineage(): Promise<{ status: number | null; verdict: string; codes: string[]; root: Node; stdout: string }> {
    const run = await runCli(['verify', 'lineage', paths.model, '--policy', paths.policy, '--search', join(root, 'artifacts'), '--json']);
    const result = JSON.parse(run.stdout) as { verdict: string; root: Node };
    return { status: run.status, verdict: result.verdict, codes: allFindings(result.root).map((finding) => finding.code), root: result.root, stdout: run.stdout };
  }

  it('verifies the whole lineage and draws it', async () => {
    const result = await lineage();
    expect(result).toMatchObject({ status: 0, verdict: 'verified', codes: [] });
    expect(result.root.children.map((child) => `${child.role}:${child.name}`)).toEqual(['recipe:recipe', 'dataset:wiki', 'dataset:code-ds', 'base-model:base-model']);

    const tree = await runCli(['verify', 'lineage', paths.model, '--policy', paths.policy, '--search', join(root, 'artifacts')]);
    expect(tree.status).toBe(0);
    expect(tree.stdout).toMatch(/^Lineage VERIFIED/);
    expect(tree.stdout).toContain('└── ✓ base-model base-model sha256:');
    const mermaid = await runCli(['verify', 'lineage', paths.model, '--policy', paths.policy, '--search', join(root, 'artifacts'), '--format', 'mermaid']);
    expect(mermaid.stdout).toMatch(/^flowchart BT\n/);
    expect(mermaid.stdout).toContain('-->|dataset|');
    const dot = await runCli(['verify', 'lineage', paths.model, '--policy', paths.policy, '--search', join(root, 'artifacts'), '--format', 'dot']);
    expect(dot.stdout).toMatch(/^digraph lineage \{/);

    // verify and inspect find the attestations beside the model.
    const verify = await runCli(['verify', paths.model, '--key', join(root, 'ci.pub'), '--json']);
    expect((JSON.parse(verify.stdout) as { findings: unknown[] }).findings).toEqual([expect.objectContaining({ code: 'ATTESTATIONS_FOUND', fields: { count: 1, values: ['https://slsa.dev/provenance/v1'] } })]);
    const inspect = JSON.parse((await runCli(['inspect', join(paths.model, 'model.intoto.jsonl'), '--json'])).stdout) as { attestations: { content: { predicateType: string } }[] };
    expect(inspect.attestations.map((item) => item.content.predicateType)).toEqual(['https://slsa.dev/provenance/v1']);
  });

  it('writes a CycloneDX 1.6 ML-BOM of the verified lineage, and none of a failed one', async () => {
    const output = join(root, 'bom.json');
    const run = await runCli(['bom', paths.model, '--policy', paths.policy, '--search', join(root, 'artifacts'), '--output', output]);
    expect(run.status).toBe(0);
    const bom = JSON.parse(await readFile(output, 'utf8')) as { specVersion: string; components: { type: string; name: string }[] };
    expect(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(JSON.stringify(bom))).toBeNull();
    expect(bom.specVersion).toBe('1.6');
    expect(bom.components.map((component) => `${component.type}:${component.name}`).sort()).toEqual(['application:recipe', 'data:code-ds', 'data:wiki', 'machine-learning-model:base-model']);

    await appendFile(join(paths.wiki, 'part-0.jsonl'), 'tampered\n');
    const refused = await runCli(['bom', paths.model, '--policy', paths.policy, '--search', join(root, 'artifacts')]);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/aiprov: LINEAGE_NOT_VERIFIED: /);
  });

  it('fails (exit 1) when a dataset changed after the provenance was signed', async () => {
    await appendFile(join(paths.wiki, 'part-0.jsonl'), '{"text": "poison"}\n');
    expect(await lineage()).toMatchObject({ status: 1, verdict: 'failed', codes: ['FILE_CHANGED'] });
  });

  it('fails (exit 1) when a dataset was re-signed after the provenance: the digest link breaks', async () => {
    await appendFile(join(paths.wiki, 'part-0.jsonl'), '{"text": "poison"}\n');
    await signArtifact(paths.wiki, { signingMethod: dataTeam, kind: 'dataset' });
    const result = await lineage();
    expect(result.status).toBe(1);
    expect(result.codes).toContain('DIGEST_LINK_MISMATCH');
  });

  it('denies (exit 3) a dataset signed by a signer the policy does not trust', async () => {
    const stranger = await keyMethod(root, 'stranger');
    await signArtifact(paths.code, { signingMethod: stranger, kind: 'dataset' });
    expect(await lineage()).toMatchObject({ status: 3, verdict: 'denied', codes: ['UNTRUSTED_SIGNER'] });
  });

  it('denies (exit 3) a recipe signed by a signer the policy does not allow for recipes', async () => {
    await writeFile(paths.policy, policyYaml({ recipeSigners: 'data-team' }));
    expect(await lineage()).toMatchObject({ status: 3, verdict: 'denied', codes: ['UNTRUSTED_SIGNER'] });
  });

  it('denies (exit 3) a licence the policy does not allow', async () => {
    await writeFile(paths.policy, policyYaml({ licenses: 'Apache-2.0' }));
    const result = await lineage();
    expect(result).toMatchObject({ status: 3, verdict: 'denied' });
    expect(result.codes).toEqual(['LICENSE_NOT_ALLOWED', 'LICENSE_NOT_ALLOWED']);
  });

  it('denies (exit 3) a lineage deeper than the policy permits', async () => {
    // The base model now has its own provenance naming a base of its own.
    const grandparent = await writeModel(join(root, 'artifacts', 'grandparent'), { 'weights.bin': 'older' });
    await signArtifact(grandparent, { signingMethod: ci });
    await attestTraining({ model: grandparent, recipe: paths.recipe, datasets: [paths.code], builderId: BUILDER }, ci);
    await attestTraining({ model: paths.base, recipe: paths.recipe, datasets: [paths.wiki], baseModel: grandparent, builderId: BUILDER }, ci);
    await writeFile(paths.policy, policyYaml({ maxDepth: 1, baseRequires: 'training-provenance' }));
    expect(await lineage()).toMatchObject({ status: 3, verdict: 'denied', codes: ['LINEAGE_TOO_DEEP'] });
    await writeFile(paths.policy, policyYaml({ maxDepth: 2, baseRequires: 'training-provenance' }));
    expect(await lineage()).toMatchObject({ status: 0, verdict: 'verified' });
  });

  it('fails (exit 1) on a base-model cycle', async () => {
    // The base model's provenance claims the fine-tune as its base: a signed contradiction.
    await attestTraining({ model: paths.base, recipe: paths.recipe, datasets: [paths.wiki], baseModel: paths.model, builderId: BUILDER }, ci);
    await writeFile(paths.policy, policyYaml({ maxDepth: 5, baseRequires: 'training-provenance' }));
    const result = await lineage();
    expect(result).toMatchObject({ status: 1, verdict: 'failed' });
    expect(result.codes).toContain('BASE_MODEL_CYCLE');
  });

  it('fails (exit 1) when the provenance beside the model is about another model', async () => {
    const attestations = join(paths.model, 'model.intoto.jsonl');
    const other = await writeModel(join(root, 'artifacts', 'other'), { 'weights.bin': 'other' });
    await signArtifact(other, { signingMethod: ci });
    await attestTraining({ model: other, recipe: paths.recipe, datasets: [paths.wiki], builderId: BUILDER }, ci);
    await writeFile(attestations, await readFile(join(other, 'model.intoto.jsonl')));
    expect(await lineage()).toMatchObject({ status: 1, verdict: 'failed', codes: ['ATTESTATION_SUBJECT_MISMATCH'] });
  });

  it('fails (exit 1) when two provenance attestations for the model disagree', async () => {
    await attestTraining({ model: paths.model, recipe: paths.recipe, datasets: [paths.wiki], builderId: BUILDER }, ci);
    expect(await lineage()).toMatchObject({ status: 1, verdict: 'failed', codes: ['PROVENANCE_CONFLICT'] });
  });

  it('fails (exit 1) on a provenance dependency with no digest', async () => {
    const model = await identifyArtifact(paths.model, 'model');
    const recipe = await identifyArtifact(paths.recipe, 'recipe');
    const dataset = await identifyArtifact(paths.wiki, 'dataset');
    const statement = buildTrainingProvenance({ model, recipe, datasets: [dataset], builderId: BUILDER });
    const dependencies = statement.predicate.buildDefinition.resolvedDependencies as { digest?: unknown; uri?: string }[];
    const datasetDependency = dependencies[1];
    if (datasetDependency !== undefined) {
      delete datasetDependency.digest;
      datasetDependency.uri = 'hf://datasets/org/wiki';
    }
    await writeFile(join(paths.model, 'model.intoto.jsonl'), '');
    await appendAttestation(join(paths.model, 'model.intoto.jsonl'), signDsseBundle(Buffer.from(JSON.stringify(statement)), IN_TOTO_PAYLOAD_TYPE, ci));
    expect(await lineage()).toMatchObject({ status: 1, verdict: 'failed', codes: ['DEPENDENCY_WITHOUT_DIGEST'] });
  });

  it('denies (exit 3) a model with no provenance, and an unsigned dataset', async () => {
    await writeFile(join(paths.model, 'model.intoto.jsonl'), '');
    expect(await lineage()).toMatchObject({ status: 3, verdict: 'denied', codes: ['MISSING_PROVENANCE'] });
  });

  it('denies (exit 3) an unsigned dataset', async () => {
    const { rm } = await import('node:fs/promises');
    await rm(join(paths.code, 'dataset.sig'));
    expect(await lineage()).toMatchObject({ status: 3, verdict: 'denied', codes: ['UNSIGNED_ARTIFACT'] });
  });

  it('fails (exit 1) when two trusted dataset cards disagree, whatever their order', async () => {
    await attestDataset(paths.code, card('GPL-3.0-only', 'yes'), dataTeam);
    expect(await lineage()).toMatchObject({ status: 1, verdict: 'failed', codes: ['DATASET_CARD_CONFLICT'] });
    const attestations = join(paths.code, 'dataset.intoto.jsonl');
    const reversed = (await readFile(attestations, 'utf8')).trim().split('\n').reverse().join('\n');
    await writeFile(attestations, `${reversed}\n`);
    expect(await lineage()).toMatchObject({ status: 1, verdict: 'failed', codes: ['DATASET_CARD_CONFLICT'] });
  });

  it('denies (exit 3) a dataset that declares sensitive personal information', async () => {
    await writeFile(join(paths.code, 'dataset.intoto.jsonl'), '');
    await attestDataset(paths.code, card('MIT', 'yes'), dataTeam);
    await writeFile(paths.policy, policyYaml({ licenses: 'MIT' }));
    expect(await lineage()).toMatchObject({ status: 3, verdict: 'denied', codes: ['FORBIDDEN_DATA'] });
  });
});
