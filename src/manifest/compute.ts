import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import { hashArtifactStream, type HashedResource } from '../hashing/artifact-hashing.js';
import { DEFAULT_SHARD_SIZE, type HashJob, type HashProgress, type StreamTotals } from '../hashing/hash-jobs.js';
import type { KnownDigests } from '../hashing/known-digests.js';
import type { HashType } from '../hashing/hash-type.js';
import { DEFAULT_IGNORED_PATHS } from '../hashing/walk.js';
import { normalizeIgnorePath, resolveIgnorePaths } from './ignore-paths.js';
import { resourceAlgorithm, type Manifest, type Resource, type Serialization, type SerializationMethod } from './manifest.js';

export interface ManifestOptions {
  readonly method?: SerializationMethod;
  readonly hashType?: HashType;
  readonly shardSize?: number;
  /** Extra paths to leave out, relative to the artifact (whole components). */
  readonly ignorePaths?: readonly string[];
  readonly allowSymlinks?: boolean;
  readonly allowExternalSymlinks?: boolean;
  /**
   * Totals are of the files listed so far: a large artifact is hashed while it is still being
   * listed (`listingComplete` false until the walk ends).
   */
  readonly onProgress?: (progress: HashProgress & StreamTotals) => void;
  readonly signal?: AbortSignal;
  /**
   * Digests known without reading the files (`sign --incremental`, `sign/digest-cache/`): opened
   * with the resolved serialization before the walk, closed after the last digest. Verification
   * never passes one.
   */
  readonly knownDigests?: (serialization: Serialization) => Promise<KnownDigests & { close(): Promise<void> }>;
}

/** Resolves options into the serialization parameters recorded in a signature. */
export function resolveSerialization(options: ManifestOptions, extraIgnores: readonly string[] = []): Serialization {
  const method = options.method ?? 'files';
  const shardSize = options.shardSize ?? DEFAULT_SHARD_SIZE;
  if (method === 'shards' && (!Number.isSafeInteger(shardSize) || shardSize <= 0)) {
    throw new InputError('BAD_SHARD_SIZE', `shard size must be a positive integer, got ${String(options.shardSize)}`);
  }
  const ignorePaths = [...new Set([...DEFAULT_IGNORED_PATHS, ...(options.ignorePaths ?? []).map(normalizeIgnorePath), ...extraIgnores.map(normalizeIgnorePath)])].sort();
  return {
    method,
    hashType: options.hashType ?? 'sha256',
    allowSymlinks: options.allowSymlinks ?? false,
    ignorePaths,
    ...(method === 'shards' ? { shardSize } : {}),
  };
}

export interface ComputeOptions extends Pick<ManifestOptions, 'allowExternalSymlinks' | 'onProgress' | 'signal' | 'knownDigests'> {
  /** Decides which listed files are hashed (the verifier skips unsigned ones when asked to). */
  readonly selectFiles?: (name: string) => boolean;
  /**
   * Chooses which resources are hashed, given every resource of the listing (its name, a file or
   * a shard `path:start:end`, and its length in bytes, from the one walk that is hashed): a part of
   * a partitioned digest hashes only its share, down to single shards of a big file.
   */
  readonly selectResources?: (resources: readonly { readonly name: string; readonly size: number }[]) => ReadonlySet<string>;
}

/** Walks and hashes an artifact into a manifest with the given serialization. */
export async function computeManifestWith(artifactPath: string, serialization: Serialization, options: ComputeOptions = {}): Promise<Manifest> {
  const algorithm = resourceAlgorithm(serialization);
  const resources: Resource[] = [];
  const name = await hashArtifact(artifactPath, serialization, options, ({ file, start, end, digest }) => {
    resources.push({ name: serialization.method === 'shards' ? `${file}:${String(start)}:${String(end)}` : file, algorithm, digest: digest.toString('hex') });
  });
  return { name, serialization, resources };
}

export interface RootDigestResult {
  /** The artifact's name (the statement subject name). */
  readonly name: string;
  /** Hex sha256 over the resource digests in OMS order (see `computeRootDigest`). */
  readonly rootDigest: string;
  readonly resourceCount: number;
}

/**
 * The root digest alone, folded as the digests come: nothing is kept per file, so memory stays
 * the same for a million files as for ten (`aiprov digest` without `--json`).
 */
export async function computeRootDigestWith(artifactPath: string, serialization: Serialization, options: ComputeOptions = {}): Promise<RootDigestResult> {
  const root = createHash('sha256');
  let resourceCount = 0;
  const name = await hashArtifact(artifactPath, serialization, { ...options, digestsOnly: true }, ({ digest }) => {
    root.update(digest);
    resourceCount++;
  });
  return { name, rootDigest: root.digest('hex'), resourceCount };
}

/** Walks and hashes the artifact, reporting each resource's digest in OMS order; returns its name. */
async function hashArtifact(artifactPath: string, serialization: Serialization, options: ComputeOptions & { readonly digestsOnly?: boolean }, onResource: (resource: HashedResource) => void): Promise<string> {
  const walkOptions = {
    ignorePaths: serialization.ignorePaths,
    allowSymlinks: serialization.allowSymlinks,
    ...(options.allowExternalSymlinks === undefined ? {} : { allowExternalSymlinks: options.allowExternalSymlinks }),
  };
  const { selectResources } = options;
  const nameOf = (job: HashJob): string => (serialization.method === 'shards' ? `${job.file.name}:${String(job.start)}:${String(job.end)}` : job.file.name);
  const knownDigests = await options.knownDigests?.(serialization);
  const name = await hashArtifactStream(artifactPath, walkOptions, {
    hashType: serialization.hashType,
    shardSize: serialization.method === 'shards' ? serialization.shardSize : undefined,
    onResource,
    ...(options.selectFiles === undefined ? {} : { selectFiles: options.selectFiles }),
    ...(options.digestsOnly === true ? { digestsOnly: true } : {}),
    ...(selectResources === undefined
      ? {}
      : {
          selectJobs: (jobs: readonly HashJob[]) => {
            const selected = selectResources(jobs.map((job) => ({ name: nameOf(job), size: job.end - job.start })));
            return jobs.filter((job) => selected.has(nameOf(job)));
          },
        }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(knownDigests === undefined ? {} : { knownDigests }),
  });
  await knownDigests?.close();
  return name;
}

/**
 * Computes the manifest of a file or directory (the OMS serialization). `options.ignorePaths` are
 * a user's (resolved and checked by `resolveIgnorePaths`); `extraIgnores` are metadata paths
 * relative to the artifact, left out whether or not they exist (a signature not yet written).
 */
export async function computeManifest(artifactPath: string, options: ManifestOptions = {}, extraIgnores: readonly string[] = []): Promise<Manifest> {
  return computeManifestWith(artifactPath, await serializationFor(artifactPath, options, extraIgnores), options);
}

/** `computeManifest`'s root digest alone, in memory that does not grow with the artifact. */
export async function computeRootDigestOf(artifactPath: string, options: ManifestOptions = {}, extraIgnores: readonly string[] = []): Promise<RootDigestResult> {
  return computeRootDigestWith(artifactPath, await serializationFor(artifactPath, options, extraIgnores), options);
}

async function serializationFor(artifactPath: string, options: ManifestOptions, extraIgnores: readonly string[]): Promise<Serialization> {
  const ignorePaths = await resolveIgnorePaths(artifactPath, options.ignorePaths ?? []);
  return resolveSerialization({ ...options, ignorePaths }, extraIgnores);
}
