/** Key files in the wrong place or with the wrong permissions (issue 12), through the CLI. */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/format/keys.js';
import { EXAMPLE_POLICY } from '../../src/policy/example.js';
import { parsePublicKey as parseBundlePublicKey } from '../../src/verify/bundle-keys.js';
import { expectOneLineError, runCli } from '../support/cli.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';

describe('key files', () => {
  it('verify --key with a private key (plain or encrypted) is refused: KEY_IS_PRIVATE, exit 2', { timeout: 30_000 }, async () => {
    const dir = await temporaryDirectory();
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    expect((await runCli(['sign', model, '--key', join(dir, 'k.key')])).status).toBe(0);
    expectOneLineError(await runCli(['verify', model, '--key', join(dir, 'k.key')]), 2, 'KEY_IS_PRIVATE');
    await writeFile(join(dir, 'encrypted.key'), generateKeyPair('P-256', 'secret').privateKeyPem);
    expectOneLineError(await runCli(['verify', model, '--key', join(dir, 'encrypted.key')]), 2, 'KEY_IS_PRIVATE');
    expect((await runCli(['verify', model, '--key', join(dir, 'k.pub')])).status).toBe(0);
  });

  it('verify-bundle\'s key (library) refuses a private key too', () => {
    let code: string | undefined;
    try {
      parseBundlePublicKey(generateKeyPair('P-256').privateKeyPem, 'k.key');
    } catch (error) {
      code = (error as { code?: string }).code;
    }
    expect(code).toBe('KEY_IS_PRIVATE');
  });

  it('a policy whose key: names a private key is refused at that key', async () => {
    const dir = await temporaryDirectory();
    await writeFile(join(dir, 'data-team.key'), generateKeyPair('P-256').privateKeyPem);
    await writeFile(join(dir, 'policy.yaml'), EXAMPLE_POLICY.replace('./keys/data-team.pub', './data-team.key'));
    const run = await runCli(['policy', 'check', 'policy.yaml', '--json'], { cwd: dir });
    expect(run.status).toBe(2);
    expect((JSON.parse(run.stdout) as { problems: unknown[] }).problems).toContainEqual(expect.objectContaining({ code: 'KEY_IS_PRIVATE', path: 'signers.data-team.key' }));
  });

  it('sign with a private key readable by others warns on stderr and still signs', { timeout: 30_000 }, async () => {
    const dir = await temporaryDirectory();
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    const quiet = await runCli(['sign', model, '--key', join(dir, 'k.key'), '-q']);
    expect({ status: quiet.status, stderr: quiet.stderr }).toEqual({ status: 0, stderr: '' });
    await chmod(join(dir, 'k.key'), 0o644);
    const warned = await runCli(['sign', model, '--key', join(dir, 'k.key'), '-q']);
    expect(warned.status).toBe(0);
    expect(warned.stderr).toMatch(/^aiprov: ! PRIVATE_KEY_READABLE_BY_OTHERS: .*k\.key is a private key readable by other users \(mode 0644\)/);
  });
});
