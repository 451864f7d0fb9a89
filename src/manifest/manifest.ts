import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import type { HashType } from '../hashing/hash-type.js';
import { compareResourcePaths } from '../hashing/walk.js';

export type SerializationMethod = 'files' | 'shards';

/** How an artifact was turned into resources (OMS `predicate.serialization`). */
export interface Serialization {
  readonly method: SerializationMethod;
  readonly hashType: HashType;
  readonly allowSymlinks: boolean;
  /** POSIX paths relative to the artifact, sorted. */
  readonly ignorePaths: readonly string[];
  /** Bytes per shard; only for the `shards` method. */
  readonly shardSize?: number;
}

/** One entry of `predicate.resources`: a file, or a shard `path:start:end`. */
export interface Resource {
  readonly name: string;
  readonly algorithm: string;
  /** Lowercase hex. */
  readonly digest: string;
}

export interface Manifest {
  /** The artifact's name: the subject name of the statement. */
  readonly name: string;
  readonly serialization: Serialization;
  /** In OMS order (see `compareResources`). */
  readonly resources: readonly Resource[];
}

/** Hex length of a resource digest, by content hash (blake2b is model_signing's 64-byte default). */
export const DIGEST_HEX_LENGTH: Readonly<Record<HashType, number>> = { sha256: 64, blake2b: 128, blake3: 64 };

/** The `algorithm` field model_signing writes for a resource. */
export function resourceAlgorithm(serialization: Serialization): string {
  return serialization.method === 'shards' ? `${serialization.hashType}-sharded-${String(serialization.shardSize)}` : serialization.hashType;
}

export interface ShardName {
  readonly path: string;
  readonly start: number;
  readonly end: number;
}

/** Splits `path:start:end` from the right: the path itself may contain colons. */
export function parseShardName(name: string): ShardName | undefined {
  const match = /^(.*):(0|[1-9][0-9]*):(0|[1-9][0-9]*)$/s.exec(name);
  if (match === null) return undefined;
  const [, path = '', start = '', end = ''] = match;
  const startNumber = Number(start);
  const endNumber = Number(end);
  if (!Number.isSafeInteger(startNumber) || !Number.isSafeInteger(endNumber) || endNumber < startNumber) return undefined;
  return { path, start: startNumber, end: endNumber };
}

/** The shard's file path for `shards` manifests, the name itself otherwise. */
export function resourcePath(name: string, method: SerializationMethod): string {
  return method === 'shards' ? (parseShardName(name)?.path ?? name) : name;
}

/**
 * model_signing orders items by path (component-wise) and shards of one file by their numeric
 * start, so "f:8:16" precedes "f:16:23". The root digest depends on this order.
 */
export function compareResources(method: SerializationMethod): (left: Pick<Resource, 'name'>, right: Pick<Resource, 'name'>) => number {
  if (method === 'files') return (left, right) => compareResourcePaths(left.name, right.name);
  return (left, right) => {
    const a = parseShardName(left.name);
    const b = parseShardName(right.name);
    if (a === undefined || b === undefined) return compareResourcePaths(left.name, right.name);
    return compareResourcePaths(a.path, b.path) || a.start - b.start || a.end - b.end;
  };
}

/**
 * The artifact's identity: sha256 over the raw resource digests concatenated in the given order
 * (OMS v1.0: the statement subject digest). Always sha256, whatever the content hash.
 */
export function computeRootDigest(resources: readonly Resource[]): string {
  const hash = createHash('sha256');
  for (const resource of resources) hash.update(Buffer.from(resource.digest, 'hex'));
  return hash.digest('hex');
}

/**
 * The SHA-256 (hex) of the resource list itself: each resource's name, algorithm and digest, in
 * the given order, as the JSON array `[[name, algorithm, digest], …]`. The root digest binds only
 * the contents, in order: renaming `training_args.bin` to `pytorch_model.bin` (or moving a file to
 * another folder) keeps it when the order holds. A verification summary records this digest too,
 * so that a gate binds the names as `verify` does.
 */
export function computeResourcesDigest(resources: readonly Resource[]): string {
  return createHash('sha256').update(JSON.stringify(resources.map((resource) => [resource.name, resource.algorithm, resource.digest])), 'utf8').digest('hex');
}

/**
 * Rejects resource names that could make a verifier look outside the artifact or that are
 * ambiguous: absolute paths, `..` or empty components, backslashes, NUL and other control
 * characters, and duplicates. Runs on every manifest read from a bundle, before any file access.
 */
export function checkResourceNames(resources: readonly Resource[], method: SerializationMethod): void {
  const seen = new Set<string>();
  for (const resource of resources) {
    if (seen.has(resource.name)) {
      throw new InputError('DUPLICATE_RESOURCE', `the manifest lists ${JSON.stringify(resource.name)} twice`, { path: resource.name });
    }
    seen.add(resource.name);
    if (method === 'shards' && parseShardName(resource.name) === undefined) {
      throw new InputError('BAD_RESOURCE_NAME', `shard resource ${JSON.stringify(resource.name)} is not of the form path:start:end`, { path: resource.name });
    }
    const path = resourcePath(resource.name, method);
    const problem = unsafePathReason(path);
    if (problem !== undefined) {
      throw new InputError('RESOURCE_PATH_ESCAPES', `resource ${JSON.stringify(resource.name)} ${problem}`, { path: resource.name });
    }
  }
}

function unsafePathReason(path: string): string | undefined {
  if (path === '.') return undefined;
  if (path === '') return 'is empty';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'contains a control character';
  if (path.includes('\\')) return 'contains a backslash';
  if (path.startsWith('/')) return 'is an absolute path';
  if (/^[A-Za-z]:/.test(path)) return 'is an absolute path';
  const parts = path.split('/');
  if (parts.includes('..')) return 'leaves the artifact (..)';
  if (parts.some((part) => part === '' || part === '.')) return 'has an empty or "." component';
  return undefined;
}

export interface ManifestDiff {
  /** On disk, not in the signed manifest. */
  readonly extra: readonly string[];
  /** In the signed manifest, not on disk. */
  readonly missing: readonly string[];
  /** In both, with different digests. */
  readonly changed: readonly string[];
}

/**
 * Compares a signed manifest with one recomputed from disk, per file (shards are grouped by
 * their file, so a changed byte reports the file, not a shard).
 */
export function diffManifests(signed: Manifest, actual: Manifest): ManifestDiff {
  const method = signed.serialization.method;
  const group = (manifest: Manifest): Map<string, string> => {
    const byPath = new Map<string, string>();
    for (const resource of [...manifest.resources].sort(compareResources(method))) {
      const path = resourcePath(resource.name, method);
      const key = method === 'shards' ? `${resource.name.slice(path.length)}=${resource.digest}` : resource.digest;
      byPath.set(path, byPath.has(path) ? `${byPath.get(path) ?? ''},${key}` : key);
    }
    return byPath;
  };
  const expected = group(signed);
  const found = group(actual);
  const extra: string[] = [];
  const missing: string[] = [];
  const changed: string[] = [];
  for (const [path, value] of found) {
    const signedValue = expected.get(path);
    if (signedValue === undefined) extra.push(path);
    else if (signedValue !== value) changed.push(path);
  }
  for (const path of expected.keys()) if (!found.has(path)) missing.push(path);
  const sorted = (list: string[]): string[] => list.sort(compareResourcePaths);
  return { extra: sorted(extra), missing: sorted(missing), changed: sorted(changed) };
}
