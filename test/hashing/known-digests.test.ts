/**
 * Hashing with some digests known (the hook `sign --incremental` uses): known files are not
 * hashed, and every resource still comes out in OMS order, whatever mix of known and hashed
 * files, shards and empty files, and beyond the pool's window of jobs.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HashJob } from '../../src/hashing/hash-jobs.js';
import type { KnownDigests } from '../../src/hashing/known-digests.js';
import { STREAM_WINDOW_JOBS } from '../../src/hashing/pool.js';
import { computeManifest, type ManifestOptions } from '../../src/manifest/compute.js';
import type { Manifest } from '../../src/manifest/manifest.js';
import { temporaryDirectory, writeModel } from '../support/fixtures.js';

/** The manifest computed with `know(name)` deciding which files' digests are given (from `truth`). */
async function withKnown(model: string, truth: Manifest, know: (name: string) => boolean, options: ManifestOptions = {}): Promise<{ manifest: Manifest; hashed: string[]; looked: string[] }> {
  const byFile = new Map<string, Buffer[]>();
  for (const resource of truth.resources) {
    const file = options.method === 'shards' ? resource.name.replace(/:[0-9]+:[0-9]+$/, '') : resource.name;
    byFile.set(file, [...(byFile.get(file) ?? []), Buffer.from(resource.digest, 'hex')]);
  }
  const hashed: string[] = [];
  const looked: string[] = [];
  const known: KnownDigests = {
    lookup: (file, jobs: readonly HashJob[]) => {
      looked.push(file.name);
      return know(file.name) ? (byFile.get(file.name) ?? (jobs.length === 0 ? [] : undefined)) : undefined;
    },
    hashed: (job) => {
      hashed.push(`${job.file.name}:${String(job.start)}`);
    },
  };
  const manifest = await computeManifest(model, { ...options, knownDigests: () => Promise.resolve({ ...known, close: () => Promise.resolve() }) });
  return { manifest, hashed, looked };
}

describe('hashing with known digests', () => {
  it('gives the plain manifest for any mix of known and hashed files, files and shards', async () => {
    const dir = await temporaryDirectory();
    const model = await writeModel(join(dir, 'model'), { 'a.bin': 'a'.repeat(20), 'b/c.txt': 'c', 'b/d.txt': '', 'e.json': '{}', 'f/g/h.bin': 'h'.repeat(9) });
    for (const options of [{}, { method: 'shards', shardSize: 4 }] as const) {
      const truth = await computeManifest(model, options);
      for (const know of [() => false, () => true, (name: string) => name.startsWith('b/'), (name: string) => !name.startsWith('b/'), (name: string) => name === 'f/g/h.bin']) {
        const { manifest, hashed, looked } = await withKnown(model, truth, know, options);
        expect(manifest).toEqual(truth);
        expect(looked).toEqual(['a.bin', 'b/c.txt', 'b/d.txt', 'e.json', 'f/g/h.bin']);
        // Only files not known are hashed (an empty file has no shard to hash).
        expect(new Set(hashed.map((job) => job.replace(/:[0-9]+$/, '')))).toEqual(new Set(looked.filter((name) => !know(name) && !(options.method === 'shards' && name === 'b/d.txt'))));
      }
    }
  });

  it('keeps OMS order beyond the pool\'s window, known files waiting behind hashed ones', { timeout: 60_000 }, async () => {
    const dir = await temporaryDirectory();
    const files = Object.fromEntries(Array.from({ length: STREAM_WINDOW_JOBS + 500 }, (_, index) => [`d${String(index % 7)}/f${String(index).padStart(5, '0')}`, `file ${String(index)}`]));
    const model = await writeModel(join(dir, 'model'), files);
    const truth = await computeManifest(model);
    const { manifest, hashed } = await withKnown(model, truth, (name) => Number(name.slice(-5)) % 3 !== 0);
    expect(manifest).toEqual(truth);
    expect(hashed).toHaveLength(Math.ceil((STREAM_WINDOW_JOBS + 500) / 3));
  });

  it('uses known digests as given (the file is not read), and hashes a file whose digests do not fit its jobs', async () => {
    const dir = await temporaryDirectory();
    const model = await writeModel(join(dir, 'model'), { 'a.bin': 'aaaa', 'b.bin': 'bbbb' });
    const truth = await computeManifest(model);
    const claimed = Buffer.alloc(32, 7);
    const known = (digests: Buffer[]): KnownDigests => ({ lookup: (file) => (file.name === 'a.bin' ? digests : undefined), hashed: () => undefined });
    const lying = await computeManifest(model, { knownDigests: () => Promise.resolve({ ...known([claimed]), close: () => Promise.resolve() }) });
    expect(lying.resources.map((resource) => resource.digest)).toEqual([claimed.toString('hex'), truth.resources[1]?.digest]);
    const misfit = await computeManifest(model, { knownDigests: () => Promise.resolve({ ...known([claimed, claimed]), close: () => Promise.resolve() }) });
    expect(misfit).toEqual(truth);
  });
});
