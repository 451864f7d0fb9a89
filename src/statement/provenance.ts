/**
 * SLSA Provenance v1 (https://slsa.dev/spec/v1.0/provenance), validated the way the in-toto Go
 * validator does (go/predicates/provenance/v1), and aiprov's training profile on top of it: the
 * build type `https://aiprov.dev/training/v1`, whose subject is a trained model and whose resolved
 * dependencies carry `annotations.role` (docs/FORMATS.md, "Training provenance").
 */
import { z } from 'zod';
import { InputError } from '../errors.js';
import { issueMessage, ProblemsError } from '../input/problem.js';
import {
  digestProblem,
  fieldErrors,
  ResourceDescriptorSchema,
  validateStatement,
  withErrorCode,
  type ResourceDescriptor,
  type StatementV1,
} from './in-toto.js';
import { IN_TOTO_STATEMENT_V1 } from './statement.js';

export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
/** The one build type aiprov writes for a training run. */
export const AIPROV_TRAINING_BUILD_TYPE = 'https://aiprov.dev/training/v1';

/** What a resolved dependency of a training run is, in `annotations.role`. */
export const DEPENDENCY_ROLES = ['dataset', 'base-model', 'code', 'container', 'recipe'] as const;
export type DependencyRole = (typeof DEPENDENCY_ROLES)[number];

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

// ---------------------------------------------------------------------------------------------
// SLSA Provenance v1 predicate
// ---------------------------------------------------------------------------------------------


/**
 * The Go validator's tests expect `"buildDefinition": {}` to fail as a missing buildDefinition
 * (ErrBuildDefinitionRequired), and likewise for runDetails and builder: an object with no field
 * carries nothing, so it is treated as absent.
 */
function absentIfEmpty(value: unknown): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0 ? undefined : value;
}

/** SLSA `Timestamp`: RFC 3339 (the spec shows UTC `Z`; offsets are what protobuf also accepts). */
const TimestampSchema = z.iso.datetime({ offset: true, error: 'must be an RFC 3339 timestamp' });

const BuilderSchema = z.looseObject(
  {
    id: z.string(fieldErrors('a string')).min(1, 'is required'),
    builderDependencies: z.array(ResourceDescriptorSchema).optional(),
    version: z.record(z.string(), z.string()).optional(),
  },
  fieldErrors('a JSON object'),
);

const BuildMetadataSchema = z.looseObject({
  invocationId: z.string().optional(),
  startedOn: TimestampSchema.optional(),
  finishedOn: TimestampSchema.optional(),
});

/** Fields in the Go validator's order: buildDefinition before runDetails, type before parameters. */
const BuildDefinitionSchema = z.looseObject(
  {
    buildType: z.string(fieldErrors('a string')).min(1, 'is required'),
    externalParameters: z.record(z.string(), z.unknown(), fieldErrors('a JSON object')),
    internalParameters: z.record(z.string(), z.unknown()).optional(),
    resolvedDependencies: z.array(ResourceDescriptorSchema).optional(),
  },
  fieldErrors('a JSON object'),
);

const RunDetailsSchema = z.looseObject(
  {
    builder: z.preprocess(absentIfEmpty, BuilderSchema),
    metadata: BuildMetadataSchema.optional(),
    byproducts: z.array(ResourceDescriptorSchema).optional(),
  },
  fieldErrors('a JSON object'),
);

export const SlsaProvenancePredicateSchema = withErrorCode(
  'PROVENANCE_INVALID',
  z.looseObject(
    {
      buildDefinition: z.preprocess(absentIfEmpty, BuildDefinitionSchema),
      runDetails: z.preprocess(absentIfEmpty, RunDetailsSchema),
    },
    fieldErrors('a JSON object'),
  ),
);

export type SlsaProvenancePredicate = z.output<typeof SlsaProvenancePredicateSchema>;
export type ProvenanceStatement = StatementV1 & { readonly predicateType: typeof SLSA_PROVENANCE_V1; readonly predicate: SlsaProvenancePredicate };

/**
 * Validates a SLSA Provenance v1 predicate on its own. Throws InputError PROVENANCE_INVALID (or the
 * descriptor / digest codes of `in-toto.ts` for a bad dependency, builder dependency or byproduct).
 */
export function validateProvenancePredicate(json: unknown): SlsaProvenancePredicate {
  const parsed = SlsaProvenancePredicateSchema.safeParse(json, { error: issueMessage });
  if (!parsed.success) throw ProblemsError.fromZod(parsed.error, { source: 'provenance', code: 'PROVENANCE_INVALID' });
  return parsed.data;
}

/** Validates a whole statement whose predicate must be SLSA Provenance v1. */
export function validateProvenanceStatement(json: unknown): ProvenanceStatement {
  const statement = validateStatement(json);
  if (statement.predicateType !== SLSA_PROVENANCE_V1) {
    throw new InputError('UNSUPPORTED_PREDICATE_TYPE', `statement: predicateType: is ${JSON.stringify(statement.predicateType)}, expected ${SLSA_PROVENANCE_V1}`);
  }
  const parsed = SlsaProvenancePredicateSchema.safeParse(statement.predicate, { error: issueMessage });
  if (!parsed.success) throw ProblemsError.fromZod(parsed.error, { source: 'statement', code: 'PROVENANCE_INVALID', basePath: ['predicate'] });
  return { ...statement, predicateType: SLSA_PROVENANCE_V1, predicate: parsed.data };
}

// ---------------------------------------------------------------------------------------------
// aiprov training profile: build
// ---------------------------------------------------------------------------------------------

/** An artifact aiprov hashed: its name and its manifest root digest (sha256 hex). */
export interface ArtifactRef {
  readonly name: string;
  readonly rootDigest: string;
}

export interface ArtifactSource extends ArtifactRef {
  /** Where it can be fetched, e.g. `hf://datasets/org/name@rev` or an https URL. */
  readonly uri?: string;
}

export interface TrainingProvenanceInput {
  readonly model: ArtifactRef;
  readonly recipe: ArtifactSource;
  readonly datasets: readonly ArtifactSource[];
  readonly baseModel?: ArtifactSource;
  readonly code?: { readonly uri: string; readonly gitCommit: string };
  /** An OCI image; `sha256` is its manifest digest, with or without the `sha256:` prefix. */
  readonly container?: { readonly uri: string; readonly sha256: string };
  readonly hyperparameters?: Readonly<Record<string, JsonValue>>;
  readonly entrypoint?: string;
  /** SLSA `builder.id`, a URI: the CI workflow or the trainer. */
  readonly builderId: string;
  readonly invocationId?: string;
  readonly startedOn?: Date | string;
  readonly finishedOn?: Date | string;
  /** Eval reports, logs, … produced by the run, by digest. */
  readonly byproducts?: readonly { readonly name: string; readonly sha256: string }[];
}

export interface TrainingProvenanceStatement {
  readonly _type: typeof IN_TOTO_STATEMENT_V1;
  readonly subject: [{ readonly name: string; readonly digest: { readonly sha256: string } }];
  readonly predicateType: typeof SLSA_PROVENANCE_V1;
  readonly predicate: SlsaProvenancePredicate;
}

/**
 * Builds the in-toto Statement v1 recording a training run: subject = the model (name, sha256 root
 * digest); every input is a resolved dependency tagged with its role, so a verifier can follow the
 * model's lineage to its datasets, recipe and base model by digest. The result is parsed back with
 * `parseTrainingProvenance` before it is returned: aiprov never signs what it could not verify.
 * Throws InputError (DIGEST_INVALID, PROVENANCE_INVALID) naming the input field at fault.
 */
export function buildTrainingProvenance(input: TrainingProvenanceInput): TrainingProvenanceStatement {
  requireText(input.model.name, 'model.name');
  requireDigest('sha256', input.model.rootDigest, 'model.rootDigest');
  const recipe = artifactDescriptor(input.recipe, 'recipe', 'recipe');
  if (input.datasets.length === 0) throw new InputError('PROVENANCE_INVALID', 'training provenance: datasets: name at least one dataset');
  const datasets = input.datasets.map((dataset, index) => artifactDescriptor(dataset, 'dataset', `datasets[${String(index)}]`));
  const dependencies: ResourceDescriptor[] = [recipe, ...datasets];
  if (input.baseModel !== undefined) dependencies.push(artifactDescriptor(input.baseModel, 'base-model', 'baseModel'));
  if (input.code !== undefined) {
    requireText(input.code.uri, 'code.uri');
    requireDigest('gitCommit', input.code.gitCommit, 'code.gitCommit');
    dependencies.push({ uri: input.code.uri, digest: { gitCommit: input.code.gitCommit }, annotations: { role: 'code' } });
  }
  if (input.container !== undefined) {
    requireText(input.container.uri, 'container.uri');
    // OCI tooling prints digests as `sha256:<hex>`; the DigestSet key already names the algorithm.
    const sha256 = input.container.sha256.replace(/^sha256:/, '');
    requireDigest('sha256', sha256, 'container.sha256');
    dependencies.push({ uri: input.container.uri, digest: { sha256 }, annotations: { role: 'container' } });
  }

  const externalParameters: Record<string, unknown> = { recipe: { name: input.recipe.name, ...optionalUri(input.recipe.uri), digest: { sha256: input.recipe.rootDigest } } };
  if (input.entrypoint !== undefined) {
    requireText(input.entrypoint, 'entrypoint');
    externalParameters.entrypoint = input.entrypoint;
  }
  if (input.hyperparameters !== undefined) {
    const parsed = HyperparametersSchema.safeParse(input.hyperparameters, { error: issueMessage });
    if (!parsed.success) throw ProblemsError.fromZod(parsed.error, { source: 'training provenance', code: 'PROVENANCE_INVALID', basePath: ['hyperparameters'] });
    externalParameters.hyperparameters = parsed.data;
  }

  if (!URL.canParse(input.builderId)) throw new InputError('PROVENANCE_INVALID', `training provenance: builderId: ${JSON.stringify(input.builderId)} is not a URI`);
  const metadata: Record<string, string> = {};
  if (input.invocationId !== undefined) metadata.invocationId = input.invocationId;
  if (input.startedOn !== undefined) metadata.startedOn = timestamp(input.startedOn, 'startedOn');
  if (input.finishedOn !== undefined) metadata.finishedOn = timestamp(input.finishedOn, 'finishedOn');
  const byproducts = (input.byproducts ?? []).map((byproduct, index) => {
    requireText(byproduct.name, `byproducts[${String(index)}].name`);
    requireDigest('sha256', byproduct.sha256, `byproducts[${String(index)}].sha256`);
    return { name: byproduct.name, digest: { sha256: byproduct.sha256 } };
  });

  const statement: TrainingProvenanceStatement = {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: input.model.name, digest: { sha256: input.model.rootDigest } }],
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: { buildType: AIPROV_TRAINING_BUILD_TYPE, externalParameters, resolvedDependencies: dependencies },
      runDetails: {
        builder: { id: input.builderId },
        ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
        ...(byproducts.length > 0 ? { byproducts } : {}),
      },
    },
  };
  parseTrainingProvenance(statement);
  return statement;
}

function artifactDescriptor(source: ArtifactSource, role: 'dataset' | 'base-model' | 'recipe', field: string): ResourceDescriptor {
  requireText(source.name, `${field}.name`);
  requireDigest('sha256', source.rootDigest, `${field}.rootDigest`);
  return { name: source.name, ...optionalUri(source.uri), digest: { sha256: source.rootDigest }, annotations: { role } };
}

function optionalUri(uri: string | undefined): { uri?: string } {
  if (uri === undefined) return {};
  requireText(uri, 'uri');
  return { uri };
}

function requireText(value: string, field: string): void {
  if (value === '') throw new InputError('PROVENANCE_INVALID', `training provenance: ${field}: is empty`);
}

function requireDigest(algorithm: string, value: string, field: string): void {
  const problem = digestProblem(algorithm, value);
  if (problem !== undefined) throw new InputError('DIGEST_INVALID', `training provenance: ${field}: ${algorithm} digest ${problem}`);
}

function timestamp(value: Date | string, field: string): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new InputError('PROVENANCE_INVALID', `training provenance: ${field}: invalid date`);
    return value.toISOString();
  }
  if (!TimestampSchema.safeParse(value).success) throw new InputError('PROVENANCE_INVALID', `training provenance: ${field}: ${JSON.stringify(value)} is not an RFC 3339 timestamp`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// aiprov training profile: parse
// ---------------------------------------------------------------------------------------------

/** A dependency that is an artifact aiprov hashes (dataset, base model, recipe): found by root digest. */
export interface ArtifactDependency {
  readonly role: 'dataset' | 'base-model' | 'recipe';
  readonly name: string;
  readonly uri: string | undefined;
  readonly rootDigest: string;
}

export interface CodeDependency {
  readonly role: 'code';
  readonly uri: string;
  readonly gitCommit: string;
}

export interface ContainerDependency {
  readonly role: 'container';
  readonly uri: string;
  readonly sha256: string;
}

export type TrainingDependency = ArtifactDependency | CodeDependency | ContainerDependency;

export interface TrainingProvenance {
  readonly model: ArtifactRef;
  readonly recipe: ArtifactDependency;
  readonly datasets: readonly ArtifactDependency[];
  readonly baseModels: readonly ArtifactDependency[];
  readonly code: readonly CodeDependency[];
  readonly containers: readonly ContainerDependency[];
  /** Every dependency, in statement order. */
  readonly dependencies: readonly TrainingDependency[];
  readonly entrypoint: string | undefined;
  readonly hyperparameters: Readonly<Record<string, JsonValue>> | undefined;
  /** All external parameters, including any the trainer added beyond recipe/entrypoint/hyperparameters. */
  readonly externalParameters: Readonly<Record<string, unknown>>;
  readonly builderId: string;
  readonly invocationId: string | undefined;
  readonly startedOn: string | undefined;
  readonly finishedOn: string | undefined;
  readonly byproducts: readonly { readonly name: string; readonly sha256: string }[];
  readonly statement: ProvenanceStatement;
}

const HyperparametersSchema = z.record(z.string(), z.json());

/** The profile's external parameters; the trainer may add its own (docs/FORMATS.md). */
const TrainingExternalParametersSchema = z.looseObject({
  recipe: z.looseObject(
    {
      name: z.string(fieldErrors('a string')).min(1, 'is empty'),
      digest: z.looseObject({ sha256: z.string('needs a sha256 digest (the recipe root digest)') }, fieldErrors('a JSON object')),
    },
    fieldErrors('a ResourceDescriptor'),
  ),
  entrypoint: z.string().min(1, 'is empty').optional(),
  hyperparameters: HyperparametersSchema.optional(),
});

const DEPENDENCIES_PATH = 'predicate.buildDefinition.resolvedDependencies';

/**
 * Reads a training provenance statement, strictly: on top of in-toto and SLSA validity, the build
 * type must be aiprov's, there is exactly one subject (the model, by sha256 root), and every
 * resolved dependency has a known role and the digest that role is matched by. A dependency
 * without a digest is refused: lineage follows digests, and a dependency named only by a mutable
 * name or URI would let whoever controls that name swap the data after the fact.
 */
export function parseTrainingProvenance(json: unknown): TrainingProvenance {
  const statement = validateProvenanceStatement(json);
  // aiprov has only ever written this profile in Statement v1; the legacy type accepted by
  // validateStatement would only widen what a forged document may look like.
  if (statement._type !== IN_TOTO_STATEMENT_V1) throw new InputError('STATEMENT_INVALID_TYPE', `statement: _type: must be ${IN_TOTO_STATEMENT_V1}`);
  const { buildDefinition, runDetails } = statement.predicate;
  if (buildDefinition.buildType !== AIPROV_TRAINING_BUILD_TYPE) {
    throw new InputError(
      'UNSUPPORTED_BUILD_TYPE',
      `statement: predicate.buildDefinition.buildType: is ${JSON.stringify(buildDefinition.buildType)}, expected ${AIPROV_TRAINING_BUILD_TYPE}`,
    );
  }

  // One subject: a provenance naming several models would let one run vouch for artifacts it may
  // not have produced, and lineage needs to know which model the dependencies belong to.
  const [model, ...others] = statement.subject;
  if (model === undefined || others.length > 0) {
    throw invalid('subject', `a training provenance has exactly one subject (the model), found ${String(statement.subject.length)}`);
  }
  const modelDigest = model.digest?.sha256;
  if (modelDigest === undefined) throw invalid('subject[0].digest', 'needs a sha256 digest (the model root digest)');
  if ((model.name ?? '') === '') throw invalid('subject[0].name', 'is required');

  const external = TrainingExternalParametersSchema.safeParse(buildDefinition.externalParameters, { error: issueMessage });
  if (!external.success) {
    throw ProblemsError.fromZod(external.error, { source: 'statement', code: 'PROVENANCE_INVALID', basePath: ['predicate', 'buildDefinition', 'externalParameters'] });
  }

  const dependencies = (buildDefinition.resolvedDependencies ?? []).map((descriptor, index) => trainingDependency(descriptor, `${DEPENDENCIES_PATH}[${String(index)}]`));
  const artifactsOf = (role: ArtifactDependency['role']): ArtifactDependency[] => dependencies.filter((dependency): dependency is ArtifactDependency => dependency.role === role);
  const recipes = artifactsOf('recipe');
  const datasets = artifactsOf('dataset');
  const [recipe, ...extraRecipes] = recipes;
  if (recipe === undefined || extraRecipes.length > 0) throw invalid(DEPENDENCIES_PATH, `needs exactly one dependency with role "recipe", found ${String(recipes.length)}`);
  if (datasets.length === 0) throw invalid(DEPENDENCIES_PATH, 'needs at least one dependency with role "dataset"');
  // The recipe appears twice (as the parameter the trainer was given and as a resolved
  // dependency); if they disagreed a verifier checking one would be shown the other.
  if (external.data.recipe.digest.sha256 !== recipe.rootDigest) {
    throw invalid('predicate.buildDefinition.externalParameters.recipe.digest.sha256', 'differs from the digest of the "recipe" dependency');
  }

  const { metadata } = runDetails;
  if (metadata?.startedOn !== undefined && metadata.finishedOn !== undefined && Date.parse(metadata.finishedOn) < Date.parse(metadata.startedOn)) {
    throw invalid('predicate.runDetails.metadata.finishedOn', 'is before startedOn');
  }
  if (!URL.canParse(runDetails.builder.id)) throw invalid('predicate.runDetails.builder.id', `${JSON.stringify(runDetails.builder.id)} is not a URI`);

  const byproducts = (runDetails.byproducts ?? []).map((byproduct, index) => {
    const sha256 = byproduct.digest?.sha256;
    if ((byproduct.name ?? '') === '' || sha256 === undefined) throw invalid(`predicate.runDetails.byproducts[${String(index)}]`, 'needs a name and a sha256 digest');
    return { name: byproduct.name ?? '', sha256 };
  });

  return {
    model: { name: model.name ?? '', rootDigest: modelDigest },
    recipe,
    datasets,
    baseModels: artifactsOf('base-model'),
    code: dependencies.filter((dependency): dependency is CodeDependency => dependency.role === 'code'),
    containers: dependencies.filter((dependency): dependency is ContainerDependency => dependency.role === 'container'),
    dependencies,
    entrypoint: external.data.entrypoint,
    hyperparameters: external.data.hyperparameters,
    externalParameters: buildDefinition.externalParameters,
    builderId: runDetails.builder.id,
    invocationId: metadata?.invocationId,
    startedOn: metadata?.startedOn,
    finishedOn: metadata?.finishedOn,
    byproducts,
    statement,
  };
}

function isDependencyRole(value: unknown): value is DependencyRole {
  return typeof value === 'string' && (DEPENDENCY_ROLES as readonly string[]).includes(value);
}

function trainingDependency(descriptor: ResourceDescriptor, path: string): TrainingDependency {
  const role = descriptor.annotations?.role;
  if (!isDependencyRole(role)) {
    throw new InputError('DEPENDENCY_ROLE_INVALID', `statement: ${path}.annotations.role: is ${JSON.stringify(role ?? null)}, expected one of ${DEPENDENCY_ROLES.join(', ')}`);
  }
  const digest = descriptor.digest ?? {};
  if (Object.keys(digest).length === 0) throw new InputError('DEPENDENCY_WITHOUT_DIGEST', `statement: ${path}.digest: the ${role} dependency has no digest`);
  const uri = descriptor.uri === undefined || descriptor.uri === '' ? undefined : descriptor.uri;
  switch (role) {
    case 'dataset':
    case 'base-model':
    case 'recipe': {
      // Artifacts are matched by the sha256 root of their aiprov/OMS manifest; another algorithm
      // alone cannot be followed to the artifact's own attestations.
      const rootDigest = requireDependencyDigest(digest, 'sha256', role, path);
      if ((descriptor.name ?? '') === '') throw invalid(`${path}.name`, `the ${role} dependency needs a name`);
      return { role, name: descriptor.name ?? '', uri, rootDigest };
    }
    case 'code': {
      const gitCommit = requireDependencyDigest(digest, 'gitCommit', role, path);
      if (uri === undefined) throw invalid(`${path}.uri`, 'the code dependency needs a uri');
      return { role, uri, gitCommit };
    }
    case 'container': {
      const sha256 = requireDependencyDigest(digest, 'sha256', role, path);
      if (uri === undefined) throw invalid(`${path}.uri`, 'the container dependency needs a uri');
      return { role, uri, sha256 };
    }
  }
}

function requireDependencyDigest(digest: Readonly<Record<string, string>>, algorithm: string, role: DependencyRole, path: string): string {
  const value = digest[algorithm];
  if (value === undefined) throw new InputError('DEPENDENCY_WITHOUT_DIGEST', `statement: ${path}.digest: the ${role} dependency has no ${algorithm} digest`);
  return value;
}

function invalid(path: string, message: string): InputError {
  return new InputError('PROVENANCE_INVALID', `statement: ${path}: ${message}`);
}
