/**
 * A Rekor v1 checkpoint signed under the log's host name, as a private Sigstore deployment made
 * with the sigstore/scaffolding charts writes it (the Rekor pod's name, found in no URL), must
 * verify when its key hint and signature do (sigstore-go does not look at the name;
 * @sigstore/verify requires it in the log's baseUrl). Everything else about the checkpoint must
 * still be checked. No third-party vector has such a checkpoint: each bundle here is made with a
 * test log key, its checkpoint signed as Rekor v1 signs one (local-stack/inclusion-proof.ts).
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { proveInclusion } from '../../local-stack/inclusion-proof.js';
import { AiprovError } from '../../src/errors.js';
import { verifySigstoreBundle } from '../../src/verify/sigstore-bundle.js';
import { parseTrustRoot, toVerifierTrustMaterial } from '../../src/verify/trust.js';
import { expectOneLineError, runCli } from '../support/cli.js';
import { temporaryDirectory } from '../support/fixtures.js';

const POD_NAME = 'rekor-00001-deployment-5f7c9b8d6-x2kqp';
const BASE_URL = 'https://rekor.sigstore.internal.example';
const ARTIFACT = Buffer.from('a model card\n');

type Json = Record<string, unknown>;

interface Vector {
  readonly bundle: Json;
  readonly trustedRoot: Json;
  readonly signerKey: KeyObject;
}

function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** A key-signed hashedrekord v0.0.1 bundle whose only witness is a Rekor v1 inclusion proof. */
function podLogVector(options: { readonly name?: string; readonly checkpointKey?: KeyObject; readonly provenRoot?: 'own' | 'another entry' } = {}): Vector {
  const logKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const logId = createHash('sha256').update(spki(logKeys.publicKey)).digest();
  const signature = sign('sha256', ARTIFACT, signer.privateKey);
  const digest = createHash('sha256').update(ARTIFACT).digest();
  const body = Buffer.from(
    JSON.stringify({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: digest.toString('hex') } },
        signature: { content: signature.toString('base64'), publicKey: { content: Buffer.from(signer.publicKey.export({ type: 'spki', format: 'pem' })).toString('base64') } },
      },
    }),
  );
  const logIndex = 4242n;
  const identity = { name: options.name ?? POD_NAME, logId, privateKey: options.checkpointKey ?? logKeys.privateKey };
  const proof = proveInclusion(identity, options.provenRoot === 'another entry' ? Buffer.from('another entry') : body, logIndex, { timestampSeconds: 1_700_000_000 });
  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      publicKey: { hint: 'release-key' },
      tlogEntries: [
        {
          logIndex: logIndex.toString(),
          logId: { keyId: logId.toString('base64') },
          kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
          integratedTime: '1700000000',
          inclusionProof: {
            logIndex: logIndex.toString(),
            rootHash: proof.rootHash.toString('base64'),
            treeSize: proof.treeSize.toString(),
            hashes: proof.hashes.map((hash) => hash.toString('base64')),
            checkpoint: { envelope: proof.checkpoint },
          },
          canonicalizedBody: body.toString('base64'),
        },
      ],
    },
    messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: digest.toString('base64') }, signature: signature.toString('base64') },
  };
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{ baseUrl: BASE_URL, hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: spki(logKeys.publicKey).toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2023-01-01T00:00:00Z' } }, logId: { keyId: logId.toString('base64') } }],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  };
  return { bundle, trustedRoot, signerKey: signer.publicKey };
}

function envelopeOf(bundle: Json): string {
  return ((bundle.verificationMaterial as { tlogEntries: { inclusionProof: { checkpoint: { envelope: string } } }[] }).tlogEntries[0]?.inclusionProof.checkpoint.envelope) ?? '';
}
function setEnvelope(bundle: Json, envelope: string): void {
  const entry = (bundle.verificationMaterial as { tlogEntries: { inclusionProof: { checkpoint: { envelope: string } } }[] }).tlogEntries[0];
  if (entry === undefined) throw new Error('no entry');
  entry.inclusionProof.checkpoint.envelope = envelope;
}
/** Flips one bit of the decoded `hint || signature` of the checkpoint's signature line, at `at`. */
function flipSignatureLineByte(bundle: Json, at: number): void {
  const envelope = envelopeOf(bundle);
  setEnvelope(
    bundle,
    envelope.replace(/\u2014 (\S+) (\S+)\n$/, (_line, name: string, encoded: string) => {
      const bytes = Buffer.from(encoded, 'base64');
      bytes[at] = (bytes[at] ?? 0) ^ 0x01;
      return `\u2014 ${name} ${bytes.toString('base64')}\n`;
    }),
  );
}

function verify(vector: Vector): ReturnType<typeof verifySigstoreBundle> {
  const trustMaterial = toVerifierTrustMaterial(parseTrustRoot(Buffer.from(JSON.stringify(vector.trustedRoot)), 'pod-log root'));
  return verifySigstoreBundle({ bundleJson: vector.bundle, artifact: ARTIFACT, trustMaterial, publicKey: vector.signerKey, thresholds: { tlog: 1 } });
}
function expectRefused(vector: Vector, code: string): void {
  let caught: unknown;
  try {
    verify(vector);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AiprovError);
  expect(caught).toMatchObject({ code });
}

describe('Rekor v1 checkpoint signed under a host name that is not in the log\'s baseUrl', () => {
  it('does not refuse a checkpoint whose signature line names the Rekor pod when its key hint and signature verify', () => {
    const vector = podLogVector();
    const [origin] = envelopeOf(vector.bundle).split('\n');
    expect(origin).toMatch(new RegExp(`^${POD_NAME} - [0-9]+$`));
    expect(envelopeOf(vector.bundle)).toContain(`\u2014 ${POD_NAME} `);
    const result = verify(vector);
    expect(result.signer.kind).toBe('key');
    expect(result.tlogEntries).toMatchObject([{ logIndex: '4242', inclusionProof: true, inclusionPromise: false }]);
    // The caller's bundle is not rewritten.
    expect(envelopeOf(vector.bundle)).toContain(`\u2014 ${POD_NAME} `);
  });

  it('still refuses a wrong key hint under the pod name (TLOG_INVALID)', () => {
    const vector = podLogVector();
    flipSignatureLineByte(vector.bundle, 0);
    expectRefused(vector, 'TLOG_INVALID');
  });

  it('still refuses a bad checkpoint signature under the pod name (TLOG_INVALID)', () => {
    const vector = podLogVector();
    flipSignatureLineByte(vector.bundle, 20);
    expectRefused(vector, 'TLOG_INVALID');
  });

  it('still refuses a checkpoint signed by another key with the log\'s key hint (TLOG_INVALID)', () => {
    expectRefused(podLogVector({ checkpointKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }), 'TLOG_INVALID');
  });

  it('still refuses a validly signed checkpoint whose root hash is not this entry\'s (TLOG_INVALID)', () => {
    expectRefused(podLogVector({ provenRoot: 'another entry' }), 'TLOG_INVALID');
  });

  it('still refuses an altered note under the pod name (TLOG_INVALID)', () => {
    const vector = podLogVector();
    const envelope = envelopeOf(vector.bundle);
    setEnvelope(vector.bundle, envelope.replace(/^Timestamp: ([0-9]+)$/m, (_line, ns: string) => `Timestamp: ${String(BigInt(ns) + 1n)}`));
    expect(envelopeOf(vector.bundle)).not.toBe(envelope);
    expectRefused(vector, 'TLOG_INVALID');
  });

  it('verify-bundle exits 0 for the pod-named checkpoint, and 1 with TLOG_INVALID for a wrong key hint', async () => {
    const directory = await temporaryDirectory();
    const vector = podLogVector();
    const files = { bundle: join(directory, 'bundle.json'), root: join(directory, 'trusted_root.json'), key: join(directory, 'key.pub'), artifact: join(directory, 'model-card.txt') };
    await writeFile(files.root, JSON.stringify(vector.trustedRoot));
    await writeFile(files.key, vector.signerKey.export({ type: 'spki', format: 'pem' }));
    await writeFile(files.artifact, ARTIFACT);
    await writeFile(files.bundle, JSON.stringify(vector.bundle));
    const args = ['verify-bundle', '--bundle', files.bundle, '--key', files.key, '--trusted-root', files.root, '--offline', files.artifact];
    const passed = await runCli(args);
    expect({ status: passed.status, stderr: passed.stderr }).toEqual({ status: 0, stderr: '' });

    flipSignatureLineByte(vector.bundle, 1);
    await writeFile(files.bundle, JSON.stringify(vector.bundle));
    expectOneLineError(await runCli(args), 1, 'TLOG_INVALID');
  });
});
