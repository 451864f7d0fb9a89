import { resolve } from 'node:path';
import { InputError, InternalError } from '../errors.js';
import type { Finding } from '../findings.js';
import { compareResourcePaths } from '../hashing/walk.js';
import { diffManifests, resourcePath, type ManifestDiff, type Resource, type Serialization } from '../manifest/manifest.js';
import { assignParts, checkPartition, shardLength, sortUnits, type Partition, type Unit } from '../manifest/partition.js';
import { OMS_LEGACY_DIGESTS_V01 } from '../statement/oms.js';
import { rehashManifest } from './rehash.js';
import type { Signer } from './signer.js';
import { attestationsNote, diffFindings, openSignature, type VerifyArtifactOptions } from './verify-artifact.js';

export interface VerifyPartResult {
  /** True when this part's checks all passed. A part alone never verifies the artifact. */
  readonly passed: boolean;
  readonly partition: Partition;
  readonly artifactPath: string;
  readonly signaturePath: string;
  /** SHA-256 (hex) of the bundle file's bytes: every part of one verification names the same. */
  readonly bundleSha256: string;
  readonly name: string;
  readonly predicateType: string;
  readonly signedRootDigest: string;
  readonly serialization: Serialization;
  readonly signer: Signer;
  /** How many resources the signature lists (all parts together). */
  readonly resourceCount: number;
  /** The signed resources this part re-hashed, with their signed digests, in OMS order. */
  readonly checked: readonly Resource[];
  /** Changed files among this part's resources; missing and unsigned files of the whole listing. */
  readonly diff: ManifestDiff;
  readonly findings: readonly Finding[];
}

/**
 * `verify PATH --partition K/N`: authenticates the signature (cheap, the whole of it) and
 * re-hashes only part K of the signed resources. The partition is that of `digest --partition`,
 * computed over the SIGNED resources: a shard's size comes from its range in the signature, a
 * file's from the walk (a missing file counts 0 bytes), so every machine that sees the same files
 * computes the same parts; a file whose size changed fails its part anyway. Missing and unsigned
 * files are reported for the whole listing by every part (the walk is stat-only); changed files
 * only by the part that holds them. `verify --merge` then requires every part, each passed, and
 * their checked resources to make up exactly the signed manifest.
 */
export async function verifyArtifactPart(artifactReference: string, partition: Partition, options: Omit<VerifyArtifactOptions, 'bundle'>): Promise<VerifyPartResult> {
  checkPartition(partition);
  const opened = await openSignature(artifactReference, options);
  const { artifactPath, signed, findings } = opened;
  const { method } = signed.serialization;
  if (opened.bundleSha256 === undefined) throw new InternalError('INTERNAL', 'a partitioned verification reads its bundle from a file');
  // Its subjects are in no canonical order, so the merge could not rebuild its root from the parts.
  if (signed.predicateType === OMS_LEGACY_DIGESTS_V01) throw new InputError('USAGE', `${opened.signaturePath} is a legacy ${OMS_LEGACY_DIGESTS_V01} signature, which cannot be verified in parts; verify it whole`, { path: opened.signaturePath });
  // Filled in by the selection callback, which runs once, between the walk and the hashing.
  const plan: { mine?: readonly Resource[]; onDisk?: ReadonlySet<string> } = {};
  const actual = await rehashManifest(artifactPath, opened.rehash, {
    ...(options.allowExternalSymlinks === undefined ? {} : { allowExternalSymlinks: options.allowExternalSymlinks }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    selectResources: (resources) => {
      const diskSizes = new Map(resources.map((resource) => [resource.name, resource.size]));
      const units: (Unit & { readonly resource: Resource })[] = sortUnits(
        signed.resources.map((resource) => ({ name: resource.name, size: (method === 'shards' ? shardLength(resource.name) : diskSizes.get(resource.name)) ?? 0, resource })),
        method,
      );
      const parts = assignParts(units, partition.count);
      plan.mine = units.filter((_, index) => parts[index] === partition.index).map((unit) => unit.resource);
      plan.onDisk = new Set(resources.map((resource) => resourcePath(resource.name, method)));
      return new Set(plan.mine.map((resource) => resource.name).filter((name) => diskSizes.has(name)));
    },
  });
  const { mine, onDisk } = plan;
  if (mine === undefined || onDisk === undefined) throw new InternalError('INTERNAL', 'the partition was never planned: the listing was not offered for selection');

  // Changed: this part's resources that differ, or whose file is there with none of the shards
  // this part expected. Missing and unsigned: the whole listing, from the walk.
  const partDiff = diffManifests({ ...signed, resources: mine }, actual);
  const sorted = (paths: Iterable<string>): string[] => [...paths].sort(compareResourcePaths);
  const changed = sorted(new Set([...partDiff.changed, ...partDiff.missing.filter((path) => onDisk.has(path))]));
  const missing = sorted([...opened.signedPaths].filter((path) => !onDisk.has(path)));
  const unsigned = sorted([...onDisk].filter((path) => !opened.signedPaths.has(path)));
  const ignoreUnsigned = options.ignoreUnsignedFiles === true;
  const diff: ManifestDiff = { extra: ignoreUnsigned ? [] : unsigned, missing, changed };
  if (ignoreUnsigned) findings.push(...unsigned.map((path): Finding => ({ code: 'UNSIGNED_FILE_IGNORED', severity: 'info', path, fields: {} })));
  findings.push(...diffFindings(diff, artifactPath), ...(await attestationsNote(opened.attestationsPath)));

  return {
    passed: !findings.some((finding) => finding.severity === 'error'),
    partition,
    artifactPath: resolve(artifactPath),
    signaturePath: opened.signaturePath,
    bundleSha256: opened.bundleSha256,
    name: signed.name,
    predicateType: signed.predicateType,
    signedRootDigest: signed.rootDigest,
    serialization: signed.serialization,
    signer: opened.signer,
    resourceCount: signed.resources.length,
    checked: mine,
    diff,
    findings,
  };
}
