/**
 * Certificate trust from the CLI: certificates with an empty subject (RFC 5280 §4.1.2.6) are
 * reported, not crashed on; a Fulcio CA is never accepted as certificate trust.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { certificatePem } from '../../src/format/certificates.js';
import { publicGoodTrustRoot } from '../../src/verify/trust.js';
import { expectOneLineError, runCli } from '../support/cli.js';
import { MODEL_SIGNING_VECTORS } from '../support/paths.js';
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

  describe('a Sigstore Fulcio CA given as certificate trust', () => {
    // model_signing's v1.1.0 keyless vector: a public-good Fulcio leaf with an RFC 3161 timestamp.
    const keylessVector = join(MODEL_SIGNING_VECTORS, 'scripts/tests/v1.1.0-sigstore');
    let fulcioCa: string;
    let publicGoodRoot: string;

    beforeAll(async () => {
      const root = publicGoodTrustRoot();
      fulcioCa = join(dir, 'public-good-fulcio.pem');
      await writeFile(fulcioCa, root.trustedRoot.certificateAuthorities.flatMap((authority) => (authority.certChain?.certificates ?? []).map((certificate) => certificatePem(certificate.rawBytes))).join(''));
      // The same root as a file: with --certificate-chain it lends its timestamp authorities.
      publicGoodRoot = join(dir, 'public-good-trusted-root.json');
      await writeFile(publicGoodRoot, JSON.stringify(TrustedRoot.toJSON(root.trustedRoot)));
    });

    it('verify --certificate-chain with the public-good Fulcio CA refuses the trust input (exit 2) instead of accepting anyone\'s keyless signature', async () => {
      const run = await runCli(['verify', keylessVector, '--certificate-chain', fulcioCa, '--trusted-root', publicGoodRoot, '--ignore-paths', 'ignore-me']);
      expectOneLineError(run, 2, 'FULCIO_CERTIFICATE_AS_CA');
      expect(run.stderr).toContain('use --certificate-identity and --certificate-oidc-issuer (keyless verification)');
      // The same signature verifies keylessly, with its identity checked.
      const keyless = await runCli(['verify', keylessVector, '--certificate-identity', 'stefanb@us.ibm.com', '--certificate-oidc-issuer', 'https://sigstore.verify.ibm.com/oauth2', '--ignore-paths', 'ignore-me']);
      expect(keyless.status, keyless.stderr).toBe(0);
    });

    it('a policy certificateAuthority that is the public-good Fulcio CA is refused (exit 2)', async () => {
      const policy = join(dir, 'fulcio-ca-policy.yaml');
      await writeFile(policy, `version: 1\nsigners:\n  anyone:\n    certificateAuthority: ${fulcioCa}\nroles:\n  model:\n    signers: [anyone]\n`);
      expectOneLineError(await runCli(['verify', 'lineage', keylessVector, '--policy', policy]), 2, 'FULCIO_CERTIFICATE_AS_CA');
    });
  });
});
