import { artifactMetadataIgnores, type ArtifactKind } from '../format/artifact-kind.js';
import { resolveArtifactPath, type HubEnvironment } from '../hashing/hub-cache.js';
import { computeManifestPart, type ManifestPart } from '../manifest/compute-part.js';
import { resolveSerialization, type ManifestOptions } from '../manifest/compute.js';
import { resolveIgnorePaths } from '../manifest/ignore-paths.js';
import { mergeManifestParts, type SizedManifest, type SourcedPart } from '../manifest/merge-parts.js';
import type { Partition } from '../manifest/partition.js';
import { readDigestPart } from './partition-files.js';

export interface DigestPartOptions extends ManifestOptions {
  /** Whose signature and attestations files to leave out, as `sign --kind` leaves them out. */
  readonly kind?: ArtifactKind;
  readonly hubEnvironment?: HubEnvironment;
}

/**
 * `digest PATH --partition K/N`: part K of the manifest `sign` would sign (the same ignore paths
 * as `manifestToSign`: every signature and attestations file left out), hashing only that part.
 */
export async function digestPart(artifactReference: string, partition: Partition, options: DigestPartOptions): Promise<ManifestPart> {
  const artifactPath = await resolveArtifactPath(artifactReference, options.hubEnvironment);
  const ignorePaths = await resolveIgnorePaths(artifactPath, options.ignorePaths ?? []);
  const serialization = resolveSerialization({ ...options, ignorePaths }, await artifactMetadataIgnores(artifactPath, options.kind ?? 'model'));
  return computeManifestPart(artifactPath, serialization, partition, options);
}

/** `digest --merge PART…`: reads every part file, then merges them (see `mergeManifestParts`). */
export async function mergeDigestPartFiles(paths: readonly [string, ...string[]]): Promise<SizedManifest> {
  const read = async (source: string): Promise<SourcedPart> => ({ source, part: await readDigestPart(source) });
  const [first, ...others] = paths;
  return mergeManifestParts(await Promise.all([read(first), ...others.map(read)]));
}
