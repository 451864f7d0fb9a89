/**
 * Certificate trust from the CLI: certificates with an empty subject (RFC 5280 §4.1.2.6) are
 * reported, not crashed on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { SMALL_MODEL, writeModel } from '../support/fixtures.js';
import { CA_EXTENSIONS, issueCertificate, SIGNING_EXTENSIONS } from '../support/pki.js';

describe('certificate trust', () => {
  let dir: string;
  let ca: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aiprov-certificate-trust-'));
    ca = issueCertificate(dir, 'ca', { extensions: CA_EXTENSIONS });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('verify and inspect a signature whose certificate has an empty subject (a SAN-only leaf) instead of crashing with exit 70', async () => {
    const leaf = issueCertificate(dir, 'sans-subject', { issuer: 'ca', subject: '/', extensions: `subjectAltName=critical,email:release@example.com\n${SIGNING_EXTENSIONS}` });
    const model = await writeModel(join(dir, 'sans-subject-model'), SMALL_MODEL);
    expect((await runCli(['sign', model, '--key', join(dir, 'sans-subject.key'), '--certificate', leaf, '-q'])).status).toBe(0);

    const verify = await runCli(['verify', model, '--certificate-chain', ca]);
    expect(verify).toMatchObject({ status: 0, stderr: '' });
    expect(verify.stdout).toContain('signed by   certificate (empty subject) (email:release@example.com), chain to "CN=ca"');

    const inspect = await runCli(['inspect', join(model, 'model.sig')]);
    expect(inspect).toMatchObject({ status: 0, stderr: '' });
    expect(inspect.stdout).toContain('signer       certificate (empty subject) (email:release@example.com), issued by "CN=ca"');
  });
});
