import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { planHashJobs } from '../../src/hashing/hash-jobs.js';
import { hashJobsSequentially } from '../support/reference-hasher.js';
import { createContentHash } from '../../src/hashing/hash-type.js';
import { hashJobs } from '../../src/hashing/pool.js';
import { walkArtifact } from '../../src/hashing/walk.js';
import { REPO_ROOT } from '../support/paths.js';

/**
 * BLAKE3 known answers. Inputs follow the official BLAKE3 test vectors (test_vectors.json):
 * byte i is i % 251. Expected digests were produced with the reference implementation's CLI,
 * Debian's `b3sum` 1.2.0 (`apt-get install b3sum`):
 *   python3 -c 'import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(N)))' | b3sum --no-names
 * and agree with the "hash" field of test_vectors.json for these lengths.
 */
const VECTORS: readonly (readonly [length: number, digest: string])[] = [
  [0, 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262'],
  [1, '2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213'],
  [1023, '10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11'],
  [1024, '42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7'],
  [1025, 'd00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444'],
  [2048, 'e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a'],
  [31744, '62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47'],
  [102400, 'bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085'],
];

/**
 * A multi-MiB input, same pattern, same command (N = 5 MiB + 3). Large updates matter: a WASM
 * BLAKE3 build (`blake3-wasm`) returns wrong digests for updates of 2 MiB or more.
 */
const LARGE_LENGTH = 5 * 1024 * 1024 + 3;
const LARGE_DIGEST = 'd7b0c8bf65e5c4d83045f23509a2af505c29af408a404c3f363f75a7a49a5040';

function testInput(length: number): Buffer {
  const input = Buffer.allocUnsafe(length);
  for (let index = 0; index < length; index++) input[index] = index % 251;
  return input;
}

function blake3Hex(...chunks: Buffer[]): string {
  const hash = createContentHash('blake3');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest().toString('hex');
}

describe('BLAKE3 known answers', () => {
  for (const [length, digest] of VECTORS) {
    it(`length ${String(length)}`, () => {
      const input = testInput(length);
      expect(blake3Hex(input)).toBe(digest);
      // Split updates must not change the digest (the streaming path hashes chunk by chunk).
      const cut = Math.floor(length / 3);
      expect(blake3Hex(input.subarray(0, cut), input.subarray(cut, 2 * cut), input.subarray(2 * cut))).toBe(digest);
    });
  }

  it('a multi-MiB input in one update, and in updates larger than 2 MiB', () => {
    const input = testInput(LARGE_LENGTH);
    expect(blake3Hex(input)).toBe(LARGE_DIGEST);
    expect(blake3Hex(input.subarray(0, 3 * 1024 * 1024), input.subarray(3 * 1024 * 1024))).toBe(LARGE_DIGEST);
    expect(blake3Hex(input.subarray(0, 1), input.subarray(1, 2 * 1024 * 1024 + 1), input.subarray(2 * 1024 * 1024 + 1))).toBe(LARGE_DIGEST);
  });

  describe('a multi-MiB file through the hashers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aiprov-blake3-'));
    writeFileSync(join(dir, 'pattern.bin'), testInput(LARGE_LENGTH));
    writeFileSync(join(dir, 'other.bin'), testInput(1025));
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const workerUrl = pathToFileURL(join(REPO_ROOT, 'dist', 'hashing', 'hash-worker.js'));

    for (const [name, options] of [
      ['sequential reference', undefined],
      ['pool, this thread', { threads: 0 }],
      ['pool, workers', { threads: 2, workerUrl }],
    ] as const) {
      it(name, async () => {
        const listing = await walkArtifact(dir, { ignorePaths: [], allowSymlinks: false });
        const jobs = planHashJobs(listing.files, undefined);
        const digests = options === undefined ? await hashJobsSequentially(jobs, { hashType: 'blake3' }) : await hashJobs(jobs, { hashType: 'blake3', ...options });
        const byName = Object.fromEntries(jobs.map((job, index) => [job.file.name, digests[index]?.toString('hex')]));
        expect(byName).toEqual({ 'pattern.bin': LARGE_DIGEST, 'other.bin': VECTORS[4]?.[1] });
      });
    }
  });
});
