import { basename } from 'node:path';
import { isAiprovError } from '../errors.js';
import { computeManifestWith, resolveSerialization } from '../manifest/compute.js';
import { computeRootDigest, type Serialization } from '../manifest/manifest.js';
import { buildDatasetCardStatement, type DatasetCard } from '../statement/dataset-card.js';
import { manifestFromStatement } from '../statement/oms.js';
import { buildTrainingProvenance, type TrainingProvenanceInput } from '../statement/provenance.js';
import { parseStatement } from '../statement/parse.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../statement/statement.js';
import { readBundleFile, type BundleJson } from '../format/bundle.js';
import { artifactFiles, artifactMetadataIgnores, pathInsideArtifact, type ArtifactKind } from '../format/artifact-kind.js';
import { appendAttestation } from '../format/attestation-file.js';
import { requireSomeResource } from './artifact-manifest.js';
import { signDssePayload, type SigningMethod } from './signer.js';

/** An artifact named by its root digest, the way every attestation names it. */
export interface ArtifactIdentity {
  readonly path: string;
  readonly name: string;
  /** sha256 hex of the manifest root. */
  readonly rootDigest: string;
  readonly serialization: Serialization;
}

/**
 * Computes an artifact's root digest the way its own signature did, when it has one: the same
 * hash, method, shard size and ignore paths, so that an attestation names exactly the digest a
 * verifier of that signature recomputes. The signature is only read for its parameters here;
 * lineage verification authenticates it later. Without a signature, the defaults of `sign`.
 */
export async function identifyArtifact(path: string, kind: ArtifactKind): Promise<ArtifactIdentity> {
  const files = await artifactFiles(path, kind);
  const ignores = await artifactMetadataIgnores(path, kind);
  let serialization: Serialization;
  try {
    const bundle = await readBundleFile(files.signaturePath);
    const signatureInside = pathInsideArtifact(path, files.signaturePath);
    const signed = manifestFromStatement(parseStatement(Buffer.from(bundle.dsseEnvelope?.payload ?? '', 'base64')), signatureInside === undefined ? [] : [signatureInside]);
    serialization = { ...signed.serialization, ignorePaths: [...new Set([...signed.serialization.ignorePaths, ...ignores])].sort() };
  } catch (error) {
    if (!(isAiprovError(error) && error.code === 'FILE_NOT_FOUND')) throw error;
    serialization = resolveSerialization({}, ignores);
  }
  const manifest = await computeManifestWith(path, serialization);
  // An attestation about no file names the root every empty folder has.
  requireSomeResource(path, manifest.resources.length);
  return { path, name: manifest.name, rootDigest: computeRootDigest(manifest.resources), serialization };
}

export interface AttestationResult {
  readonly attestationsPath: string;
  readonly predicateType: string;
  readonly subject: { readonly name: string; readonly digest: string };
  readonly bundle: BundleJson;
}

async function signAndStore(statement: { readonly predicateType: string; readonly subject: readonly { readonly name: string; readonly digest: { readonly sha256: string } }[] }, attestationsPath: string, signingMethod: SigningMethod): Promise<AttestationResult> {
  const bundle = await signDssePayload(Buffer.from(JSON.stringify(statement), 'utf8'), IN_TOTO_PAYLOAD_TYPE, signingMethod);
  await appendAttestation(attestationsPath, bundle);
  const [subject] = statement.subject;
  return { attestationsPath, predicateType: statement.predicateType, subject: { name: subject?.name ?? '', digest: `sha256:${subject?.digest.sha256 ?? ''}` }, bundle };
}

/** Signs a dataset card whose subject is the dataset's root digest and stores it beside the dataset. */
export async function attestDataset(datasetPath: string, card: DatasetCard, signingMethod: SigningMethod): Promise<AttestationResult> {
  const dataset = await identifyArtifact(datasetPath, 'dataset');
  const statement = buildDatasetCardStatement(card, { name: dataset.name, rootDigest: dataset.rootDigest });
  return signAndStore(statement, (await artifactFiles(datasetPath, 'dataset')).attestationsPath, signingMethod);
}

/**
 * What `attestTraining` is given: the provenance's inputs, with the model, recipe, datasets and
 * base model named by their paths (their root digests are computed here).
 */
export interface TrainingInputs extends Omit<TrainingProvenanceInput, 'model' | 'recipe' | 'datasets' | 'baseModel'> {
  readonly model: string;
  readonly recipe: string;
  readonly datasets: readonly string[];
  readonly baseModel?: string;
  /** Where each input can be fetched, by its path as given (default: a `file:` name). */
  readonly uris?: Readonly<Record<string, string>>;
}

/**
 * Records how a model was trained: SLSA Provenance v1 whose subject is the model's root digest and
 * whose dependencies name the recipe, each dataset and the base model by their root digests.
 */
export async function attestTraining(inputs: TrainingInputs, signingMethod: SigningMethod): Promise<AttestationResult> {
  const [model, recipe, datasets, baseModel] = await Promise.all([
    identifyArtifact(inputs.model, 'model'),
    identifyArtifact(inputs.recipe, 'recipe'),
    Promise.all(inputs.datasets.map((path) => identifyArtifact(path, 'dataset'))),
    inputs.baseModel === undefined ? Promise.resolve(undefined) : identifyArtifact(inputs.baseModel, 'model'),
  ]);
  const source = (artifact: ArtifactIdentity): { name: string; rootDigest: string; uri?: string } => {
    const uri = inputs.uris?.[artifact.path];
    return { name: artifact.name || basename(artifact.path), rootDigest: artifact.rootDigest, ...(uri === undefined ? {} : { uri }) };
  };
  const { model: _model, recipe: _recipe, datasets: _datasets, baseModel: _baseModel, uris: _uris, ...facts } = inputs;
  const provenanceInput: TrainingProvenanceInput = {
    ...facts,
    model: { name: model.name, rootDigest: model.rootDigest },
    recipe: source(recipe),
    datasets: datasets.map(source),
    ...(baseModel === undefined ? {} : { baseModel: source(baseModel) }),
  };
  return signAndStore(buildTrainingProvenance(provenanceInput), (await artifactFiles(inputs.model, 'model')).attestationsPath, signingMethod);
}
