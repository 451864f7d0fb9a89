/**
 * Certificate trust from the CLI: certificates with an empty subject (RFC 5280 §4.1.2.6) are
 * reported, not crashed on; a Fulcio CA is never accepted as certificate trust; a policy can pin
 * which of a CA's certificates it accepts; and sign refuses a certificate outside its validity.
 */
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { exitStatusFor, isAiprovError } from '../../src/errors.js';
import { certificatePem, parseCertificates } from '../../src/format/certificates.js';
import { publicGoodTrustRoot } from '../../src/verify/trust.js';
import { verifyArtifact } from '../../src/verify/verify-artifact.js';
import { expectOneLineError, runCli } from '../support/cli.js';
import { MODEL_SIGNING_VECTORS } from '../support/paths.js';
import { SMALL_MODEL, writeModel } from '../support/fixtures.js';
import { CA_EXTENSIONS, issueCertificate, opensslTime, SIGNING_EXTENSIONS } from '../support/pki.js';

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

  describe('a certificateAuthority signer pinned by subject, SAN and extended key usage', () => {
    let model: string;
    const policyWith = async (pins: string): Promise<string> => {
      const policy = join(dir, `pinned-${String(Math.random()).slice(2)}.yaml`);
      await writeFile(policy, `version: 1\nsigners:\n  release:\n    certificateAuthority: ${ca}\n${pins}roles:\n  model:\n    signers: [release]\n`);
      return policy;
    };

    beforeAll(async () => {
      const leaf = issueCertificate(dir, 'release', { issuer: 'ca', subject: '/CN=release/O=Acme, Inc.', extensions: `subjectAltName=email:release@example.com,URI:https://ci.example/release\n${SIGNING_EXTENSIONS}` });
      model = await writeModel(join(dir, 'pinned-model'), SMALL_MODEL);
      expect((await runCli(['sign', model, '--key', join(dir, 'release.key'), '--certificate', leaf, '-q'])).status).toBe(0);
    });

    it('accepts the leaf only when every pin matches exactly (subject as printed, a SAN typed or plain, EKU by name or OID)', async () => {
      const exact = await policyWith('    subject: "CN=release, O=Acme\\\\, Inc."\n    subjectAlternativeName: email:release@example.com\n    extendedKeyUsage: [codeSigning, 1.3.6.1.5.5.7.3.3]\n');
      const accepted = await runCli(['verify', 'lineage', model, '--policy', exact]);
      expect(accepted.status, accepted.stdout + accepted.stderr).toBe(0);
      const plainSan = await policyWith('    subjectAlternativeName: https://ci.example/release\n');
      expect((await runCli(['verify', 'lineage', model, '--policy', plainSan])).status).toBe(0);
    });

    it('denies (exit 3) a leaf of the CA whose subject, SAN or extended key usage is not the pinned one, instead of accepting any certificate the CA issued', async () => {
      for (const pins of ['    subject: CN=release\n', '    subjectAlternativeName: email:other@example.com\n', '    subjectAlternativeName: DNS:release@example.com\n', '    extendedKeyUsage: [codeSigning, emailProtection]\n']) {
        const run = await runCli(['verify', 'lineage', model, '--policy', await policyWith(pins), '--json']);
        expect(run.status, pins).toBe(3);
        expect(run.stdout).toContain('UNTRUSTED_SIGNER');
      }
      // The library reports why: a policy denial with its own code.
      const trustedCertificates = parseCertificates(await readFile(ca, 'utf8'), ca);
      const error = await verifyArtifact(model, { trust: { kind: 'certificate', trustedCertificates, pins: { subjectAlternativeName: 'email:other@example.com' } } }).then(() => undefined, (caught: unknown) => caught);
      expect(isAiprovError(error) ? [error.code, exitStatusFor(error.category)] : error).toEqual(['CERTIFICATE_IDENTITY_MISMATCH', 3]);
    });

    it('refuses (exit 2) pins on a signer that is not a certificateAuthority and unknown extended key usage names', async () => {
      const keyPins = join(dir, 'key-pins.yaml');
      await writeFile(keyPins, `version: 1\nsigners:\n  release:\n    key: ${join(dir, 'release.key')}\n    subject: CN=release\nroles:\n  model:\n    signers: [release]\n`);
      expectOneLineError(await runCli(['verify', 'lineage', model, '--policy', keyPins]), 2, 'POLICY_INVALID');
      expectOneLineError(await runCli(['verify', 'lineage', model, '--policy', await policyWith('    extendedKeyUsage: [codesigning]\n')]), 2, 'POLICY_INVALID');
    });
  });

  it('sign refuses (exit 2) an expired or not yet valid certificate without a timestamp authority, before writing a signature that could never verify', async () => {
    const expired = issueCertificate(dir, 'expired', { issuer: 'ca', extensions: SIGNING_EXTENSIONS, startDate: opensslTime(-10), endDate: opensslTime(-1) });
    const future = issueCertificate(dir, 'future', { issuer: 'ca', extensions: SIGNING_EXTENSIONS, startDate: opensslTime(2), endDate: opensslTime(30) });
    for (const [name, certificate, state] of [['expired', expired, 'expired now'], ['future', future, 'not yet valid now']] as const) {
      const model = await writeModel(join(dir, `${name}-model`), SMALL_MODEL);
      const run = await runCli(['sign', model, '--key', join(dir, `${name}.key`), '--certificate', certificate]);
      expectOneLineError(run, 2, 'CERTIFICATE_EXPIRED');
      expect(run.stderr).toContain(state);
      await expect(access(join(model, 'model.sig'))).rejects.toThrow();
    }
  });
});
