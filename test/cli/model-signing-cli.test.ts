import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from '../support/cli.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';
import { makePki } from '../support/pki.js';

/** model_signing's own command lines (its `_cli.py` spellings), with `aiprov` in its place. */
describe('model_signing\'s command line', () => {
  it('sign key / verify key with --private_key, --public_key, --signature, --allow_symlinks, --ignore_unsigned_files', async () => {
    const dir = await temporaryDirectory();
    const model = await writeModel(join(dir, 'model'), { ...SMALL_MODEL, 'skip-me': 'x' });
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    const signature = join(model, 'model.sig');
    const sign = await runCli(['sign', 'key', model, '--signature', signature, '--private_key', join(dir, 'k.key'), '--ignore-paths', join(model, 'skip-me'), '--ignore-git-paths', '--allow_symlinks']);
    expect(sign.stderr).toBe('');
    expect(sign.status).toBe(0);
    await writeModel(model, { 'added-later': 'unsigned' });
    const verify = await runCli(['verify', 'key', model, '--signature', signature, '--public_key', join(dir, 'k.pub'), '--ignore_unsigned_files', '--allow_symlinks']);
    expect(verify.stderr).toBe('');
    expect(verify.status).toBe(0);
    // cosign's --bundle names the signature too.
    expect((await runCli(['verify', model, '--bundle', signature, '--key', join(dir, 'k.pub'), '--ignore-unsigned-files'])).status).toBe(0);
    const strict = await runCli(['verify', 'key', model, '--signature', signature, '--public_key', join(dir, 'k.pub')]);
    expect(strict.status).toBe(1);
    expect(strict.stdout).toContain('added-later');
  });

  it('sign certificate / verify certificate with --signing_certificate and --certificate_chain', async () => {
    const dir = await temporaryDirectory();
    const pki = makePki(dir);
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    const signature = join(dir, 'model.sig');
    expect((await runCli(['sign', 'certificate', model, '--signature', signature, '--private_key', pki.leafKey, '--signing_certificate', pki.leaf, '--certificate_chain', pki.intermediate])).status).toBe(0);
    expect((await runCli(['verify', 'certificate', model, '--signature', signature, '--certificate_chain', pki.root])).status).toBe(0);
  });

  it('refuses what aiprov does not do, saying what to do instead', async () => {
    const dir = await temporaryDirectory();
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    const password = await runCli(['sign', 'key', model, '--private_key', 'k.key', '--password', 'secret']);
    expectOneLineError(password, 2, 'USAGE');
    expect(password.stderr).toContain('--passphrase-env');
    expectOneLineError(await runCli(['sign', 'pkcs11-key', model, '--pkcs11_uri', 'pkcs11:x']), 2, 'USAGE');
    expectOneLineError(await runCli(['verify', model, '--no-ignore-git-paths']), 2, 'USAGE');
  });
});
