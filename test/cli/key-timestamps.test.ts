import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSigstore, type LocalSigstore } from '../../local-stack/index.js';
import { isAiprovError } from '../../src/errors.js';
import { certificatePem } from '../../src/format/certificates.js';
import { resolveArtifactTrust } from '../../src/use-cases/artifact-trust.js';
import { verifyArtifact } from '../../src/verify/verify-artifact.js';
import { expectOneLineError, runCli } from '../support/cli.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';
import { CA_EXTENSIONS, issueCertificate, makePki, opensslTime, SIGNING_EXTENSIONS } from '../support/pki.js';

interface BundleShape {
  verificationMaterial: { timestampVerificationData?: { rfc3161Timestamps: { signedTimestamp: string }[] } };
}

/** The PEM chain (signing certificate first) of a local stack's TSA, from its trusted root. */
function tsaChainPem(stack: LocalSigstore): string {
  const root = stack.trustedRoot as { timestampAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[] };
  return root.timestampAuthorities.flatMap((authority) => authority.certChain.certificates.map((certificate) => certificatePem(Buffer.from(certificate.rawBytes, 'base64')))).join('');
}

const DAY_MS = 24 * 60 * 60 * 1000;

describe('RFC 3161 timestamps on key and certificate signatures', () => {
  let stack: LocalSigstore;
  let other: LocalSigstore;
  let stackDir: string;
  let tsaChain: string;
  let otherTsaChain: string;

  beforeAll(async () => {
    stackDir = await mkdtemp(join(tmpdir(), 'aiprov-tsa-'));
    stack = await startLocalSigstore({ dir: join(stackDir, 'trusted') });
    other = await startLocalSigstore({ dir: join(stackDir, 'other') });
    tsaChain = join(stackDir, 'tsa-chain.pem');
    otherTsaChain = join(stackDir, 'other-tsa-chain.pem');
    await writeFile(tsaChain, tsaChainPem(stack));
    await writeFile(otherTsaChain, tsaChainPem(other));
  });

  afterAll(async () => {
    await stack.close();
    await other.close();
    await rm(stackDir, { recursive: true, force: true });
  });

  async function keySigned(timestamp = true): Promise<{ dir: string; model: string; pub: string }> {
    const dir = await temporaryDirectory();
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'signer')])).status).toBe(0);
    const sign = await runCli(['sign', model, '--key', join(dir, 'signer.key'), ...(timestamp ? ['--tsa-url', stack.tsaUrl] : [])]);
    expect(sign).toMatchObject({ status: 0 });
    return { dir, model, pub: join(dir, 'signer.pub') };
  }

  async function readBundle(model: string): Promise<BundleShape> {
    return JSON.parse(await readFile(join(model, 'model.sig'), 'utf8')) as BundleShape;
  }

  it('signs with a key and --tsa-url, and verifies with the TSA trusted by chain or by trusted root', async () => {
    const { model, pub } = await keySigned();
    const bundle = await readBundle(model);
    expect(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(1);

    const byChain = await runCli(['verify', model, '--key', pub, '--timestamp-authority', tsaChain]);
    expect(byChain).toMatchObject({ status: 0, stderr: '' });
    expect(byChain.stdout).toMatch(/timestamped \d{4}-\d\d-\d\dT/);
    const byRoot = await runCli(['verify', model, '--key', pub, '--trusted-root', stack.trustedRootPath ?? '', '--json']);
    expect(byRoot.status).toBe(0);
    const json = JSON.parse(byRoot.stdout) as { signer: { kind: string; timestamps: { kind: string; time: string }[] } };
    expect(json.signer.kind).toBe('key');
    expect(json.signer.timestamps).toEqual([{ kind: 'timestamp-authority', time: expect.any(String) as unknown }]);
  });

  it('refuses a timestamped bundle when no TSA is trusted, and one from an untrusted TSA', async () => {
    const { model, pub } = await keySigned();
    expectOneLineError(await runCli(['verify', model, '--key', pub]), 2, 'TIMESTAMP_AUTHORITY_REQUIRED');
    expectOneLineError(await runCli(['verify', model, '--key', pub, '--timestamp-authority', otherTsaChain]), 1, 'TIMESTAMP_INVALID');
    expectOneLineError(await runCli(['verify', model, '--key', pub, '--trusted-root', other.trustedRootPath ?? '']), 1, 'TIMESTAMP_INVALID');
  });

  it('fails (exit 1) on a tampered timestamp and on a timestamp over another signature', async () => {
    const { model, pub } = await keySigned();
    const bundle = await readBundle(model);
    const token = Buffer.from(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps[0]?.signedTimestamp ?? '', 'base64');

    // The last byte is inside the TSA's signature value: still a well-formed token.
    const tampered = Buffer.from(token);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0x01;
    await writeFile(join(model, 'model.sig'), JSON.stringify({ ...bundle, verificationMaterial: { ...bundle.verificationMaterial, timestampVerificationData: { rfc3161Timestamps: [{ signedTimestamp: tampered.toString('base64') }] } } }));
    expectOneLineError(await runCli(['verify', model, '--key', pub, '--timestamp-authority', tsaChain]), 1, 'TIMESTAMP_INVALID');

    // A genuine token of the trusted TSA, but for another signature.
    const second = await keySigned();
    const foreign = (await readBundle(second.model)).verificationMaterial.timestampVerificationData;
    await writeFile(join(model, 'model.sig'), JSON.stringify({ ...bundle, verificationMaterial: { ...bundle.verificationMaterial, timestampVerificationData: foreign } }));
    expectOneLineError(await runCli(['verify', model, '--key', pub, '--timestamp-authority', tsaChain]), 1, 'TIMESTAMP_INVALID');
  });

  it('does not refuse a key bundle whose extra token from the trusted TSA covers another signature while its own token verifies (exit 0); refuses it when no token verifies (exit 1)', async () => {
    const { model, pub } = await keySigned();
    const bundle = await readBundle(model);
    const own = bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? [];
    const foreign = (await readBundle((await keySigned()).model)).verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? [];
    const withTokens = (tokens: { signedTimestamp: string }[]): string => JSON.stringify({ ...bundle, verificationMaterial: { ...bundle.verificationMaterial, timestampVerificationData: { rfc3161Timestamps: tokens } } });

    await writeFile(join(model, 'model.sig'), withTokens([...foreign, ...own]));
    const run = await runCli(['verify', model, '--key', pub, '--timestamp-authority', tsaChain, '--json']);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect((JSON.parse(run.stdout) as { signer: { timestamps: unknown[] } }).signer.timestamps).toEqual([{ kind: 'timestamp-authority', time: expect.any(String) as unknown }]);

    await writeFile(join(model, 'model.sig'), withTokens([...foreign, ...foreign]));
    expectOneLineError(await runCli(['verify', model, '--key', pub, '--timestamp-authority', tsaChain]), 1, 'TIMESTAMP_INVALID');

    // A repeated token counts once, but more than 64 are a malformed bundle (exit 2), as in a Sigstore bundle.
    await writeFile(join(model, 'model.sig'), withTokens(Array.from({ length: 64 }, () => own).flat()));
    expect((await runCli(['verify', model, '--key', pub, '--timestamp-authority', tsaChain])).status).toBe(0);
    await writeFile(join(model, 'model.sig'), withTokens(Array.from({ length: 65 }, () => own).flat()));
    expectOneLineError(await runCli(['verify', model, '--key', pub, '--timestamp-authority', tsaChain]), 2, 'BUNDLE_INVALID');
  });

  it('a bundle without a timestamp verifies at now, as before, whatever TSA is trusted', async () => {
    const { model, pub } = await keySigned(false);
    expect((await readBundle(model)).verificationMaterial.timestampVerificationData).toBeUndefined();
    expect((await runCli(['verify', model, '--key', pub, '--timestamp-authority', tsaChain])).status).toBe(0);
  });

  it('attest takes --tsa-url too: the attestation bundle carries the timestamp', async () => {
    const dir = await temporaryDirectory();
    const dataset = await writeModel(join(dir, 'data'), { 'rows.jsonl': '{}\n' });
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    await writeFile(join(dir, 'card.yaml'), 'name: rows\nlicense: MIT\ndatasetType: [text]\n');
    const run = await runCli(['attest', 'dataset', dataset, '--card', join(dir, 'card.yaml'), '--key', join(dir, 'k.key'), '--tsa-url', stack.tsaUrl]);
    expect(run.status, run.stderr).toBe(0);
    const [line] = (await readFile(join(dataset, 'dataset.intoto.jsonl'), 'utf8')).trim().split('\n');
    expect((JSON.parse(line ?? '{}') as BundleShape).verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(1);
  });

  it('a TSA that cannot be reached is an I/O error (exit 4) and nothing is written', async () => {
    const dir = await temporaryDirectory();
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'signer')])).status).toBe(0);
    const run = await runCli(['sign', model, '--key', join(dir, 'signer.key'), '--tsa-url', 'http://127.0.0.1:9/api/v1/timestamp']);
    expectOneLineError(run, 4, 'SIGNING_SERVICE_UNREACHABLE');
    await expect(readFile(join(model, 'model.sig'))).rejects.toThrow();
  });

  it('a certificate-signed model whose leaf has expired verifies with its timestamp, and fails without one', async () => {
    const dir = await temporaryDirectory();
    const pki = makePki(dir);
    const chainArgs = ['--certificate', pki.leaf, '--certificate-chain', pki.intermediate, pki.root];
    const stamped = await writeModel(join(dir, 'stamped'), SMALL_MODEL);
    const plain = await writeModel(join(dir, 'plain'), SMALL_MODEL);
    expect((await runCli(['sign', stamped, '--key', pki.leafKey, ...chainArgs, '--tsa-url', stack.tsaUrl])).status).toBe(0);
    expect((await runCli(['sign', plain, '--key', pki.leafKey, ...chainArgs])).status).toBe(0);

    // Today both verify; the stamped one needs its TSA trusted.
    const cli = await runCli(['verify', stamped, '--certificate-chain', pki.root, '--timestamp-authority', tsaChain]);
    expect(cli).toMatchObject({ status: 0, stderr: '' });
    expect(cli.stdout).toContain('timestamped');

    // 40 days on, the 30-day leaf (and its chain) has expired.
    const later = new Date(Date.now() + 40 * DAY_MS);
    const trust = await resolveArtifactTrust({ certificateChainPaths: [pki.root], timestampAuthorityPaths: [tsaChain], identity: {} });
    const result = await verifyArtifact(stamped, { trust, now: later });
    expect(result.verified).toBe(true);
    expect(result.signer).toMatchObject({ kind: 'certificate', timestamps: [{ kind: 'timestamp-authority' }] });

    const error = await verifyArtifact(plain, { trust, now: later }).then(() => undefined, (caught: unknown) => caught);
    expect(isAiprovError(error) ? error.code : error).toBe('CERTIFICATE_EXPIRED');

    // Only a trusted TSA's time replaces now: another TSA's chain does not vouch for this token.
    const before = await resolveArtifactTrust({ certificateChainPaths: [pki.root], timestampAuthorityPaths: [otherTsaChain], identity: {} });
    const untrusted = await verifyArtifact(stamped, { trust: before, now: later }).then(() => undefined, (caught: unknown) => caught);
    expect(isAiprovError(untrusted) ? untrusted.code : untrusted).toBe('TIMESTAMP_INVALID');
  });

  it('sign --tsa-url refuses (exit 2) a certificate that has expired by the timestamp\'s time, instead of writing a signature verify would refuse', async () => {
    const dir = await temporaryDirectory();
    issueCertificate(dir, 'ca', { extensions: CA_EXTENSIONS });
    const expired = issueCertificate(dir, 'expired', { issuer: 'ca', extensions: SIGNING_EXTENSIONS, startDate: opensslTime(-10), endDate: opensslTime(-1) });
    const model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    const run = await runCli(['sign', model, '--key', join(dir, 'expired.key'), '--certificate', expired, '--tsa-url', stack.tsaUrl]);
    expectOneLineError(run, 2, 'CERTIFICATE_EXPIRED');
    expect(run.stderr).toContain('expired at its RFC 3161 timestamp');
    await expect(readFile(join(model, 'model.sig'))).rejects.toThrow();
  });
});
