import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { validateStatement } from '../../src/statement/in-toto.js';
import {
  AIPROV_TRAINING_BUILD_TYPE,
  buildTrainingProvenance,
  parseTrainingProvenance,
  SLSA_PROVENANCE_V1,
  validateProvenanceStatement,
  type TrainingProvenanceInput,
} from '../../src/statement/provenance.js';
import type { Statement } from '../../src/statement/statement.js';
import { ciEnvironmentDefaults } from '../../src/use-cases/ci-environment.js';
import { errorOf } from '../support/errors.js';

const digest = (char: string, length = 64): string => char.repeat(length);

const INPUT: TrainingProvenanceInput = {
  model: { name: 'tiny-llm', rootDigest: digest('1') },
  recipe: { name: 'recipe', rootDigest: digest('2'), uri: 'https://example.com/recipe' },
  datasets: [
    { name: 'wiki', rootDigest: digest('3'), uri: 'hf://datasets/example/wiki@abc' },
    { name: 'code', rootDigest: digest('4') },
  ],
  baseModel: { name: 'base', rootDigest: digest('5') },
  code: { uri: 'git+https://github.com/example/train@refs/heads/main', gitCommit: digest('6', 40) },
  container: { uri: 'ghcr.io/example/trainer', sha256: `sha256:${digest('7')}` },
  hyperparameters: { learningRate: 0.0003, epochs: 3, schedule: { warmup: 100 }, tags: ['a', null] },
  entrypoint: 'train.py',
  builderId: 'https://github.com/example/train/.github/workflows/train.yml@refs/heads/main',
  invocationId: 'https://github.com/example/train/actions/runs/1/attempts/1',
  startedOn: new Date('2026-01-02T03:04:05Z'),
  finishedOn: '2026-01-02T05:00:00Z',
  byproducts: [{ name: 'eval.json', sha256: digest('8') }],
};

/** A deep copy of a built statement as plain JSON, to tamper with. */
function builtJson(): { predicate: { buildDefinition: { resolvedDependencies: Record<string, unknown>[]; externalParameters: Record<string, unknown>; buildType: string }; runDetails: Record<string, unknown> }; subject: unknown[] } {
  return JSON.parse(JSON.stringify(buildTrainingProvenance(INPUT))) as ReturnType<typeof builtJson>;
}

describe('buildTrainingProvenance', () => {
  it('writes an in-toto Statement v1 with SLSA Provenance v1 and the aiprov training build type', () => {
    const statement = buildTrainingProvenance(INPUT);
    // The builder's output is what the signer signs: it must be a Statement for statement.ts too.
    const asStatement: Statement = statement;
    expect(asStatement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.subject).toEqual([{ name: 'tiny-llm', digest: { sha256: digest('1') } }]);
    expect(statement.predicateType).toBe(SLSA_PROVENANCE_V1);
    expect(statement.predicate.buildDefinition.buildType).toBe(AIPROV_TRAINING_BUILD_TYPE);
    expect(validateStatement(JSON.parse(JSON.stringify(statement)))).toBeDefined();
  });

  it('tags every resolved dependency with its role and the digest that role is matched by', () => {
    const dependencies = buildTrainingProvenance(INPUT).predicate.buildDefinition.resolvedDependencies;
    expect(dependencies).toEqual([
      { name: 'recipe', uri: 'https://example.com/recipe', digest: { sha256: digest('2') }, annotations: { role: 'recipe' } },
      { name: 'wiki', uri: 'hf://datasets/example/wiki@abc', digest: { sha256: digest('3') }, annotations: { role: 'dataset' } },
      { name: 'code', digest: { sha256: digest('4') }, annotations: { role: 'dataset' } },
      { name: 'base', digest: { sha256: digest('5') }, annotations: { role: 'base-model' } },
      { uri: 'git+https://github.com/example/train@refs/heads/main', digest: { gitCommit: digest('6', 40) }, annotations: { role: 'code' } },
      { uri: 'ghcr.io/example/trainer', digest: { sha256: digest('7') }, annotations: { role: 'container' } },
    ]);
  });

  it('leaves out what was not given', () => {
    const minimal = buildTrainingProvenance({ model: INPUT.model, recipe: { name: 'r', rootDigest: digest('2') }, datasets: [{ name: 'd', rootDigest: digest('3') }], builderId: 'https://example.com/trainer' });
    expect(minimal.predicate.runDetails).toEqual({ builder: { id: 'https://example.com/trainer' } });
    expect(minimal.predicate.buildDefinition.externalParameters).toEqual({ recipe: { name: 'r', digest: { sha256: digest('2') } } });
  });

  it.each([
    ['a model digest that is not sha256 hex', { model: { name: 'm', rootDigest: 'abc' } }, 'DIGEST_INVALID', 'model.rootDigest'],
    ['a dataset digest in uppercase', { datasets: [{ name: 'd', rootDigest: digest('A') }] }, 'DIGEST_INVALID', 'datasets[0].rootDigest'],
    ['a short git commit', { code: { uri: 'git+https://x', gitCommit: 'abc' } }, 'DIGEST_INVALID', 'code.gitCommit'],
    ['no dataset', { datasets: [] }, 'PROVENANCE_INVALID', 'datasets'],
    ['an empty dataset name', { datasets: [{ name: '', rootDigest: digest('3') }] }, 'PROVENANCE_INVALID', 'datasets[0].name'],
    ['a builder id that is not a URI', { builderId: 'my laptop' }, 'PROVENANCE_INVALID', 'builderId'],
    ['a start that is not a timestamp', { startedOn: 'yesterday' }, 'PROVENANCE_INVALID', 'startedOn'],
    ['a non-JSON hyperparameter', { hyperparameters: { lr: Number.NaN } }, 'PROVENANCE_INVALID', 'hyperparameters.lr'],
    ['a run that finished before it started', { startedOn: '2026-01-02T00:00:00Z', finishedOn: '2026-01-01T00:00:00Z' }, 'PROVENANCE_INVALID', 'finishedOn'],
  ] as const)('refuses %s', (_name, override, code, field) => {
    const error = errorOf(() => buildTrainingProvenance({ ...INPUT, ...override }));
    expect(error).toBeInstanceOf(InputError);
    expect(error?.code).toBe(code);
    expect(error?.message).toContain(field);
  });
});

describe('parseTrainingProvenance', () => {
  it('round-trips what buildTrainingProvenance writes, through JSON', () => {
    const parsed = parseTrainingProvenance(JSON.parse(JSON.stringify(buildTrainingProvenance(INPUT))));
    expect(parsed.model).toEqual({ name: 'tiny-llm', rootDigest: digest('1') });
    expect(parsed.recipe).toEqual({ role: 'recipe', name: 'recipe', uri: 'https://example.com/recipe', rootDigest: digest('2') });
    expect(parsed.datasets).toEqual([
      { role: 'dataset', name: 'wiki', uri: 'hf://datasets/example/wiki@abc', rootDigest: digest('3') },
      { role: 'dataset', name: 'code', uri: undefined, rootDigest: digest('4') },
    ]);
    expect(parsed.baseModels).toEqual([{ role: 'base-model', name: 'base', uri: undefined, rootDigest: digest('5') }]);
    expect(parsed.code).toEqual([{ role: 'code', uri: 'git+https://github.com/example/train@refs/heads/main', gitCommit: digest('6', 40) }]);
    expect(parsed.containers).toEqual([{ role: 'container', uri: 'ghcr.io/example/trainer', sha256: digest('7') }]);
    expect(parsed.dependencies.map((dependency) => dependency.role)).toEqual(['recipe', 'dataset', 'dataset', 'base-model', 'code', 'container']);
    expect(parsed.entrypoint).toBe('train.py');
    expect(parsed.hyperparameters).toEqual(INPUT.hyperparameters);
    expect(parsed.builderId).toBe(INPUT.builderId);
    expect(parsed.invocationId).toBe(INPUT.invocationId);
    expect(parsed.startedOn).toBe('2026-01-02T03:04:05.000Z');
    expect(parsed.finishedOn).toBe('2026-01-02T05:00:00Z');
    expect(parsed.byproducts).toEqual([{ name: 'eval.json', sha256: digest('8') }]);
  });

  it('keeps parameters the trainer added', () => {
    const json = builtJson();
    json.predicate.buildDefinition.externalParameters.seed = 42;
    expect(parseTrainingProvenance(json).externalParameters.seed).toBe(42);
  });

  it('refuses a dependency with no digest: lineage follows digests, a bare name can be swapped', () => {
    const json = builtJson();
    delete json.predicate.buildDefinition.resolvedDependencies[1]?.digest;
    const error = errorOf(() => parseTrainingProvenance(json));
    expect(error?.code).toBe('DEPENDENCY_WITHOUT_DIGEST');
    expect(error?.message).toContain('resolvedDependencies[1].digest');
  });

  it('refuses a dependency whose digest set is empty', () => {
    const json = builtJson();
    const dependency = json.predicate.buildDefinition.resolvedDependencies[3];
    if (dependency !== undefined) dependency.digest = {};
    expect(errorOf(() => parseTrainingProvenance(json))?.code).toBe('DEPENDENCY_WITHOUT_DIGEST');
  });

  it('refuses a dataset identified only by a digest it cannot be followed by', () => {
    const json = builtJson();
    const dependency = json.predicate.buildDefinition.resolvedDependencies[1];
    if (dependency !== undefined) dependency.digest = { sha512: digest('3', 128) };
    const error = errorOf(() => parseTrainingProvenance(json));
    expect(error?.code).toBe('DEPENDENCY_WITHOUT_DIGEST');
    expect(error?.message).toContain('sha256');
  });

  it('refuses code pinned by something else than a git commit', () => {
    const json = builtJson();
    const dependency = json.predicate.buildDefinition.resolvedDependencies[4];
    if (dependency !== undefined) dependency.digest = { sha256: digest('6') };
    expect(errorOf(() => parseTrainingProvenance(json))?.code).toBe('DEPENDENCY_WITHOUT_DIGEST');
  });

  it.each([
    ['an unknown role', { role: 'teacher-model' }],
    ['no role', {}],
    ['a role that is not a string', { role: 1 }],
  ])('refuses %s', (_name, annotations) => {
    const json = builtJson();
    const dependency = json.predicate.buildDefinition.resolvedDependencies[2];
    if (dependency !== undefined) dependency.annotations = annotations;
    const error = errorOf(() => parseTrainingProvenance(json));
    expect(error?.code).toBe('DEPENDENCY_ROLE_INVALID');
    expect(error?.message).toContain('resolvedDependencies[2].annotations.role');
  });

  it('refuses a recipe parameter that differs from the recipe dependency', () => {
    const json = builtJson();
    json.predicate.buildDefinition.externalParameters.recipe = { name: 'recipe', digest: { sha256: digest('9') } };
    const error = errorOf(() => parseTrainingProvenance(json));
    expect(error?.code).toBe('PROVENANCE_INVALID');
    expect(error?.message).toContain('externalParameters.recipe.digest.sha256');
  });

  it('refuses a second recipe', () => {
    const json = builtJson();
    json.predicate.buildDefinition.resolvedDependencies.push({ name: 'other', digest: { sha256: digest('9') }, annotations: { role: 'recipe' } });
    expect(errorOf(() => parseTrainingProvenance(json))?.code).toBe('PROVENANCE_INVALID');
  });

  it('refuses a provenance without datasets', () => {
    const json = builtJson();
    json.predicate.buildDefinition.resolvedDependencies = json.predicate.buildDefinition.resolvedDependencies.filter((dependency) => (dependency.annotations as { role: string }).role !== 'dataset');
    expect(errorOf(() => parseTrainingProvenance(json))?.code).toBe('PROVENANCE_INVALID');
  });

  it('refuses a provenance for two models', () => {
    const json = builtJson();
    json.subject.push({ name: 'other', digest: { sha256: digest('9') } });
    const error = errorOf(() => parseTrainingProvenance(json));
    expect(error?.code).toBe('PROVENANCE_INVALID');
    expect(error?.message).toContain('subject');
  });

  it('refuses another build type with its own code, so callers can skip it', () => {
    const json = builtJson();
    json.predicate.buildDefinition.buildType = 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1';
    expect(errorOf(() => parseTrainingProvenance(json))?.code).toBe('UNSUPPORTED_BUILD_TYPE');
  });

  it('refuses the legacy Statement v0.1 type that validateStatement accepts', () => {
    const json = { ...builtJson(), _type: 'https://in-toto.io/Statement/v0.1' };
    expect(errorOf(() => parseTrainingProvenance(json))?.code).toBe('STATEMENT_INVALID_TYPE');
  });

  it('refuses another predicate type', () => {
    const json = { ...builtJson(), predicateType: 'https://aiprov.dev/dataset/v1' };
    expect(errorOf(() => parseTrainingProvenance(json))?.code).toBe('UNSUPPORTED_PREDICATE_TYPE');
  });

  it('refuses an invalid SLSA predicate with the field path inside the statement', () => {
    const json = builtJson();
    json.predicate.runDetails.builder = {};
    const error = errorOf(() => validateProvenanceStatement(json));
    expect(error?.code).toBe('PROVENANCE_INVALID');
    expect(error?.message).toContain('predicate.runDetails.builder: is required');
  });

  it('refuses a timestamp that is not RFC 3339', () => {
    const json = builtJson();
    json.predicate.runDetails.metadata = { startedOn: '2 January 2026' };
    const error = errorOf(() => parseTrainingProvenance(json));
    expect(error?.code).toBe('PROVENANCE_INVALID');
    expect(error?.message).toContain('predicate.runDetails.metadata.startedOn');
  });
});

describe('ciEnvironmentDefaults', () => {
  it('reads GitHub Actions', () => {
    expect(
      ciEnvironmentDefaults({
        GITHUB_ACTIONS: 'true',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: 'example/train',
        GITHUB_WORKFLOW_REF: 'example/train/.github/workflows/train.yml@refs/heads/main',
        GITHUB_RUN_ID: '123',
        GITHUB_RUN_ATTEMPT: '2',
        GITHUB_SHA: digest('a', 40),
        GITHUB_REF: 'refs/heads/main',
      }),
    ).toEqual({
      provider: 'github-actions',
      builderId: 'https://github.com/example/train/.github/workflows/train.yml@refs/heads/main',
      invocationId: 'https://github.com/example/train/actions/runs/123/attempts/2',
      code: { uri: 'git+https://github.com/example/train@refs/heads/main', gitCommit: digest('a', 40) },
    });
  });

  it('reads GitLab CI', () => {
    expect(
      ciEnvironmentDefaults({
        GITLAB_CI: 'true',
        CI_SERVER_URL: 'https://gitlab.example.com',
        CI_PROJECT_PATH: 'group/train',
        CI_JOB_ID: '77',
        CI_JOB_URL: 'https://gitlab.example.com/group/train/-/jobs/77',
        CI_COMMIT_SHA: digest('b', 40),
        CI_COMMIT_BRANCH: 'main',
        CI_CONFIG_PATH: 'ci/train.yml',
      }),
    ).toEqual({
      provider: 'gitlab-ci',
      builderId: 'https://gitlab.example.com/group/train//ci/train.yml@refs/heads/main',
      invocationId: 'https://gitlab.example.com/group/train/-/jobs/77',
      code: { uri: 'git+https://gitlab.example.com/group/train@refs/heads/main', gitCommit: digest('b', 40) },
    });
  });

  it('builds the GitLab job URL when CI_JOB_URL is missing and prefers a tag to a branch', () => {
    const defaults = ciEnvironmentDefaults({ CI_SERVER_URL: 'https://gitlab.com/', CI_PROJECT_PATH: 'g/p', CI_JOB_ID: '5', CI_COMMIT_TAG: 'v1', CI_COMMIT_REF_NAME: 'v1' });
    expect(defaults).toEqual({ provider: 'gitlab-ci', builderId: 'https://gitlab.com/g/p//.gitlab-ci.yml@refs/tags/v1', invocationId: 'https://gitlab.com/g/p/-/jobs/5' });
  });

  it('leaves out what it cannot build instead of writing a partial URI', () => {
    expect(ciEnvironmentDefaults({ GITHUB_ACTIONS: 'true', GITHUB_SHA: 'not-a-sha' })).toEqual({ provider: 'github-actions' });
  });

  it('is undefined outside CI', () => {
    expect(ciEnvironmentDefaults({ HOME: '/root', CI: 'true' })).toBeUndefined();
  });

  it('feeds buildTrainingProvenance', () => {
    const ci = ciEnvironmentDefaults({ GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'o/r', GITHUB_WORKFLOW_REF: 'o/r/.github/workflows/t.yml@refs/tags/v1', GITHUB_RUN_ID: '9', GITHUB_SHA: digest('c', 40) });
    if (ci?.builderId === undefined || ci.code === undefined) throw new Error('expected GitHub defaults');
    const statement = buildTrainingProvenance({ ...INPUT, builderId: ci.builderId, code: ci.code, ...(ci.invocationId === undefined ? {} : { invocationId: ci.invocationId }) });
    expect(parseTrainingProvenance(statement).builderId).toBe('https://github.com/o/r/.github/workflows/t.yml@refs/tags/v1');
  });
});
