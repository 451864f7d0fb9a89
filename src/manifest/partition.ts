/**
 * Partitioning an artifact's resources over N machines (`digest --partition K/N`, `verify
 * --partition K/N`): which resources part K hashes, and a digest of the whole listing that every
 * part records, so that a merge can tell parts of one listing from parts of another.
 *
 * The unit is the resource of the serialization: a whole file (`files`), or a shard
 * `path:start:end` (`shards`), so that one huge file spreads over machines. The partition depends
 * only on the listing (names and sizes), never on the machine: the same listing gives the same
 * parts everywhere.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import { compareResources, parseShardName, type Resource, type Serialization } from './manifest.js';

/** Part `index` (1-based, as `jest --shard=1/3`) of `count`. */
export interface Partition {
  readonly index: number;
  readonly count: number;
}

/** More parts than this is a typing mistake, not a cluster; it also bounds the merge's work. */
export const MAX_PARTITION_COUNT = 10_000;

/** Refuses a partition that is not part K of N with 1 ≤ K ≤ N ≤ MAX_PARTITION_COUNT (USAGE, exit 2). */
export function checkPartition(partition: Partition): void {
  const { index, count } = partition;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || index < 1 || index > count || count > MAX_PARTITION_COUNT) {
    throw new InputError('USAGE', `the partition must be K/N with 1 <= K <= N <= ${String(MAX_PARTITION_COUNT)}, got ${String(index)}/${String(count)}`);
  }
}

/** A resource before it is hashed: its name and its length in bytes. */
export interface Unit {
  readonly name: string;
  readonly size: number;
}

/** A resource with its length in bytes (a merged manifest: `sign --manifest` checks sizes against the disk). */
export interface SizedResource extends Resource {
  readonly size: number;
}

/** What every part of one listing records about the whole of it. */
export interface ListingSummary {
  /** `sha256:<hex>` over every unit's name and size (see `listingDigest`). */
  readonly digest: string;
  readonly resourceCount: number;
  readonly bytes: number;
}

/**
 * The units of a walked artifact, in OMS order: one per file, or one per `shardSize` bytes of
 * each file (an empty file has no shard, as in model_signing and `computeManifestWith`).
 */
export function listingUnits(files: readonly Unit[], serialization: Pick<Serialization, 'method' | 'shardSize'>): Unit[] {
  const units: Unit[] = [];
  const { shardSize } = serialization;
  for (const file of files) {
    if (serialization.method === 'files' || shardSize === undefined) {
      units.push({ name: file.name, size: file.size });
      continue;
    }
    for (let start = 0; start < file.size; start += shardSize) {
      const end = Math.min(start + shardSize, file.size);
      units.push({ name: `${file.name}:${String(start)}:${String(end)}`, size: end - start });
    }
  }
  return sortUnits(units, serialization.method);
}

/** Units in OMS order (the order the root digest, and the partition's tie-break, depend on). */
export function sortUnits<T extends Unit>(units: readonly T[], method: Serialization['method']): T[] {
  const order = compareResources(method);
  return [...units].sort(order);
}

/** The length of a shard named `path:start:end`, from its name alone. */
export function shardLength(name: string): number | undefined {
  const shard = parseShardName(name);
  return shard === undefined ? undefined : shard.end - shard.start;
}

/**
 * `sha256:<hex>` of the listing: SHA-256 over the RFC 8785 (JCS) serialization of the array
 * `[[name, size], …]` of every unit in OMS order. For strings and safe integers JCS is exactly
 * ECMAScript's `JSON.stringify` without whitespace, which escapes lone surrogates, so a file name
 * that is not UTF-8 (see walk.ts `fileNameOf`) keeps a distinct encoding. Streamed: 100,000 files
 * never become one string.
 */
export function summarizeListing(units: readonly Unit[]): ListingSummary {
  const hash = createHash('sha256');
  let bytes = 0;
  // Fed to the hash a thousand units at a time: one native call per unit dominated the merge of
  // a part of a million resources.
  let batch = '[';
  units.forEach((unit, index) => {
    batch += `${index === 0 ? '' : ','}${JSON.stringify([unit.name, unit.size])}`;
    bytes += unit.size;
    if (index % 1000 === 999) {
      hash.update(batch, 'utf8');
      batch = '';
    }
  });
  hash.update(`${batch}]`, 'utf8');
  return { digest: `sha256:${hash.digest('hex')}`, resourceCount: units.length, bytes };
}

/**
 * The part (1-based) each unit belongs to, by index. Deterministic byte balance: units sorted by
 * size, largest first, ties in OMS order (`units` must be in OMS order), each given to the part
 * with the fewest bytes so far, ties to the lowest part number (greedy LPT scheduling: no part
 * gets more than 4/3 of the optimum).
 */
export function assignParts(units: readonly Unit[], count: number): Uint32Array {
  // One part holds everything: no need to sort a million units to learn that.
  if (count === 1) return new Uint32Array(units.length).fill(1);
  const order = units.map((_, index) => index).sort((a, b) => (units[b]?.size ?? 0) - (units[a]?.size ?? 0) || a - b);
  const parts = new Uint32Array(units.length);
  const heap = new PartHeap(count);
  for (const index of order) parts[index] = heap.addToLightest(units[index]?.size ?? 0);
  return parts;
}

/**
 * A binary min-heap of parts keyed by (bytes, part number): the lightest part, and of equally
 * light parts the lowest numbered, is always at the top. O(log N) per unit, so 100,000 files over
 * 10,000 parts stay instant.
 */
class PartHeap {
  private readonly loads: number[];
  private readonly parts: number[];

  constructor(count: number) {
    // Parts 1..N with equal (zero) loads in increasing order already form a valid heap.
    this.loads = new Array<number>(count).fill(0);
    this.parts = Array.from({ length: count }, (_, index) => index + 1);
  }

  /** Adds `size` bytes to the lightest part and returns its number. */
  addToLightest(size: number): number {
    const part = this.parts[0] ?? 1;
    this.loads[0] = (this.loads[0] ?? 0) + size;
    this.siftDown(0);
    return part;
  }

  private less(a: number, b: number): boolean {
    const loadA = this.loads[a] ?? 0;
    const loadB = this.loads[b] ?? 0;
    return loadA < loadB || (loadA === loadB && (this.parts[a] ?? 0) < (this.parts[b] ?? 0));
  }

  private siftDown(start: number): void {
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < this.parts.length && this.less(left, smallest)) smallest = left;
      if (right < this.parts.length && this.less(right, smallest)) smallest = right;
      if (smallest === index) return;
      this.swap(index, smallest);
      index = smallest;
    }
  }

  private swap(a: number, b: number): void {
    [this.loads[a], this.loads[b]] = [this.loads[b] ?? 0, this.loads[a] ?? 0];
    [this.parts[a], this.parts[b]] = [this.parts[b] ?? 0, this.parts[a] ?? 0];
  }
}
