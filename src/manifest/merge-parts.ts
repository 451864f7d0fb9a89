import { isDeepStrictEqual } from 'node:util';
import { InputError, VerificationError } from '../errors.js';
import type { ManifestPart } from './compute-part.js';
import { checkResourceNames, DIGEST_HEX_LENGTH, resourceAlgorithm, type Manifest } from './manifest.js';
import { assignParts, shardLength, sortUnits, summarizeListing, type SizedResource } from './partition.js';

/** A manifest merged from parts: every resource with its size, in OMS order. */
export interface SizedManifest extends Manifest {
  readonly resources: readonly SizedResource[];
}

/** A part of either kind (a digest's, a verification's) and the file it was read from. */
export interface Sourced<Part> {
  readonly source: string;
  readonly part: Part;
}

type PartSetCode = 'PART_FOREIGN' | 'PART_DUPLICATE' | 'PART_MISSING';

/**
 * The parts are one set: each names the same whole as the first (`foreignField` says which field
 * differs, if one does), and every part 1..N is there exactly once. The error's class is the
 * caller's: bad input for `digest --merge`, a failed verification for `verify --merge`.
 */
export function checkPartSet<Part extends { readonly partition: { readonly index: number; readonly count: number } }>(
  parts: readonly [Sourced<Part>, ...Sourced<Part>[]],
  foreignField: (reference: Part, part: Part) => string | undefined,
  fail: (code: PartSetCode, message: string, path?: string) => Error,
  words: { readonly foreign: string; readonly missing: (count: number) => string },
): void {
  const [first] = parts;
  const count = first.part.partition.count;
  const byIndex = new Map<number, string>();
  for (const { source, part } of parts) {
    const differs = foreignField(first.part, part);
    if (differs !== undefined) throw fail('PART_FOREIGN', `${source} is not a part of ${words.foreign} as ${first.source}: its ${differs} differs`, source);
    const earlier = byIndex.get(part.partition.index);
    if (earlier !== undefined) throw fail('PART_DUPLICATE', `${earlier} and ${source} are both part ${String(part.partition.index)}/${String(count)}`, source);
    byIndex.set(part.partition.index, source);
  }
  const missing = Array.from({ length: count }, (_, index) => index + 1).filter((index) => !byIndex.has(index));
  if (missing.length > 0) {
    throw fail('PART_MISSING', `part${missing.length === 1 ? '' : 's'} ${listSome(missing.map(String))} of ${String(count)} ${missing.length === 1 ? 'is' : 'are'} missing; ${words.missing(count)}`);
  }
}

/** A part and the file it was read from (for messages). */
export type SourcedPart = Sourced<ManifestPart>;

/**
 * Merges the N parts of a partitioned digest into the manifest a single `digest` computes, or
 * says why they are not one whole:
 *
 * - PART_FOREIGN: a part of another listing (other files or sizes), serialization, name or N;
 * - PART_DUPLICATE, PART_MISSING: not every K in 1..N exactly once;
 * - PART_INVALID: a resource whose algorithm, digest length or shard size contradicts its part;
 * - DUPLICATE_RESOURCE: one resource twice in one part (as `checkResourceNames`, exit 2);
 * - PART_OVERLAP: one resource in two parts;
 * - PARTS_UNION_MISMATCH: the union does not reproduce the listing digest, count and bytes;
 * - PART_ASSIGNMENT_MISMATCH: a resource in another part than the partition gives it.
 *
 * The first four are a usage mistake (exit 2); the last three mean a part was altered or made by
 * something else (exit 1). A digest altered inside a part passes every check (the parts carry no
 * proof of their digests): the merged root then differs from the artifact's, which `sign
 * --manifest` cannot see but every `verify` does.
 */
export function mergeManifestParts(parts: readonly [SourcedPart, ...SourcedPart[]]): SizedManifest {
  const [first] = parts;
  const reference = first.part;
  const count = reference.partition.count;
  checkPartSet(parts, foreignField, (code, message, path) => new InputError(code, message, path === undefined ? {} : { path }), {
    foreign: 'the same digest',
    missing: (total) => `give all ${String(total)} parts`,
  });

  const { serialization } = reference;
  const algorithm = resourceAlgorithm(serialization);
  const owner = new Map<string, { readonly source: string; readonly index: number }>();
  const union: SizedResource[] = [];
  for (const { source, part } of parts) {
    for (const resource of part.resources) {
      checkResource(resource, algorithm, serialization, source);
      const other = owner.get(resource.name);
      if (other !== undefined) {
        // Twice in one part is a malformed list, refused as `checkResourceNames` (and so `sign
        // --manifest`) refuses it; in two parts, a part was altered or made by something else.
        if (other.source === source && other.index === part.partition.index) throw new InputError('DUPLICATE_RESOURCE', `${source} lists ${JSON.stringify(resource.name)} twice`, { path: resource.name });
        throw new VerificationError('PART_OVERLAP', `${JSON.stringify(resource.name)} is in both ${other.source} and ${source}`, { path: resource.name });
      }
      owner.set(resource.name, { source, index: part.partition.index });
      union.push(resource);
    }
  }

  const resources = sortUnits(union, serialization.method);
  const summary = summarizeListing(resources);
  if (!isDeepStrictEqual(summary, reference.listing)) {
    const { listing } = reference;
    throw new VerificationError('PARTS_UNION_MISMATCH', `the parts hold ${String(summary.resourceCount)} resources of ${String(summary.bytes)} bytes (listing ${summary.digest}), the listing they name has ${String(listing.resourceCount)} of ${String(listing.bytes)} bytes (${listing.digest})`);
  }
  const assigned = assignParts(resources, count);
  resources.forEach((resource, index) => {
    const holder = owner.get(resource.name);
    if (holder !== undefined && holder.index !== assigned[index]) {
      throw new VerificationError('PART_ASSIGNMENT_MISMATCH', `${holder.source} (part ${String(holder.index)}) holds ${JSON.stringify(resource.name)}, which the partition gives part ${String(assigned[index])}`, { path: resource.name });
    }
  });
  // The names are about to be signed: the same rules as a manifest read from a bundle.
  checkResourceNames(resources, serialization.method);
  return { name: reference.name, serialization, resources };
}

function foreignField(reference: ManifestPart, part: ManifestPart): string | undefined {
  if (part.partition.count !== reference.partition.count) return `part count (${String(part.partition.count)}, not ${String(reference.partition.count)})`;
  if (part.listing.digest !== reference.listing.digest || part.listing.resourceCount !== reference.listing.resourceCount || part.listing.bytes !== reference.listing.bytes) return 'listing (the files or their sizes)';
  if (!isDeepStrictEqual(part.serialization, reference.serialization)) return 'serialization (--hash, --method, --shard-size, ignore paths or --allow-symlinks)';
  if (part.name !== reference.name) return `artifact name (${JSON.stringify(part.name)}, not ${JSON.stringify(reference.name)})`;
  return undefined;
}

function checkResource(resource: SizedResource, algorithm: string, serialization: ManifestPart['serialization'], source: string): void {
  const invalid = (why: string): InputError => new InputError('PART_INVALID', `${source}: resource ${JSON.stringify(resource.name)} ${why}`, { path: source });
  if (resource.algorithm !== algorithm) throw invalid(`has algorithm ${JSON.stringify(resource.algorithm)}, the part's serialization says ${JSON.stringify(algorithm)}`);
  if (resource.digest.length !== DIGEST_HEX_LENGTH[serialization.hashType]) throw invalid(`has a digest of ${String(resource.digest.length)} hex digits; ${serialization.hashType} has ${String(DIGEST_HEX_LENGTH[serialization.hashType])}`);
  if (serialization.method === 'shards') {
    const length = shardLength(resource.name);
    if (length === undefined) throw invalid('is not a shard path:start:end');
    if (length !== resource.size || length > (serialization.shardSize ?? 0)) throw invalid(`has size ${String(resource.size)}; its range is ${String(length)} bytes and a shard at most ${String(serialization.shardSize)}`);
  }
}

/** The first few items of a list, and how many more. */
export function listSome(items: readonly string[], limit = 5): string {
  const shown = items.slice(0, limit).join(', ');
  return items.length > limit ? `${shown} and ${String(items.length - limit)} more` : shown;
}
