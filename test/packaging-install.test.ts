import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeModel } from './support/fixtures.js';
import { REPO_ROOT } from './support/paths.js';

const run = promisify(execFile);

/**
 * The tarball as a user gets it: packed, installed with production dependencies only into an
 * empty prefix (from the npm registry, as `npm install aiprov` would), then used offline to sign
 * and verify. Catches a runtime import of a devDependency, a file missing from `files`, a broken bin.
 */
describe('the npm tarball, installed with --omit=dev', () => {
  let root: string;
  let aiprov: (args: readonly string[]) => Promise<{ stdout: string; stderr: string }>;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'aiprov-tarball-'));
    // dist/ was just built by the test setup; --ignore-scripts packs it as it is.
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', root], { cwd: REPO_ROOT });
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    const prefix = join(root, 'prefix');
    await run('npm', ['install', '--prefix', prefix, '--omit=dev', '--no-audit', '--no-fund', '--no-package-lock', join(root, packed?.filename ?? '')], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    const bin = join(prefix, 'node_modules', '.bin', 'aiprov');
    aiprov = (args) => run(bin, [...args], { cwd: root });
  }, 300_000);

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('runs: keygen, sign and verify offline, and ships the JSON schemas', async () => {
    const model = await writeModel(join(root, 'model'), { 'weights.bin': 'weights', 'config.json': '{}' });
    await aiprov(['keygen', '--output-prefix', join(root, 'release')]);
    await aiprov(['sign', model, '--key', join(root, 'release.key'), '--quiet']);
    const verified = await aiprov(['verify', model, '--key', join(root, 'release.pub'), '--offline', '--json']);
    expect(JSON.parse(verified.stdout)).toMatchObject({ verified: true });
    await writeFile(join(model, 'weights.bin'), 'tampered');
    await expect(aiprov(['verify', model, '--key', join(root, 'release.pub'), '--offline'])).rejects.toMatchObject({ code: 1 });
    const schemas = await run('node', ['-e', "require('fs').accessSync(require('path').join(process.argv[1], 'node_modules/aiprov/schemas/verify.schema.json'))", join(root, 'prefix')]);
    expect(schemas.stderr).toBe('');
  }, 120_000);
});
