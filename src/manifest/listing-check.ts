import { VerificationError, type VerificationErrorCode } from '../errors.js';
import { compareResourcePaths, walkArtifact } from '../hashing/walk.js';
import { resourcePath, type Serialization } from './manifest.js';
import { listingUnits, type SizedResource } from './partition.js';

export interface ListingCheckOptions {
  /** Follow symbolic links that leave the artifact (as the walk that made the manifest did). */
  readonly allowExternalSymlinks?: boolean;
}

interface Difference {
  readonly code: VerificationErrorCode;
  readonly path: string;
  readonly message: string;
}

/**
 * Checks, by a stat-only walk with the manifest's own serialization, that a manifest hashed
 * elsewhere lists exactly the artifact's files with their sizes (shards: exactly the ranges that
 * tile each file), so that signing it signs what `sign` would have hashed. Returns the artifact's
 * name. Throws for the first difference, in path order: MANIFEST_FILE_MISSING (listed, not on
 * disk), MANIFEST_FILE_EXTRA (on disk, not listed), MANIFEST_SIZE_MISMATCH, or
 * MANIFEST_SHARDS_MISMATCH (the right size, other ranges). Content is not read: the digests are
 * the parts' word, which every later `verify` checks.
 */
export async function checkManifestListing(artifactPath: string, serialization: Serialization, resources: readonly SizedResource[], options: ListingCheckOptions = {}): Promise<string> {
  const walked = await walkArtifact(artifactPath, {
    ignorePaths: serialization.ignorePaths,
    allowSymlinks: serialization.allowSymlinks,
    ...(options.allowExternalSymlinks === undefined ? {} : { allowExternalSymlinks: options.allowExternalSymlinks }),
  });
  const { method } = serialization;
  // Per file: the sizes and names the manifest lists for it (one entry, or its shards).
  const listed = new Map<string, { bytes: number; names: string[] }>();
  for (const resource of resources) {
    const path = resourcePath(resource.name, method);
    const entry = listed.get(path) ?? { bytes: 0, names: [] };
    entry.bytes += resource.size;
    entry.names.push(resource.name);
    listed.set(path, entry);
  }
  const differences: Difference[] = [];
  for (const file of walked.files) {
    const entry = listed.get(file.name);
    listed.delete(file.name);
    // An empty file has no shard: a shards manifest rightly does not list it.
    if (entry === undefined) {
      if (method === 'files' || file.size > 0) differences.push({ code: 'MANIFEST_FILE_EXTRA', path: file.name, message: `${JSON.stringify(file.name)} is in the artifact but not in the manifest` });
      continue;
    }
    if (entry.bytes !== file.size) {
      differences.push({ code: 'MANIFEST_SIZE_MISMATCH', path: file.name, message: `${JSON.stringify(file.name)} is ${String(file.size)} bytes on disk, the manifest lists ${String(entry.bytes)}` });
      continue;
    }
    if (method === 'shards') {
      const expected = listingUnits([file], serialization).map((unit) => unit.name);
      const names = [...entry.names].sort();
      if (expected.length !== names.length || [...expected].sort().some((name, index) => name !== names[index])) {
        differences.push({ code: 'MANIFEST_SHARDS_MISMATCH', path: file.name, message: `the manifest's shards of ${JSON.stringify(file.name)} (${String(names.length)}) do not tile it in ${String(serialization.shardSize)}-byte shards (${String(expected.length)} expected)` });
      }
    }
  }
  for (const path of listed.keys()) differences.push({ code: 'MANIFEST_FILE_MISSING', path, message: `${JSON.stringify(path)} is in the manifest but not in the artifact` });
  const [first, ...others] = differences.sort((a, b) => compareResourcePaths(a.path, b.path));
  if (first !== undefined) {
    throw new VerificationError(first.code, `${first.message}${others.length === 0 ? '' : ` (and ${String(others.length)} more difference${others.length === 1 ? '' : 's'})`}; the manifest is not of ${artifactPath}`, { path: first.path });
  }
  return walked.name;
}
