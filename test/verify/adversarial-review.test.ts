/**
 * Adversarial review of two relaxed checks: a Rekor v1 checkpoint signed under a name missing from
 * the log's baseUrl (checkpoint-signer-name.ts), and RFC 3161 tokens that do not verify set aside
 * when the verified time sources still meet the threshold (evidence.ts withoutFailingTimestamps).
 * Each test builds a forged or altered input and expects it refused; the one weakness found (a
 * checkpoint of unbounded size and signature lines, a denial of service) was fixed and is tested.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RFC3161Timestamp } from '@sigstore/core';
import { initializeTSA, type TSA } from '@sigstore/mock/dist/timestamp/index.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { proveInclusion } from '../../local-stack/inclusion-proof.js';
import { AiprovError } from '../../src/errors.js';
import { verifySigstoreBundle, type VerifySigstoreBundleOptions } from '../../src/verify/sigstore-bundle.js';
import { verifyRfc3161Timestamps } from '../../src/verify/timestamps.js';
import { parseTrustRoot, toVerifierTrustMaterial } from '../../src/verify/trust.js';
import { CONFORMANCE, PRODUCTION_ROOT } from '../support/conformance.js';

type Json = Record<string, unknown>;

const POD_NAME = 'rekor-00001-deployment-5f7c9b8d6-x2kqp';
const BASE_URL = 'https://rekor.sigstore.internal.example';
const OTHER_BASE_URL = 'https://rekor-other.internal.example';
const ARTIFACT = Buffer.from('a model card\n');
const SIGNER = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const SIGNATURE = sign('sha256', ARTIFACT, SIGNER.privateKey);
const DIGEST = createHash('sha256').update(ARTIFACT).digest();
const LOG_INDEX = 4242n;

interface Log {
  readonly keys: { readonly publicKey: KeyObject; readonly privateKey: KeyObject };
  readonly logId: Buffer;
  readonly baseUrl: string;
}

function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}
function newLog(baseUrl: string, logId?: Buffer): Log {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { keys, logId: logId ?? createHash('sha256').update(spki(keys.publicKey)).digest(), baseUrl };
}
function tlogJson(log: Log, validFor: Json = { start: '2023-01-01T00:00:00Z' }): Json {
  return { baseUrl: log.baseUrl, hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: spki(log.keys.publicKey).toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor }, logId: { keyId: log.logId.toString('base64') } };
}

const BODY = Buffer.from(
  JSON.stringify({
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value: DIGEST.toString('hex') } },
      signature: { content: SIGNATURE.toString('base64'), publicKey: { content: Buffer.from(SIGNER.publicKey.export({ type: 'spki', format: 'pem' })).toString('base64') } },
    },
  }),
);

interface EntryOptions {
  /** The log whose ID the entry names. */
  readonly claimed: Log;
  /** The key that signs the checkpoint (default the claimed log's). */
  readonly signingKey?: KeyObject;
  /** The key hint written on the signature line (default the claimed log's). */
  readonly hintOf?: Buffer;
  readonly name?: string;
}

/** A key-signed hashedrekord v0.0.1 bundle whose only witness is a Rekor v1 inclusion proof. */
function bundleWith(options: EntryOptions): Json {
  const identity = { name: options.name ?? POD_NAME, logId: options.hintOf ?? options.claimed.logId, privateKey: options.signingKey ?? options.claimed.keys.privateKey };
  const proof = proveInclusion(identity, BODY, LOG_INDEX, { timestampSeconds: 1_700_000_000 });
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      publicKey: { hint: 'release-key' },
      tlogEntries: [
        {
          logIndex: LOG_INDEX.toString(),
          logId: { keyId: options.claimed.logId.toString('base64') },
          kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
          integratedTime: '1700000000',
          inclusionProof: {
            logIndex: LOG_INDEX.toString(),
            rootHash: proof.rootHash.toString('base64'),
            treeSize: proof.treeSize.toString(),
            hashes: proof.hashes.map((hash) => hash.toString('base64')),
            checkpoint: { envelope: proof.checkpoint },
          },
          canonicalizedBody: BODY.toString('base64'),
        },
      ],
    },
    messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: DIGEST.toString('base64') }, signature: SIGNATURE.toString('base64') },
  };
}

function rootWith(tlogs: Json[], timestampAuthorities: Json[] = []): Json {
  return { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs, certificateAuthorities: [], ctlogs: [], timestampAuthorities };
}
function material(root: Json): VerifySigstoreBundleOptions['trustMaterial'] {
  return toVerifierTrustMaterial(parseTrustRoot(Buffer.from(JSON.stringify(root)), 'review root'));
}
function entryOf(bundle: Json): { inclusionProof: { checkpoint: { envelope: string }; treeSize: string; rootHash: string } } & Json {
  const entry = (bundle.verificationMaterial as { tlogEntries: ({ inclusionProof: { checkpoint: { envelope: string }; treeSize: string; rootHash: string } } & Json)[] }).tlogEntries[0];
  if (entry === undefined) throw new Error('no entry');
  return entry;
}
function envelopeOf(bundle: Json): string {
  return entryOf(bundle).inclusionProof.checkpoint.envelope;
}
function setEnvelope(bundle: Json, envelope: string): void {
  entryOf(bundle).inclusionProof.checkpoint.envelope = envelope;
}
function noteOf(envelope: string): string {
  return envelope.slice(0, envelope.indexOf('\n\n') + 1);
}
function signatureLine(note: string, key: KeyObject, hintOf: Buffer, name = POD_NAME): string {
  const signature = sign('sha256', Buffer.from(note, 'utf8'), key);
  return `\u2014 ${name} ${Buffer.concat([hintOf.subarray(0, 4), signature]).toString('base64')}\n`;
}

function verify(bundle: Json, root: Json, overrides: Partial<VerifySigstoreBundleOptions> = {}): ReturnType<typeof verifySigstoreBundle> {
  return verifySigstoreBundle({ bundleJson: bundle, artifact: ARTIFACT, trustMaterial: material(root), publicKey: SIGNER.publicKey, thresholds: { tlog: 1 }, ...overrides });
}
function expectCode(run: () => unknown, code: string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(AiprovError);
  expect(caught).toMatchObject({ code });
}

describe('checkpoint signer name: forged checkpoints', () => {
  it('control: the pod-named checkpoint of the claimed log verifies', () => {
    const log = newLog(BASE_URL);
    expect(verify(bundleWith({ claimed: log }), rootWith([tlogJson(log)])).signer.kind).toBe('key');
  });

  it('refuses a checkpoint signed (with its own hint) by another log of a multi-log root (TLOG_INVALID)', () => {
    const a = newLog(BASE_URL);
    const b = newLog(OTHER_BASE_URL);
    const bundle = bundleWith({ claimed: a, signingKey: b.keys.privateKey, hintOf: b.logId });
    expectCode(() => verify(bundle, rootWith([tlogJson(a), tlogJson(b)])), 'TLOG_INVALID');
    // Named as B's own host (in B's baseUrl), it is still not A's checkpoint.
    const named = bundleWith({ claimed: a, signingKey: b.keys.privateKey, hintOf: b.logId, name: 'rekor-other.internal.example' });
    expectCode(() => verify(named, rootWith([tlogJson(a), tlogJson(b)])), 'TLOG_INVALID');
  });

  it('refuses the claimed log\'s key hint over a signature by another trusted log\'s key (TLOG_INVALID)', () => {
    const a = newLog(BASE_URL);
    const b = newLog(OTHER_BASE_URL);
    expectCode(() => verify(bundleWith({ claimed: a, signingKey: b.keys.privateKey, hintOf: a.logId }), rootWith([tlogJson(a), tlogJson(b)])), 'TLOG_INVALID');
  });

  it('refuses an entry naming log A whose checkpoint (root, size, signature) is all log B\'s (TLOG_INVALID)', () => {
    const a = newLog(BASE_URL);
    const b = newLog(OTHER_BASE_URL);
    const bundle = bundleWith({ claimed: b });
    (entryOf(bundle).logId as { keyId: string }).keyId = a.logId.toString('base64');
    expectCode(() => verify(bundle, rootWith([tlogJson(a), tlogJson(b)])), 'TLOG_INVALID');
  });

  it('refuses several signature lines: one valid for another trusted log, one garbage under the claimed log\'s hint (TLOG_INVALID)', () => {
    const a = newLog(BASE_URL);
    const b = newLog(OTHER_BASE_URL);
    const bundle = bundleWith({ claimed: a });
    const envelope = envelopeOf(bundle);
    const note = noteOf(envelope);
    const garbage = `\u2014 ${POD_NAME} ${Buffer.concat([a.logId.subarray(0, 4), Buffer.alloc(70, 7)]).toString('base64')}\n`;
    for (const lines of [[signatureLine(note, b.keys.privateKey, b.logId), garbage], [garbage, signatureLine(note, b.keys.privateKey, b.logId)], [signatureLine(note, b.keys.privateKey, b.logId, BASE_URL)]]) {
      setEnvelope(bundle, `${note}\n${lines.join('')}`);
      expectCode(() => verify(bundle, rootWith([tlogJson(a), tlogJson(b)])), 'TLOG_INVALID');
    }
  });

  it('refuses an altered note body under the pod name: origin, tree size, root hash, an added line (TLOG_INVALID)', () => {
    const log = newLog(BASE_URL);
    const root = rootWith([tlogJson(log)]);
    const alterations: ((bundle: Json) => void)[] = [
      (bundle) => {
        setEnvelope(bundle, envelopeOf(bundle).replace(/^[^\n]+/, 'rekor.sigstore.dev - 1193050959916656506'));
      },
      (bundle) => {
        const entry = entryOf(bundle);
        const size = String(BigInt(entry.inclusionProof.treeSize) + 1n);
        setEnvelope(bundle, envelopeOf(bundle).replace(/^([^\n]+)\n[0-9]+\n/, (_all, origin: string) => `${origin}\n${size}\n`));
        entry.inclusionProof.treeSize = size; // consistent with the checkpoint, so the signature is what fails
      },
      (bundle) => {
        const entry = entryOf(bundle);
        const rootHash = Buffer.alloc(32, 1).toString('base64');
        setEnvelope(bundle, envelopeOf(bundle).replace(/^([^\n]+\n[0-9]+\n)[^\n]+\n/, (_all, head: string) => `${head}${rootHash}\n`));
        entry.inclusionProof.rootHash = rootHash;
      },
      (bundle) => {
        setEnvelope(bundle, envelopeOf(bundle).replace('\n\n', '\nextra: line\n\n'));
      },
    ];
    for (const alter of alterations) {
      const bundle = bundleWith({ claimed: log });
      const before = envelopeOf(bundle);
      alter(bundle);
      expect(envelopeOf(bundle)).not.toBe(before);
      expectCode(() => verify(bundle, root), 'TLOG_INVALID');
    }
  });

  it('does not rename for a log whose ID is not SHA-256 of its key (Rekor v2 / C2SP style) (TLOG_INVALID)', () => {
    const log = newLog(BASE_URL, createHash('sha256').update('a C2SP key ID').digest());
    expectCode(() => verify(bundleWith({ claimed: log }), rootWith([tlogJson(log)])), 'TLOG_INVALID');
  });

  it('refuses a Rekor v2 checkpoint (conformance rekor2-happy-path) whose signature line is renamed to a pod name (TLOG_INVALID)', () => {
    const dir = join(CONFORMANCE, 'test', 'assets', 'bundle-verify', 'rekor2-happy-path');
    const bundle = JSON.parse(readFileSync(join(dir, 'bundle.sigstore.json'), 'utf8')) as Json;
    const trustMaterial = toVerifierTrustMaterial(parseTrustRoot(readFileSync(join(dir, 'trusted_root.json')), 'rekor2'));
    const artifact = readFileSync(join(CONFORMANCE, 'test', 'assets', 'bundle-verify', 'a.txt'));
    const options = { artifact, trustMaterial, identity: { certificateIdentity: 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main', certificateOidcIssuer: 'https://token.actions.githubusercontent.com' } };
    expect(verifySigstoreBundle({ bundleJson: bundle, ...options }).signer.kind).toBe('certificate');
    setEnvelope(bundle, envelopeOf(bundle).replace(/\u2014 \S+ /, `\u2014 ${POD_NAME} `));
    expectCode(() => verifySigstoreBundle({ bundleJson: bundle, ...options }), 'TLOG_INVALID');
  });

  it('leaves the caller\'s bundle and the report free of the rewritten name', () => {
    const log = newLog(BASE_URL);
    const bundle = bundleWith({ claimed: log });
    const before = JSON.stringify(bundle);
    const result = verify(bundle, rootWith([tlogJson(log)]));
    expect(JSON.stringify(bundle)).toBe(before);
    expect(JSON.stringify(result)).not.toContain(BASE_URL);
    expect(JSON.stringify(result)).not.toContain('\u2014');
  });

  it('refuses unusual signed-note grammar: CRLF, tab or double space in the signature line, no blank line, signature inside the note (TLOG_INVALID)', () => {
    const log = newLog(BASE_URL);
    const root = rootWith([tlogJson(log)]);
    const variants: ((envelope: string) => string)[] = [
      (envelope) => envelope.replace(/\n$/, '\r\n'),
      (envelope) => envelope.replace(`\u2014 ${POD_NAME} `, `\u2014 ${POD_NAME}\t`),
      (envelope) => envelope.replace(`\u2014 ${POD_NAME} `, `\u2014  ${POD_NAME} `),
      (envelope) => envelope.replace('\n\n', '\n'),
      // the signature line moved above the blank line: it is then part of the signed text
      (envelope) => `${noteOf(envelope)}${envelope.slice(envelope.indexOf('\n\n') + 2)}\n`,
    ];
    for (const variant of variants) {
      const bundle = bundleWith({ claimed: log });
      setEnvelope(bundle, variant(envelopeOf(bundle)));
      let caught: unknown;
      try {
        verify(bundle, root);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(AiprovError);
      expect(['TLOG_INVALID', 'BUNDLE_INVALID']).toContain((caught as AiprovError).code);
    }
  });

  it('a valid pod-named line beside garbage lines still verifies (as @sigstore/verify: any one signature of the log suffices)', () => {
    const log = newLog(BASE_URL);
    const bundle = bundleWith({ claimed: log });
    const garbage = `\u2014 ${POD_NAME} ${Buffer.concat([log.logId.subarray(0, 4), Buffer.alloc(70, 7)]).toString('base64')}\n`;
    setEnvelope(bundle, `${envelopeOf(bundle)}${garbage}`);
    expect(verify(bundle, rootWith([tlogJson(log)])).signer.kind).toBe('key');
  });

  // DoS: each signature line with the log's key hint and another name costs one ECDSA
  // verification over the whole note, before any other check. The envelope is bounded and one
  // line per checkpoint is tried: an oversized checkpoint is malformed, and many lines cost one.
  it('refuses an oversized checkpoint as malformed (BUNDLE_INVALID), before verifying any of its signature lines', () => {
    const log = newLog(BASE_URL);
    const bundle = bundleWith({ claimed: log });
    const envelope = envelopeOf(bundle);
    const note = noteOf(envelope);
    const big = `${note}${'x'.repeat(1024 * 1024)}\n`;
    const bad = `\u2014 ${POD_NAME} ${Buffer.concat([log.logId.subarray(0, 4), Buffer.alloc(70, 7)]).toString('base64')}\n`;
    setEnvelope(bundle, `${big}\n${bad.repeat(400)}`);
    expectCode(() => verifySigstoreBundle({ bundleJson: bundle, artifact: ARTIFACT, trustMaterial: material(rootWith([tlogJson(log)])) }), 'BUNDLE_INVALID');
  });

  it('tries one line with the log\'s key hint per checkpoint: a junk line before the valid one is not passed over', () => {
    const log = newLog(BASE_URL);
    const bundle = bundleWith({ claimed: log });
    const envelope = envelopeOf(bundle);
    const note = noteOf(envelope);
    const junk = `\u2014 ${POD_NAME} ${Buffer.concat([log.logId.subarray(0, 4), Buffer.alloc(70, 7)]).toString('base64')}\n`;
    setEnvelope(bundle, `${note}\n${junk}${envelope.slice(note.length + 1)}`);
    expectCode(() => verify(bundle, rootWith([tlogJson(log)])), 'TLOG_INVALID');
  });
});

// --- RFC 3161 ---------------------------------------------------------------------------------

const SHA256_OID = '2.16.840.1.101.3.4.2.1';
const TSA_POLICY = '1.3.6.1.4.1.57264.2';

/** The mock hands out byte views; a Buffer over the same bytes. */
function bytesOf(view: ArrayBufferView): Buffer<ArrayBuffer> {
  return Buffer.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
}

async function issueToken(tsa: TSA, signature: Buffer, nonce: number): Promise<string> {
  for (let attempt = 0; attempt < 40; attempt += 1) {
    const response = bytesOf(await tsa.timestamp({ artifactHash: createHash('sha256').update(signature).digest(), hashAlgorithmOID: SHA256_OID, nonce: nonce + attempt, policyOID: TSA_POLICY }));
    try {
      if (!Number.isNaN(RFC3161Timestamp.parse(response).signingTime.getTime())) return response.toString('base64');
    } catch {
      // the mock sometimes writes a fraction core cannot parse: issue again
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error('no parseable token');
}
function tsaJson(tsa: TSA, validFor: Json = { start: '2023-01-01T00:00:00Z' }): Json {
  return { subject: { organization: 'sigstore.mock', commonName: 'tsa' }, uri: 'https://tsa.example', certChain: { certificates: [{ rawBytes: bytesOf(tsa.intCertificate).toString('base64') }, { rawBytes: bytesOf(tsa.rootCertificate).toString('base64') }] }, validFor };
}
function withTokens(bundle: Json, tokens: string[]): Json {
  (bundle.verificationMaterial as Json).timestampVerificationData = { rfc3161Timestamps: tokens.map((signedTimestamp) => ({ signedTimestamp })) };
  return bundle;
}

describe('RFC 3161 tokens that do not verify: forged combinations', () => {
  let trusted: TSA;
  let untrusted: TSA;
  let good: string;
  let good2: string;
  let fromUntrusted: string;
  let otherSignature: string;
  const log = newLog(BASE_URL);

  beforeAll(async () => {
    trusted = await initializeTSA(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
    untrusted = await initializeTSA(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
    good = await issueToken(trusted, SIGNATURE, 1);
    good2 = await issueToken(trusted, SIGNATURE, 1000);
    fromUntrusted = await issueToken(untrusted, SIGNATURE, 2000);
    otherSignature = await issueToken(trusted, Buffer.from('another signature'), 3000);
  });
  const root = (tsaValidFor?: Json): Json => rootWith([tlogJson(log)], [tsaJson(trusted, tsaValidFor)]);
  const bundle = (...tokens: string[]): Json => withTokens(bundleWith({ claimed: log, name: 'rekor.sigstore.internal.example' }), tokens);

  it('control: a good token verifies, and a failing one beside it is set aside (only the good time reported)', () => {
    expect(verify(bundle(good), root()).timestamps).toHaveLength(1);
    expect(verify(bundle(fromUntrusted, good), root()).timestamps).toHaveLength(1);
    expect(verify(bundle(otherSignature, good), root()).timestamps).toHaveLength(1);
  });

  it('refuses a bundle whose only token comes from an untrusted TSA or covers another signature, at any threshold (TIMESTAMP_INVALID)', () => {
    for (const token of [fromUntrusted, otherSignature]) {
      for (const timestamp of [0, 1]) expectCode(() => verify(bundle(token), root(), { thresholds: { tlog: 1, timestamp } }), 'TIMESTAMP_INVALID');
      expectCode(() => verify(bundle(token, token), root()), 'TIMESTAMP_INVALID');
    }
    expectCode(() => verify(bundle(fromUntrusted, otherSignature), root()), 'TIMESTAMP_INVALID');
  });

  it('does not count a set-aside token toward a threshold of 2 (TIMESTAMP_MISSING)', () => {
    // (The mock TSAs share an issuer and serial number, so the untrusted one counts as the same authority: TIMESTAMP_MISSING.)
    expectCode(() => verify(bundle(good, fromUntrusted), root(), { thresholds: { tlog: 1, timestamp: 2 } }), 'TIMESTAMP_MISSING');
    expectCode(() => verify(bundle(good, otherSignature), root(), { thresholds: { tlog: 1, timestamp: 2 } }), 'TIMESTAMP_MISSING');
    expectCode(() => verify(bundle(good, good2, otherSignature, fromUntrusted), root(), { thresholds: { tlog: 1, timestamp: 2 } }), 'TIMESTAMP_MISSING');
  });

  it('counts two distinct tokens of one TSA, or one token repeated, once (TIMESTAMP_MISSING)', () => {
    expect(good).not.toBe(good2);
    expectCode(() => verify(bundle(good, good2), root(), { thresholds: { tlog: 1, timestamp: 2 } }), 'TIMESTAMP_MISSING');
    expectCode(() => verify(bundle(good, good), root(), { thresholds: { tlog: 1, timestamp: 2 } }), 'TIMESTAMP_MISSING');
    expectCode(() => verify(bundle(good, good2, fromUntrusted), root(), { thresholds: { tlog: 1, timestamp: 2 } }), 'TIMESTAMP_MISSING');
  });

  it('refuses a token from the trusted TSA outside the trust root\'s validFor window, alone (TIMESTAMP_INVALID)', () => {
    expectCode(() => verify(bundle(good), root({ start: '2020-01-01T00:00:00Z', end: '2020-06-01T00:00:00Z' })), 'TIMESTAMP_INVALID');
  });

  it('refuses more than 64 tokens as a malformed bundle (BUNDLE_INVALID), even all failing with one good', () => {
    expectCode(() => verify(bundle(...Array.from({ length: 64 }, () => fromUntrusted), good), root()), 'BUNDLE_INVALID');
  });

  it('OMS key/certificate bundles (verifyRfc3161Timestamps): a failing token is set aside only beside a verified one; alone it fails', () => {
    const authorities = material(root()).timestampAuthorities;
    const oms = (...tokens: string[]): Parameters<typeof verifyRfc3161Timestamps>[0] => ({ verificationMaterial: { timestampVerificationData: { rfc3161Timestamps: tokens.map((signedTimestamp) => ({ signedTimestamp })) } } }) as unknown as Parameters<typeof verifyRfc3161Timestamps>[0];
    const now = new Date();
    expect(verifyRfc3161Timestamps(oms(fromUntrusted, good, otherSignature), SIGNATURE, SIGNER.publicKey, authorities, now)).toHaveLength(1);
    for (const tokens of [[fromUntrusted], [otherSignature], [otherSignature, fromUntrusted], [otherSignature, otherSignature]]) {
      expectCode(() => verifyRfc3161Timestamps(oms(...tokens), SIGNATURE, SIGNER.publicKey, authorities, now), 'TIMESTAMP_INVALID');
    }
    // The good token over another signature (the DSSE signature the caller verified) is not a witness of it.
    expectCode(() => verifyRfc3161Timestamps(oms(good), Buffer.from('another signature'), SIGNER.publicKey, authorities, now), 'TIMESTAMP_INVALID');
    // A verified token dated beyond the verifier's clock is refused, not set aside.
    expectCode(() => verifyRfc3161Timestamps(oms(good), SIGNATURE, SIGNER.publicKey, authorities, new Date(Date.now() - 3_600_000)), 'TIMESTAMP_INVALID');
  });

  it('refuses a bundle whose tokens verify but the signature does not (SIGNATURE_INVALID or similar, never accepted)', () => {
    const forged = bundle(good);
    (forged.messageSignature as Json).signature = sign('sha256', Buffer.from('other'), SIGNER.privateKey).toString('base64');
    expect(() => verify(forged, root())).toThrow(AiprovError);
  });
});

describe('RFC 3161 tokens beside SETs (keyless conformance vectors)', () => {
  const ASSETS = join(CONFORMANCE, 'test', 'assets', 'bundle-verify');
  const A_TXT = readFileSync(join(ASSETS, 'a.txt'));
  const PRODUCTION = toVerifierTrustMaterial(parseTrustRoot(readFileSync(PRODUCTION_ROOT), 'production'));
  const identity = { certificateIdentity: 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main', certificateOidcIssuer: 'https://token.actions.githubusercontent.com' };
  const bundleOf = (name: string): Json => JSON.parse(readFileSync(join(ASSETS, name, 'bundle.sigstore.json'), 'utf8')) as Json;
  const tokenOf = (name: string): Json => {
    const token = (bundleOf(name).verificationMaterial as { timestampVerificationData: { rfc3161Timestamps: Json[] } }).timestampVerificationData.rfc3161Timestamps[0];
    if (token === undefined) throw new Error('no token');
    return token;
  };

  it('refuses a forged SET (its time counted to set a failing token aside) beside an untrusted token', () => {
    const bundle = bundleOf('happy-path-v0.3');
    const entry = (bundle.verificationMaterial as { tlogEntries: { inclusionPromise: { signedEntryTimestamp: string } }[] }).tlogEntries[0];
    if (entry === undefined) throw new Error('no entry');
    const set = Buffer.from(entry.inclusionPromise.signedEntryTimestamp, 'base64');
    set[20] = (set[20] ?? 0) ^ 1;
    entry.inclusionPromise.signedEntryTimestamp = set.toString('base64');
    (bundle.verificationMaterial as Json).timestampVerificationData = { rfc3161Timestamps: [tokenOf('rekor2-happy-path')] };
    expect(() => verifySigstoreBundle({ bundleJson: bundle, artifact: A_TXT, trustMaterial: PRODUCTION, identity })).toThrow(AiprovError);
  });

  it('refuses an altered integrated time (the SET no longer covers it) beside an untrusted token', () => {
    const bundle = bundleOf('happy-path-v0.3');
    const entry = (bundle.verificationMaterial as { tlogEntries: { integratedTime: string }[] }).tlogEntries[0];
    if (entry === undefined) throw new Error('no entry');
    entry.integratedTime = String(Number(entry.integratedTime) + 3600);
    (bundle.verificationMaterial as Json).timestampVerificationData = { rfc3161Timestamps: [tokenOf('rekor2-happy-path')] };
    expect(() => verifySigstoreBundle({ bundleJson: bundle, artifact: A_TXT, trustMaterial: PRODUCTION, identity })).toThrow(AiprovError);
  });

  it('an entry without SET is no time source: a Rekor v2 bundle whose only token fails is refused (TIMESTAMP_INVALID)', () => {
    const bundle = bundleOf('rekor2-happy-path');
    (bundle.verificationMaterial as { timestampVerificationData: { rfc3161Timestamps: Json[] } }).timestampVerificationData.rfc3161Timestamps = [tokenOf('rekor2-timestamp-payload-mismatch_fail')];
    const trustMaterial = toVerifierTrustMaterial(parseTrustRoot(readFileSync(join(ASSETS, 'rekor2-happy-path', 'trusted_root.json')), 'rekor2'));
    expectCode(() => verifySigstoreBundle({ bundleJson: bundle, artifact: A_TXT, trustMaterial, identity }), 'TIMESTAMP_INVALID');
  });
});
