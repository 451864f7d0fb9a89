/**
 * `aiprov attest dataset|training`: what the commands read besides the artifacts themselves —
 * the dataset card, the hyperparameters file, byproducts to record by digest — and the training
 * run's facts that a CI job already knows (builder, run, commit), which fill what the user left out.
 */
import { InputError } from '../errors.js';
import { parseDocument } from '../input/document.js';
import { isJsonObject } from '../input/json-object.js';
import { readBoundedText } from '../input/read-bounded.js';
import { computeManifest } from '../manifest/compute.js';
import { attestDataset, attestTraining, type AttestationResult, type TrainingInputs } from '../sign/attest.js';
import type { SigningMethod } from '../sign/signer.js';
import { MAX_DATASET_CARD_BYTES, parseDatasetCard } from '../statement/dataset-card.js';
import type { JsonValue } from '../statement/provenance.js';
import { ciEnvironmentDefaults } from './ci-environment.js';
import { MAX_HYPERPARAMETERS_BYTES } from './limits.js';

export async function attestDatasetCardFile(datasetPath: string, cardPath: string, signingMethod: SigningMethod): Promise<AttestationResult> {
  const card = parseDatasetCard(await readBoundedText(cardPath, { maxBytes: MAX_DATASET_CARD_BYTES, kind: 'DATASET_CARD', what: 'dataset card' }), cardPath);
  return attestDataset(datasetPath, card, signingMethod);
}

export interface TrainingRunOptions extends Omit<TrainingInputs, 'builderId' | 'hyperparameters' | 'byproducts'> {
  /** Default in GitHub Actions and GitLab CI: the workflow (from `env`). */
  readonly builderId?: string;
  /** A JSON or YAML file holding an object of hyperparameters. */
  readonly hyperparametersPath?: string;
  /** Files recorded by SHA-256 (eval reports, logs). */
  readonly byproductPaths?: readonly string[];
  /** The environment a CI job runs in, read for the builder, run and commit defaults. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export async function attestTrainingRun(options: TrainingRunOptions, signingMethod: SigningMethod): Promise<AttestationResult> {
  const { env, hyperparametersPath, byproductPaths, builderId: givenBuilderId, ...inputs } = options;
  const ci = ciEnvironmentDefaults(env);
  const builderId = givenBuilderId ?? ci?.builderId;
  if (builderId === undefined) throw new InputError('USAGE', 'attest training needs --builder-id outside GitHub Actions, GitLab CI, Buildkite, CircleCI and Cloud Build');
  const code = inputs.code ?? ci?.code;
  const invocationId = inputs.invocationId ?? ci?.invocationId;
  return attestTraining(
    {
      ...inputs,
      builderId,
      ...(code === undefined ? {} : { code }),
      ...(invocationId === undefined ? {} : { invocationId }),
      ...(hyperparametersPath === undefined ? {} : { hyperparameters: await readHyperparameters(hyperparametersPath) }),
      ...(byproductPaths === undefined ? {} : { byproducts: await Promise.all(byproductPaths.map(byproductDigest)) }),
    },
    signingMethod,
  );
}

async function readHyperparameters(path: string): Promise<Record<string, JsonValue>> {
  const text = await readBoundedText(path, { maxBytes: MAX_HYPERPARAMETERS_BYTES, kind: 'HYPERPARAMETERS', what: 'hyperparameters file' });
  const { value } = parseDocument(text, { source: path, errorCode: 'HYPERPARAMETERS_INVALID' });
  if (!isJsonObject(value)) throw new InputError('HYPERPARAMETERS_INVALID', `${path} must hold an object of hyperparameters`, { path });
  return value as Record<string, JsonValue>;
}

async function byproductDigest(path: string): Promise<{ name: string; sha256: string }> {
  const manifest = await computeManifest(path);
  const [file] = manifest.resources;
  if (file === undefined || manifest.resources.length !== 1) throw new InputError('USAGE', `--byproduct ${path}: a byproduct is one file`, { path });
  return { name: manifest.name, sha256: file.digest };
}
