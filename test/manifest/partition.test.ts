import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignParts, checkPartition, listingUnits, sortUnits, summarizeListing, type Unit } from '../../src/manifest/partition.js';

const parts = (units: readonly Unit[], count: number): number[] => [...assignParts(units, count)];

describe('assignParts: a deterministic, byte-balanced partition', () => {
  it('gives each unit, largest first, to the lightest part, ties to the lowest part number and in OMS order', () => {
    const units = [
      { name: 'a', size: 5 },
      { name: 'b', size: 10 },
      { name: 'c', size: 5 },
      { name: 'd', size: 3 },
      { name: 'e', size: 3 },
    ];
    // b→1 (10); a→2 (5, tie with 3 at 0 → lower); c→3 (5); d→2 (ties 2,3 at 5 → lower); e→3.
    expect(parts(units, 3)).toEqual([2, 1, 3, 2, 3]);
    expect(parts(units, 1)).toEqual([1, 1, 1, 1, 1]);
    // More parts than units: the extra parts stay empty.
    expect(parts(units, 7)).toEqual([2, 1, 3, 4, 5]);
  });

  it('does not depend on the order the units come in once they are in OMS order', () => {
    fc.assert(fc.property(
      fc.uniqueArray(fc.record({ name: fc.stringMatching(/^[a-z]{1,6}(\/[a-z]{1,6}){0,2}$/), size: fc.nat({ max: 1000 }) }), { selector: (unit) => unit.name, maxLength: 40 }),
      fc.integer({ min: 1, max: 8 }),
      (units, count) => {
        const sorted = sortUnits(units, 'files');
        const shuffled = sortUnits([...units].reverse(), 'files');
        expect(parts(shuffled, count)).toEqual(parts(sorted, count));
      },
    ));
  });

  it('balances: no part exceeds the lightest by more than the largest unit', () => {
    fc.assert(fc.property(fc.array(fc.nat({ max: 10_000 }), { maxLength: 200 }), fc.integer({ min: 1, max: 16 }), (sizes, count) => {
      const units = sizes.map((size, index) => ({ name: `f${String(index).padStart(4, '0')}`, size }));
      const loads = new Array<number>(count).fill(0);
      assignParts(units, count).forEach((part, index) => {
        loads[part - 1] = (loads[part - 1] ?? 0) + (units[index]?.size ?? 0);
      });
      expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(Math.max(0, ...sizes));
    }));
  });

  it('handles 100,000 units over 10,000 parts quickly', () => {
    const units = Array.from({ length: 100_000 }, (_, index) => ({ name: `f${String(index)}`, size: (index * 7919) % 100_003 }));
    const started = performance.now();
    const assigned = assignParts(units, 10_000);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(new Set(assigned).size).toBe(10_000);
  });
});

describe('listingUnits and summarizeListing', () => {
  it('shards tile each file; an empty file has no shard; the order is OMS order', () => {
    const files = [{ name: 'b', size: 20 }, { name: 'a/x', size: 8 }, { name: 'empty', size: 0 }];
    expect(listingUnits(files, { method: 'shards', shardSize: 8 })).toEqual([
      { name: 'a/x:0:8', size: 8 },
      { name: 'b:0:8', size: 8 },
      { name: 'b:8:16', size: 8 },
      { name: 'b:16:20', size: 4 },
    ]);
    expect(listingUnits(files, { method: 'files' }).map((unit) => unit.name)).toEqual(['a/x', 'b', 'empty']);
  });

  it('the listing digest is SHA-256 over the JCS array [[name, size], …], and names that are not UTF-8 stay distinct', () => {
    const units = [{ name: 'a', size: 1 }, { name: 'dir/é', size: 22 }];
    const expected = createHash('sha256').update('[["a",1],["dir/é",22]]', 'utf8').digest('hex');
    expect(summarizeListing(units)).toEqual({ digest: `sha256:${expected}`, resourceCount: 2, bytes: 23 });
    expect(summarizeListing([]).digest).toBe(`sha256:${createHash('sha256').update('[]').digest('hex')}`);
    // Lone surrogates (walk.ts fileNameOf) would both become U+FFFD as UTF-8; JSON escapes them.
    expect(summarizeListing([{ name: '\udce9', size: 1 }]).digest).not.toBe(summarizeListing([{ name: '\udcff', size: 1 }]).digest);
  });
});

describe('checkPartition', () => {
  it.each([[0, 3], [4, 3], [1, 0], [1, 10_001], [1.5, 3]])('refuses %s/%s (USAGE)', (index, count) => {
    expect(() => { checkPartition({ index, count }); }).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  it('accepts 1/1 and 10000/10000', () => {
    expect(() => { checkPartition({ index: 1, count: 1 }); checkPartition({ index: 10_000, count: 10_000 }); }).not.toThrow();
  });
});
