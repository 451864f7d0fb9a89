import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from '../support/cli.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';
import { MODEL_SIGNING_VECTORS } from '../support/paths.js';

/** Errors that say what to do, for the slips a new user makes. */
describe('errors that point at the fix', () => {
  it('a dataset verified without --kind dataset: the error names the flag', async () => {
    const dir = await temporaryDirectory();
    const dataset = await writeModel(join(dir, 'data'), SMALL_MODEL);
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    expect((await runCli(['sign', dataset, '--kind', 'dataset', '--key', join(dir, 'k.key')])).status).toBe(0);
    const run = await runCli(['verify', dataset, '--key', join(dir, 'k.pub')]);
    expectOneLineError(run, 4, 'FILE_NOT_FOUND');
    expect(run.stderr).toContain('holds a dataset.sig: pass --kind dataset');
  });

  it('a tampered single file is named, not reported as "."', async () => {
    const dir = await temporaryDirectory();
    const file = join(dir, 'model.gguf');
    await writeFile(file, 'weights');
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    expect((await runCli(['sign', file, '--key', join(dir, 'k.key')])).status).toBe(0);
    await writeFile(file, 'tampered');
    const run = await runCli(['verify', file, '--key', join(dir, 'k.pub')]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('FILE_CHANGED: model.gguf differs from the signed content');
  });

  it('a keyless bundle checked against another instance\'s trust root says so, not TIMESTAMP_INVALID', async () => {
    const run = await runCli(['verify', join(MODEL_SIGNING_VECTORS, 'scripts/tests/v1.1.0-sigstore'), '--staging', '--identity', 'stefanb@us.ibm.com', '--identity-provider', 'https://sigstore.verify.ibm.com/oauth2', '--ignore-paths', 'ignore-me']);
    expectOneLineError(run, 1, 'CERTIFICATE_CHAIN_INVALID');
    expect(run.stderr).toContain('another Sigstore instance');
  });
});
