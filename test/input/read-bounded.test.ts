import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBounded, readBoundedText, type ReadBoundedOptions } from '../../src/input/read-bounded.js';
import { rejectionOf } from '../support/errors.js';
import { temporaryDirectory } from '../support/fixtures.js';

const SIGNATURE: ReadBoundedOptions = { maxBytes: 16, kind: 'BUNDLE', what: 'signature' };

/** A hang must fail the test quickly, not wait for the suite's minute. */
const QUICKLY = { timeout: 5_000 };

describe('readBounded', () => {
  it('reads a regular file, and one reached through a symbolic link', async () => {
    const dir = await temporaryDirectory();
    await writeFile(join(dir, 'model.sig'), 'signature bytes');
    await symlink(join(dir, 'model.sig'), join(dir, 'link.sig'));
    expect(await readBounded(join(dir, 'model.sig'), SIGNATURE)).toEqual(Buffer.from('signature bytes'));
    expect(await readBounded(join(dir, 'link.sig'), SIGNATURE)).toEqual(Buffer.from('signature bytes'));
    expect(await readBoundedText(join(dir, 'link.sig'), SIGNATURE)).toBe('signature bytes');
  });

  it('reads a file of exactly maxBytes, and an empty one', async () => {
    const dir = await temporaryDirectory();
    await writeFile(join(dir, 'full'), Buffer.alloc(SIGNATURE.maxBytes, 0x61));
    await writeFile(join(dir, 'empty'), '');
    expect((await readBounded(join(dir, 'full'), SIGNATURE)).length).toBe(SIGNATURE.maxBytes);
    expect((await readBounded(join(dir, 'empty'), SIGNATURE)).length).toBe(0);
  });

  it('refuses a file one byte over maxBytes with <KIND>_TOO_LARGE (exit 2)', async () => {
    const dir = await temporaryDirectory();
    await writeFile(join(dir, 'big'), Buffer.alloc(SIGNATURE.maxBytes + 1, 0x61));
    expect(await rejectionOf(readBounded(join(dir, 'big'), SIGNATURE))).toMatchObject({ code: 'BUNDLE_TOO_LARGE', category: 'input', path: join(dir, 'big') });
  });

  it('refuses a FIFO at once instead of waiting for a writer', QUICKLY, async () => {
    const dir = await temporaryDirectory();
    const fifo = join(dir, 'model.sig');
    execFileSync('mkfifo', [fifo]);
    const error = await rejectionOf(readBounded(fifo, SIGNATURE));
    expect(error).toMatchObject({ code: 'BUNDLE_NOT_A_FILE', category: 'input' });
    expect(error.message).toContain('FIFO');
  });

  it('refuses /dev/zero, directly and through a symbolic link, without reading it', QUICKLY, async () => {
    const dir = await temporaryDirectory();
    await symlink('/dev/zero', join(dir, 'model.sig'));
    for (const path of ['/dev/zero', join(dir, 'model.sig')]) {
      const error = await rejectionOf(readBounded(path, { maxBytes: 1024 * 1024 * 1024, kind: 'TRUSTED_ROOT', what: 'trusted root' }));
      expect(error).toMatchObject({ code: 'TRUSTED_ROOT_NOT_A_FILE', category: 'input' });
      expect(error.message).toContain('a device');
    }
  });

  it('refuses a directory', async () => {
    const dir = await temporaryDirectory();
    await mkdir(join(dir, 'policy.yaml'));
    expect(await rejectionOf(readBounded(join(dir, 'policy.yaml'), { maxBytes: 1024, kind: 'POLICY', what: 'policy' }))).toMatchObject({ code: 'POLICY_NOT_A_FILE', category: 'input' });
  });

  it('reports a missing file as FILE_NOT_FOUND (exit 4), naming it', async () => {
    const missing = join(await temporaryDirectory(), 'absent.sig');
    const error = await rejectionOf(readBounded(missing, SIGNATURE));
    expect(error).toMatchObject({ code: 'FILE_NOT_FOUND', category: 'io', path: missing });
    expect(error.message).toBe(`cannot read signature ${missing}: no such file or directory`);
  });
});
