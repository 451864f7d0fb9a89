import { isDeepStrictEqual } from 'node:util';
import { InputError } from '../errors.js';
import { artifactMetadataIgnores } from '../format/artifact-kind.js';
import { resolveSerialization } from '../manifest/compute.js';
import { resolveIgnorePaths } from '../manifest/ignore-paths.js';
import { checkManifestListing } from '../manifest/listing-check.js';
import { checkResourceNames, type Serialization } from '../manifest/manifest.js';
import type { SizedManifest } from '../manifest/merge-parts.js';
import { signArtifact, type SignArtifactOptions, type SignArtifactResult } from './sign-artifact.js';

/**
 * `sign PATH --manifest MERGED`: signs a manifest merged from parts hashed on other machines
 * instead of hashing PATH. What is signed is what `sign PATH` with the same flags would sign:
 *
 * - the manifest's serialization must be the one `sign` would record here (the flags given, and
 *   for `--hash`, `--method` and `--shard-size` not given, the manifest's; the ignore paths with
 *   every `<kind>.sig` and attestations file left out): MANIFEST_SERIALIZATION_MISMATCH, exit 2;
 * - it must list exactly PATH's files and sizes (a stat-only walk): MANIFEST_FILE_EXTRA,
 *   MANIFEST_FILE_MISSING, MANIFEST_SIZE_MISMATCH, MANIFEST_SHARDS_MISMATCH, exit 1;
 * - its name must be PATH's, unless `--name` names the subject: MANIFEST_NAME_MISMATCH;
 * - its resource names pass the checks `digest --merge` runs before it prints a manifest, and
 *   every verifier runs on a signed one (`checkResourceNames`): a name listed twice is
 *   DUPLICATE_RESOURCE, an unsafe one RESOURCE_PATH_ESCAPES or BAD_RESOURCE_NAME, exit 2, before
 *   the artifact is walked or anything is signed. The listing check alone let a file listed twice,
 *   its sizes adding up to the file's, be signed.
 *
 * `options.hashType`, `method` and `shardSize` are only those the user gave.
 */
export async function signMergedManifest(artifactReference: string, merged: SizedManifest, options: Omit<SignArtifactOptions, 'manifestSource'>): Promise<SignArtifactResult> {
  checkResourceNames(merged.resources, merged.serialization.method);
  return signArtifact(artifactReference, {
    ...options,
    manifestSource: async (artifactPath, signaturePath) => {
      const given = merged.serialization;
      const expected = resolveSerialization(
        {
          method: options.method ?? given.method,
          hashType: options.hashType ?? given.hashType,
          ...(options.shardSize ?? given.shardSize) === undefined ? {} : { shardSize: options.shardSize ?? given.shardSize },
          allowSymlinks: options.allowSymlinks ?? false,
          ignorePaths: await resolveIgnorePaths(artifactPath, options.ignorePaths ?? []),
        },
        await artifactMetadataIgnores(artifactPath, options.kind ?? 'model', signaturePath),
      );
      const differs = differingSetting(given, expected);
      if (differs !== undefined) {
        throw new InputError('MANIFEST_SERIALIZATION_MISMATCH', `the manifest was hashed with ${differs.manifest}, this sign would record ${differs.sign}: ${differs.fix}`);
      }
      const name = await checkManifestListing(artifactPath, given, merged.resources, options.allowExternalSymlinks === undefined ? {} : { allowExternalSymlinks: options.allowExternalSymlinks });
      if (options.name === undefined && merged.name !== name) {
        throw new InputError('MANIFEST_NAME_MISMATCH', `the manifest names the artifact ${JSON.stringify(merged.name)}, ${artifactPath} is ${JSON.stringify(name)}; pass --name to choose the subject name`, { path: artifactPath });
      }
      return { name, serialization: given, resources: merged.resources.map((resource) => ({ name: resource.name, algorithm: resource.algorithm, digest: resource.digest })) };
    },
  });
}

/** The first setting in which two serializations differ, in the words of the flags that set it. */
function differingSetting(manifest: Serialization, sign: Serialization): { manifest: string; sign: string; fix: string } | undefined {
  const pass = 'pass the flags the parts were hashed with, or none';
  if (manifest.method !== sign.method) return { manifest: `--method ${manifest.method}`, sign: `--method ${sign.method}`, fix: pass };
  if (manifest.hashType !== sign.hashType) return { manifest: `--hash ${manifest.hashType}`, sign: `--hash ${sign.hashType}`, fix: pass };
  if (manifest.shardSize !== sign.shardSize) return { manifest: `--shard-size ${String(manifest.shardSize)}`, sign: `--shard-size ${String(sign.shardSize)}`, fix: pass };
  if (manifest.allowSymlinks !== sign.allowSymlinks) return { manifest: `allowSymlinks ${String(manifest.allowSymlinks)}`, sign: `allowSymlinks ${String(sign.allowSymlinks)}`, fix: 'pass --allow-symlinks to both digest and sign, or to neither' };
  if (!isDeepStrictEqual(manifest.ignorePaths, sign.ignorePaths)) {
    return { manifest: `ignore paths ${JSON.stringify(manifest.ignorePaths)}`, sign: JSON.stringify(sign.ignorePaths), fix: 'pass the same --kind and --ignore-paths to digest and sign' };
  }
  return undefined;
}
