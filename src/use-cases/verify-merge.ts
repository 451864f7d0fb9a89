import { isDeepStrictEqual } from 'node:util';
import { VerificationError } from '../errors.js';
import { compareResourcePaths } from '../hashing/walk.js';
import { compareResources, computeRootDigest, resourceAlgorithm, type ManifestDiff, type Resource } from '../manifest/manifest.js';
import { checkPartSet, type Sourced } from '../manifest/merge-parts.js';
import { readVerifyPart, type VerifyPartJson } from './partition-files.js';

/** The verdict over every part of a partitioned verification (`verify --merge`). */
export interface MergedVerification {
  /** True only when every part is there once, each passed, and together they checked every signed resource. */
  readonly verified: boolean;
  readonly name: string;
  readonly rootDigest: string;
  readonly bundleDigest: string;
  readonly predicateType: string;
  readonly serialization: VerifyPartJson['serialization'];
  readonly signer: VerifyPartJson['signer'];
  readonly resourceCount: number;
  readonly partitionCount: number;
  readonly parts: readonly MergedPart[];
  /** The parts' diffs together: each file once, sorted. */
  readonly diff: ManifestDiff;
  /** The parts' findings, each once (every part reports the same missing and unsigned files). */
  readonly findings: VerifyPartJson['findings'];
}

export interface MergedPart {
  readonly index: number;
  readonly passed: boolean;
  readonly source: string;
  readonly artifactPath: string;
  readonly checkedResourceCount: number;
}

type SourcedVerifyPart = Sourced<VerifyPartJson>;

/** `verify --merge RESULT…`: reads every part's result, then merges them (see `mergeVerifyParts`). */
export async function mergeVerifyPartFiles(paths: readonly [string, ...string[]]): Promise<MergedVerification> {
  const read = async (source: string): Promise<SourcedVerifyPart> => ({ source, part: await readVerifyPart(source) });
  const [first, ...others] = paths;
  return mergeVerifyParts(await Promise.all([read(first), ...others.map(read)]));
}

/**
 * Merges the results of `verify --partition K/N`. Anything that keeps the parts from being one
 * whole verification is a failed verification (exit 1), never a pass: PART_FOREIGN (another
 * bundle, root, serialization, signer or N: every part must verify the same bundle bytes with
 * the same trust), PART_DUPLICATE, PART_MISSING, PART_OVERLAP (a resource checked twice), and
 * PARTS_UNION_MISMATCH (the checked resources are not exactly the signed ones: their count, or
 * the root rebuilt from their signed digests, differs). A part that failed makes the result
 * `verified: false`, with that part's findings.
 */
function mergeVerifyParts(parts: readonly [SourcedVerifyPart, ...SourcedVerifyPart[]]): MergedVerification {
  const [first] = parts;
  const reference = first.part;
  const count = reference.partition.count;
  checkPartSet(parts, foreignField, (code, message, path) => new VerificationError(code, message, path === undefined ? {} : { path }), {
    foreign: 'the same verification',
    missing: () => 'the artifact is not verified until every part is',
  });

  const checkedBy = new Map<string, string>();
  const algorithm = resourceAlgorithm(reference.serialization);
  const union: Resource[] = [];
  for (const { source, part } of parts) {
    for (const resource of part.checkedResources) {
      const other = checkedBy.get(resource.name);
      if (other !== undefined) throw new VerificationError('PART_OVERLAP', `${JSON.stringify(resource.name)} was checked by both ${other} and ${source}`, { path: resource.name });
      checkedBy.set(resource.name, source);
      union.push({ name: resource.name, algorithm, digest: resource.digest });
    }
  }
  union.sort(compareResources(reference.serialization.method));
  const root = `sha256:${computeRootDigest(union)}`;
  if (union.length !== reference.resourceCount || root !== reference.rootDigest) {
    throw new VerificationError('PARTS_UNION_MISMATCH', `the parts checked ${String(union.length)} resources with root ${root}; the signature lists ${String(reference.resourceCount)} with root ${reference.rootDigest}`);
  }

  const ordered = [...parts].sort((a, b) => a.part.partition.index - b.part.partition.index);
  const each = (pick: (diff: ManifestDiff) => readonly string[]): string[] => [...new Set(ordered.flatMap(({ part }) => pick(part.diff)))].sort(compareResourcePaths);
  const seen = new Set<string>();
  const findings = ordered.flatMap(({ part }) => part.findings).filter((finding) => {
    const key = JSON.stringify([finding.code, finding.severity, finding.category, finding.path, finding.fields]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return {
    verified: ordered.every(({ part }) => part.passed),
    name: reference.name,
    rootDigest: reference.rootDigest,
    bundleDigest: reference.bundleDigest,
    predicateType: reference.predicateType,
    serialization: reference.serialization,
    signer: reference.signer,
    resourceCount: reference.resourceCount,
    partitionCount: count,
    parts: ordered.map(({ source, part }) => ({ index: part.partition.index, passed: part.passed, source, artifactPath: part.artifactPath, checkedResourceCount: part.checkedResources.length })),
    diff: { extra: each((diff) => diff.extra), missing: each((diff) => diff.missing), changed: each((diff) => diff.changed) },
    findings,
  };
}

function foreignField(reference: VerifyPartJson, part: VerifyPartJson): string | undefined {
  if (part.partition.count !== reference.partition.count) return `part count (${String(part.partition.count)}, not ${String(reference.partition.count)})`;
  if (part.bundleDigest !== reference.bundleDigest) return `bundle (${part.bundleDigest}, not ${reference.bundleDigest})`;
  if (part.rootDigest !== reference.rootDigest || part.resourceCount !== reference.resourceCount) return `signed root (${part.rootDigest}, not ${reference.rootDigest})`;
  if (part.name !== reference.name || part.predicateType !== reference.predicateType || !isDeepStrictEqual(part.serialization, reference.serialization)) return 'signed name, predicate type or serialization';
  if (!isDeepStrictEqual(part.signer, reference.signer)) return 'signer (verify every part with the same trust)';
  return undefined;
}
