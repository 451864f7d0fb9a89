/**
 * File names that are not UTF-8 (issue 12). A manifest names them as model_signing's Python `str`
 * paths do (`surrogateescape`: byte 0xe9 becomes "\udce9"), and sign, digest and verify read them
 * through their bytes instead of failing with a false FILE_NOT_FOUND.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileNameOf } from '../../src/hashing/walk.js';
import { runCli } from '../support/cli.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';

const LATIN1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x62, 0x69, 0x6e]); // "café.bin" in Latin-1
const TRUNCATED = Buffer.from([0x61, 0xe2, 0x82, 0x62]); // a, a cut-off "€", b

describe('non-UTF-8 file names', () => {
  it('decodes names as Python surrogateescape does', () => {
    expect(fileNameOf(LATIN1)).toBe('caf\udce9.bin');
    expect(fileNameOf(TRUNCATED)).toBe('a\udce2\udc82b');
    expect(fileNameOf(Buffer.from('modèle €.bin'))).toBe('modèle €.bin');
    expect(fileNameOf(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\udced\udca0\udc80');
    let python: string | undefined;
    try {
      python = execFileSync('python3', ['-c', 'import os,sys,json; print(json.dumps([os.fsdecode(bytes.fromhex(h)) for h in sys.argv[1:]]))', LATIN1.toString('hex'), TRUNCATED.toString('hex')], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', LC_ALL: 'C.UTF-8' } });
    } catch {
      python = undefined; // No Python here: the expectations above are what it prints.
    }
    if (python !== undefined) expect(JSON.parse(python)).toEqual([fileNameOf(LATIN1), fileNameOf(TRUNCATED)]);
  });

  it('digest, sign and verify work, and a change to such a file is reported by its name', { timeout: 60_000 }, async () => {
    const dir = await temporaryDirectory();
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    const file = Buffer.concat([Buffer.from(`${model}/`), LATIN1]);
    await writeFile(file, 'weights');
    await writeFile(Buffer.concat([Buffer.from(`${model}/`), TRUNCATED]), 'more');

    const digest = await runCli(['digest', model, '--json']);
    expect(digest.status).toBe(0);
    const names = (JSON.parse(digest.stdout) as { resources: { name: string }[] }).resources.map((resource) => resource.name);
    expect(names).toContain('caf\udce9.bin');
    expect(names).toContain('a\udce2\udc82b');

    expect((await runCli(['sign', model, '--key', join(dir, 'k.key'), '-q'])).status).toBe(0);
    expect((await runCli(['verify', model, '--key', join(dir, 'k.pub')])).status).toBe(0);
    await writeFile(file, 'tampered');
    const failed = await runCli(['verify', model, '--key', join(dir, 'k.pub')]);
    expect(failed.status).toBe(1);
    // Human output shows the byte as an escape, never as a raw lone surrogate.
    expect(failed.stdout).toContain('caf\\udce9.bin differs from the signed content');
  });
});
