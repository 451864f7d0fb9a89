/**
 * One escaping function for every line of human output (`printable` in src/errors.ts), issue 12:
 * a hostile file name can neither drive the terminal nor pass for another name.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { printable } from '../../src/errors.js';
import { runCli } from '../support/cli.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';

const HOSTILE = 'x\u001b[2K\r\nVerified \u202egnp.exe';
/** What must never reach the terminal raw: ESC, carriage return, the bidi override. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is looked for
const RAW_CONTROL = /[\u001b\r\u202e]/;
const ESCAPED = 'x\\u001b[2K\\u000d\\u000aVerified \\u202egnp.exe';

describe('escaping human output', () => {
  it('escapes control, format (bidi) and line-separator characters, and nothing else', () => {
    expect(printable(HOSTILE)).toBe(ESCAPED);
    expect(printable('a\nb')).not.toBe(printable('a b'));
    expect(printable('a\u2028b\u00adc')).toBe('a\\u2028b\\u00adc');
    expect(printable('modèle/权重.bin')).toBe('modèle/权重.bin');
  });

  it('sign, keygen and verify print hostile paths escaped; --json keeps them exact', { timeout: 60_000 }, async () => {
    const dir = await temporaryDirectory();
    const keyDir = join(dir, HOSTILE);
    await mkdir(keyDir);
    const keygen = await runCli(['keygen', '--output-prefix', join(keyDir, 'k')]);
    expect(keygen.status).toBe(0);
    expect(keygen.stdout).toContain(ESCAPED);
    const model = await writeModel(join(dir, HOSTILE, 'model'), SMALL_MODEL);
    const signed = await runCli(['sign', model, '--key', join(keyDir, 'k.key'), '-q']);
    expect(signed.status).toBe(0);
    expect(signed.stdout).toContain(ESCAPED);
    expect(signed.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(signed.stdout).not.toMatch(RAW_CONTROL);
    const json = await runCli(['sign', model, '--key', join(keyDir, 'k.key'), '-q', '--json']);
    expect((JSON.parse(json.stdout) as { signaturePath: string }).signaturePath).toContain(HOSTILE);

    // Two unsigned files whose names differ only by a newline and a space render differently.
    await writeFile(join(model, 'a\nb'), 'x');
    await writeFile(join(model, 'a b'), 'y');
    const verified = await runCli(['verify', model, '--key', join(keyDir, 'k.pub')]);
    expect(verified.status).toBe(1);
    expect(verified.stdout).toContain('a\\u000ab is not covered by the signature');
    expect(verified.stdout).toContain('a b is not covered by the signature');
    expect(verified.stdout).not.toMatch(RAW_CONTROL);

    // inspect renders the same name the same way (the subject is the model folder's name).
    const named = await writeModel(join(dir, 'a\nb'), { 'w.bin': 'w' });
    expect((await runCli(['sign', named, '--key', join(keyDir, 'k.key'), '-q'])).status).toBe(0);
    const inspected = await runCli(['inspect', join(named, 'model.sig')]);
    expect(inspected.status).toBe(0);
    expect(inspected.stdout).toMatch(/subject +a\\u000ab sha256:/);
  });
});
