/**
 * Trust roots: where they come from (the public-good root inside @sigstore/tuf, the embedded
 * staging snapshot, a file), and what makes one unusable.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { describe, expect, it } from 'vitest';
import { AiprovError } from '../../src/errors.js';
import { loadTrustRoot, MAX_TRUSTED_ROOT_BYTES, parseTrustRoot, publicGoodTrustRoot, stagingTrustRoot, toVerifierTrustMaterial, trustRootFromFile } from '../../src/verify/trust.js';
import { temporaryDirectory } from '../support/fixtures.js';
import { TESTDATA } from '../support/paths.js';

const ROOTS = join(TESTDATA, 'sigstore-trust-roots');
const PRODUCTION_FILE = join(ROOTS, 'production_trusted_root.json');
const STAGING_FILE = join(ROOTS, 'staging_trusted_root.json');
const MISSING_START_CASE = join(TESTDATA, 'sigstore-conformance', 'test', 'assets', 'bundle-verify', 'trust-root-tlog-missing-validity-start_fail');

interface RootJson {
  mediaType: string;
  tlogs: { baseUrl: string; publicKey: { rawBytes: string; validFor?: Record<string, unknown> }; logId: { keyId: string } }[];
  ctlogs: { publicKey: { rawBytes: string; validFor?: Record<string, unknown> }; logId: { keyId: string } }[];
  certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] }; validFor?: Record<string, unknown> }[];
  timestampAuthorities: { certChain: { certificates: { rawBytes: string }[] }; validFor?: Record<string, unknown> }[];
}
const production = (): RootJson => JSON.parse(readFileSync(PRODUCTION_FILE, 'utf8')) as RootJson;
const bytesOf = (json: unknown): Buffer => Buffer.from(JSON.stringify(json));

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AiprovError);
    return (error as AiprovError).code;
  }
  return undefined;
}

describe('embedded trust roots', () => {
  it('reads the public-good root from @sigstore/tuf/seeds.json, offline, with every key of the pinned copy', () => {
    const root = publicGoodTrustRoot();
    expect(root.source).toMatch(/^public-good \(embedded in @sigstore\/tuf \d+\.\d+\.\d+\)$/);
    // A newer @sigstore/tuf may add keys; it must not drop the ones these vectors rely on.
    const pinned = parseTrustRoot(readFileSync(PRODUCTION_FILE), 'pinned').trustedRoot;
    const ids = (logs: readonly { logId?: { keyId: Buffer } | undefined }[]): string[] => logs.map((log) => log.logId?.keyId.toString('base64') ?? '');
    expect(ids(root.trustedRoot.tlogs)).toEqual(expect.arrayContaining(ids(pinned.tlogs)));
    expect(ids(root.trustedRoot.ctlogs)).toEqual(expect.arrayContaining(ids(pinned.ctlogs)));
    const certs = (cas: typeof pinned.certificateAuthorities): string[] => cas.flatMap((ca) => ca.certChain?.certificates.map((cert) => cert.rawBytes.toString('base64')) ?? []);
    expect(certs(root.trustedRoot.certificateAuthorities)).toEqual(expect.arrayContaining(certs(pinned.certificateAuthorities)));
    expect(certs(root.trustedRoot.timestampAuthorities)).toEqual(expect.arrayContaining(certs(pinned.timestampAuthorities)));
  });

  it('embeds the staging root byte for byte (pinned digest of testdata/sigstore-trust-roots)', () => {
    const root = stagingTrustRoot();
    expect(root.sha256).toBe(createHash('sha256').update(readFileSync(STAGING_FILE)).digest('hex'));
    expect(root.trustedRoot).toEqual(parseTrustRoot(readFileSync(STAGING_FILE), 'file').trustedRoot);
    expect(root.source).toMatch(/^staging/);
  });

  it('picks a file, --staging or public-good, and refuses both a file and --staging', async () => {
    expect((await loadTrustRoot()).source).toMatch(/^public-good/);
    expect((await loadTrustRoot({ staging: true })).source).toMatch(/^staging/);
    expect((await loadTrustRoot({ trustedRoot: PRODUCTION_FILE })).source).toBe(PRODUCTION_FILE);
    await expect(loadTrustRoot({ trustedRoot: PRODUCTION_FILE, staging: true })).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe('trusted root files', () => {
  it('reports a missing file as I/O and refuses an oversized or non-JSON one', async () => {
    const directory = await temporaryDirectory();
    await expect(trustRootFromFile(join(directory, 'absent.json'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', category: 'io' });
    await writeFile(join(directory, 'big.json'), Buffer.alloc(MAX_TRUSTED_ROOT_BYTES + 1, 0x20));
    await expect(trustRootFromFile(join(directory, 'big.json'))).rejects.toMatchObject({ code: 'TRUSTED_ROOT_TOO_LARGE', category: 'input' });
    await writeFile(join(directory, 'cut.json'), readFileSync(PRODUCTION_FILE).subarray(0, 100));
    await expect(trustRootFromFile(join(directory, 'cut.json'))).rejects.toMatchObject({ code: 'TRUST_ROOT_INVALID' });
  });

  it('refuses off-schema roots: media type, base64, timestamps, keys, certificates', () => {
    const cases: ((root: RootJson) => void)[] = [
      (root) => {
        root.mediaType = 'application/vnd.dev.sigstore.trustedroot+json;version=9.9';
      },
      (root) => {
        (root.tlogs[0] as RootJson['tlogs'][number]).logId.keyId = 'not base64!';
      },
      (root) => {
        (root.tlogs[0] as RootJson['tlogs'][number]).publicKey.validFor = { start: 'yesterday' };
      },
      (root) => {
        (root.tlogs[0] as RootJson['tlogs'][number]).publicKey.rawBytes = Buffer.from('not a key').toString('base64');
      },
      (root) => {
        const ca = root.certificateAuthorities[0] as RootJson['certificateAuthorities'][number];
        ca.certChain.certificates = [{ rawBytes: Buffer.from('not a certificate').toString('base64') }];
      },
      (root) => {
        (root.certificateAuthorities[0] as RootJson['certificateAuthorities'][number]).certChain.certificates = [];
      },
    ];
    for (const mutate of cases) {
      const root = production();
      mutate(root);
      expect(codeOf(() => parseTrustRoot(bytesOf(root), 'mutated'))).toBe('TRUST_ROOT_INVALID');
    }
  });

  it('reads proto3 JSON nulls as absent fields', () => {
    const root = production() as unknown as { tlogs: Record<string, unknown>[] };
    for (const tlog of root.tlogs) tlog.checkpointKeyId = null;
    expect(parseTrustRoot(bytesOf(root), 'nulls').trustedRoot.tlogs).toHaveLength(2);
  });
});

describe('validity periods', () => {
  it('refuses a log key whose validity period has no start (conformance trust-root-tlog-missing-validity-start_fail)', () => {
    const bytes = readFileSync(join(MISSING_START_CASE, 'trusted_root.json'));
    let caught: unknown;
    try {
      parseTrustRoot(bytes, 'case');
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'TRUST_ROOT_INVALID', category: 'input' });
    expect((caught as Error).message).toContain('tlogs[1]');
  });

  it('documents why: @sigstore/verify alone accepts that root and verifies the bundle with it', () => {
    const json = JSON.parse(readFileSync(join(MISSING_START_CASE, 'trusted_root.json'), 'utf8')) as unknown;
    const bundle = bundleFromJSON(JSON.parse(readFileSync(join(MISSING_START_CASE, 'bundle.sigstore.json'), 'utf8')));
    const artifact = readFileSync(join(TESTDATA, 'sigstore-conformance', 'test', 'assets', 'a.txt'));
    expect(() => new Verifier(toTrustMaterial(TrustedRoot.fromJSON(json))).verify(toSignedEntity(bundle, artifact))).not.toThrow();
  });

  it('refuses a CT log key without start, and any period that ends before it starts', () => {
    const ct = production();
    (ct.ctlogs[0] as RootJson['ctlogs'][number]).publicKey.validFor = { end: '2030-01-01T00:00:00Z' };
    expect(codeOf(() => parseTrustRoot(bytesOf(ct), 'ct'))).toBe('TRUST_ROOT_INVALID');
    const reversed = production();
    (reversed.tlogs[0] as RootJson['tlogs'][number]).publicKey.validFor = { start: '2030-01-01T00:00:00Z', end: '2020-01-01T00:00:00Z' };
    expect(codeOf(() => parseTrustRoot(bytesOf(reversed), 'reversed'))).toBe('TRUST_ROOT_INVALID');
    const ca = production();
    (ca.certificateAuthorities[0] as RootJson['certificateAuthorities'][number]).validFor = { start: '2030-01-01T00:00:00Z', end: '2020-01-01T00:00:00Z' };
    expect(codeOf(() => parseTrustRoot(bytesOf(ca), 'ca'))).toBe('TRUST_ROOT_INVALID');
  });

  it('accepts a log key with no validity period at all (PublicKey.valid_for is optional)', () => {
    const root = production();
    delete (root.tlogs[0] as RootJson['tlogs'][number]).publicKey.validFor;
    const material = toVerifierTrustMaterial(parseTrustRoot(bytesOf(root), 'no period'));
    expect(material.tlogs[0]?.validFor.start.getTime()).toBe(0);
  });

  it('bounds a CA or TSA without validity start by its own chain (latest notBefore)', () => {
    // sigstore-js's verify fixture root has `validFor: {}` on a CA and a TSA, and must still verify.
    const path = join(TESTDATA, 'sigstore-js', 'extracted', 'verify', 'trustedRoot.trusted_root.json');
    const json = JSON.parse(readFileSync(path, 'utf8')) as RootJson;
    const material = toVerifierTrustMaterial(parseTrustRoot(readFileSync(path), 'sigstore-js'));
    const latestNotBefore = (chain: { rawBytes: string }[]): number => Math.max(...chain.map((cert) => X509Certificate.parse(Buffer.from(cert.rawBytes, 'base64')).notBefore.getTime()));
    expect(json.certificateAuthorities[0]?.validFor).toEqual({});
    expect(material.certificateAuthorities[0]?.validFor.start.getTime()).toBe(latestNotBefore(json.certificateAuthorities[0]?.certChain.certificates ?? []));
    expect(json.timestampAuthorities[0]?.validFor).toEqual({});
    expect(material.timestampAuthorities[0]?.validFor.start.getTime()).toBe(latestNotBefore(json.timestampAuthorities[0]?.certChain.certificates ?? []));
    // Explicit starts are kept as written.
    expect(material.certificateAuthorities[1]?.validFor.start.toISOString()).toBe('2022-04-13T20:06:15.000Z');
  });
});
