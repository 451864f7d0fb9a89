import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import { artifactMetadataIgnores, type ArtifactKind } from '../format/artifact-kind.js';
import { resolveArtifactPath, type HubEnvironment } from '../hashing/hub-cache.js';
import { computeManifest, computeRootDigestOf, type ManifestOptions, type RootDigestResult } from '../manifest/compute.js';
import type { Manifest } from '../manifest/manifest.js';

/**
 * What `sign` would hash, without signing: the same ignore paths (every signature and
 * attestations file of the artifact left out), so `aiprov digest --kind K` prints the root of
 * the signature `aiprov sign --kind K` writes. Kept apart from `sign-artifact.ts` so `digest`
 * does not load the signing stack (~80 ms of start-up).
 */
export interface ArtifactManifestOptions extends ManifestOptions {
  /** Names the default signature file (`<kind>.sig`); default model. */
  readonly kind?: ArtifactKind;
  /** Where the bundle is written, when not the kind's default (it is left out too). */
  readonly signaturePath?: string;
  /** Where `hf://` references are looked up (HF_HUB_CACHE, HF_HOME, HOME); nothing is downloaded. */
  readonly hubEnvironment?: HubEnvironment;
}

export async function manifestToSign(artifactReference: string, options: ArtifactManifestOptions): Promise<Manifest> {
  const { artifactPath, extraIgnores } = await artifactToSign(artifactReference, options);
  const manifest = await computeManifest(artifactPath, options, extraIgnores);
  requireSomeResource(artifactPath, manifest.resources.length);
  return manifest;
}

/** `manifestToSign`'s root digest alone, keeping nothing per file (`aiprov digest`). */
export async function rootDigestToSign(artifactReference: string, options: ArtifactManifestOptions): Promise<RootDigestResult> {
  const { artifactPath, extraIgnores } = await artifactToSign(artifactReference, options);
  const result = await computeRootDigestOf(artifactPath, options, extraIgnores);
  requireSomeResource(artifactPath, result.resourceCount);
  return result;
}

/**
 * OMS v1.0 §6.1: a model is at least one file. The root of no resources is the SHA-256 of nothing,
 * the same for every empty folder: a signature, an attestation or a digest of it names nothing,
 * and verification refuses such a manifest. `sign`, `attest` and `digest` refuse it alike.
 */
export function requireSomeResource(artifactPath: string, resourceCount: number): void {
  if (resourceCount > 0) return;
  throw new InputError('EMPTY_ARTIFACT', `${artifactPath} holds no file (every file is ignored or the directory is empty); OMS v1.0 §6.1: an artifact is at least one file`, { path: artifactPath });
}

async function artifactToSign(artifactReference: string, options: ArtifactManifestOptions): Promise<{ artifactPath: string; extraIgnores: string[] }> {
  const artifactPath = await resolveArtifactPath(artifactReference, options.hubEnvironment);
  const signaturePath = options.signaturePath === undefined ? undefined : resolve(options.signaturePath);
  return { artifactPath, extraIgnores: await artifactMetadataIgnores(artifactPath, options.kind ?? 'model', signaturePath) };
}
