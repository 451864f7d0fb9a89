/**
 * Interop: bundles aiprov signs are accepted by an independent verifier that follows
 * model_signing v1.1's verification rules (test/support/model_signing_reference.py). model_signing
 * itself cannot be installed here, so the reference verifier is checked against model_signing's own
 * golden v1.1.0 bundles first, and every positive case has a negative control next to it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSigstore, type LocalSigstore } from '../../local-stack/index.js';
import type { SerializationMethod } from '../../src/manifest/manifest.js';
import type { HashType } from '../../src/hashing/hash-type.js';
import { CURVE_NAMES, generateKeyPair, parsePrivateKey, parsePublicKey, type CurveName } from '../../src/format/keys.js';
import { signArtifact } from '../../src/sign/sign-artifact.js';
import type { SigningMethod } from '../../src/sign/signer.js';
import { parseCertificates } from '../../src/format/certificates.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';
import { MODEL_SIGNING_VECTORS, REPO_ROOT } from '../support/paths.js';

const REFERENCE_VERIFIER = join(REPO_ROOT, 'test', 'support', 'model_signing_reference.py');
const GOLDEN = join(MODEL_SIGNING_VECTORS, 'scripts', 'tests');
const GOLDEN_KEYS = join(GOLDEN, 'keys', 'certificate');

/** Why the reference verifier cannot run here, or undefined when it can. */
function referenceUnavailable(): string | undefined {
  const probe = spawnSync('python3', ['-c', 'import cryptography'], { encoding: 'utf8' });
  if (probe.error !== undefined) return `python3 cannot be started: ${probe.error.message}`;
  if (probe.status !== 0) return `python3 cannot import cryptography: ${probe.stderr.trim()}`;
  return undefined;
}

const skipReason = referenceUnavailable();
if (skipReason !== undefined) console.warn(`skipping the model_signing reference interop tests: ${skipReason}`);

interface ReferenceRun {
  readonly status: number | null;
  /** stdout and stderr together: the verdict line, or a traceback on an internal error. */
  readonly output: string;
}

/** Runs the Python reference verifier; exit 0 = accepted, 1 = rejected, anything else = its own bug. */
function referenceVerify(args: readonly string[]): ReferenceRun {
  const run = spawnSync('python3', [REFERENCE_VERIFIER, ...args], { encoding: 'utf8' });
  if (run.error !== undefined) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

function expectAccepted(run: ReferenceRun): void {
  expect(run.output).toBe('OK\n');
  expect(run.status).toBe(0);
}

function expectRejected(run: ReferenceRun, reason: RegExp): void {
  expect(run.status, run.output).toBe(1);
  expect(run.output).toMatch(/^FAILED: /);
  expect(run.output).toMatch(reason);
}

/** SMALL_MODEL (a nested dir and a dotfile) plus an empty file and files of awkward sizes for shards. */
const MODEL_FILES: Readonly<Record<string, string>> = {
  ...SMALL_MODEL,
  'weights/empty.bin': '',
  'nested/deeper/tokenizer.txt': 'seventeen bytes!\n',
};

async function makeModel(): Promise<string> {
  return writeModel(await temporaryDirectory(), MODEL_FILES);
}

interface ManifestChoice {
  readonly method?: SerializationMethod;
  readonly hashType?: HashType;
  readonly shardSize?: number;
}

interface KeySigned {
  readonly model: string;
  readonly signature: string;
  readonly publicKeyFile: string;
}

async function signWithNewKey(curve: CurveName, model: string, choice: ManifestChoice = {}): Promise<KeySigned> {
  const pair = generateKeyPair(curve);
  const keys = await temporaryDirectory();
  const publicKeyFile = join(keys, `${curve}.pub.pem`);
  writeFileSync(publicKeyFile, pair.publicKeyPem);
  // The public key aiprov would verify with must be the one the Python verifier gets.
  parsePublicKey(pair.publicKeyPem, publicKeyFile);
  const signingMethod: SigningMethod = { kind: 'key', privateKey: parsePrivateKey(pair.privateKeyPem, `${curve}.pem`) };
  const result = await signArtifact(model, { signingMethod, ...choice });
  return { model, signature: result.signaturePath, publicKeyFile };
}

const keyArgs = (signed: KeySigned): string[] => ['--model', signed.model, '--signature', signed.signature, '--public-key', signed.publicKeyFile];

interface BundleJsonShape {
  verificationMaterial: Record<string, unknown>;
  dsseEnvelope: { payload: string; signatures: { sig: string }[] };
  [field: string]: unknown;
}

const readBundle = (path: string): BundleJsonShape => JSON.parse(readFileSync(path, 'utf8')) as BundleJsonShape;
const writeBundle = (path: string, bundle: BundleJsonShape): void => {
  writeFileSync(path, `${JSON.stringify(bundle)}\n`);
};

interface PkiFiles {
  readonly dir: string;
  readonly rootPem: string;
  readonly intermediatePem: string;
  readonly leafPem: string;
  readonly leafKey: string;
  /** A leaf from the same intermediate allowing neither digitalSignature nor codeSigning. */
  readonly noUsageLeafPem: string;
  readonly noUsageLeafKey: string;
}

const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_intermediate]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_no_usage_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyAgreement
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
`;

/** Root CA (P-384) -> intermediate CA (P-384) -> code-signing leaf (P-256), made with the openssl CLI. */
async function makePki(): Promise<PkiFiles> {
  const dir = await temporaryDirectory();
  const file = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  };
  writeFileSync(file('pki.cnf'), OPENSSL_CONFIG);
  const newKey = (name: string, curve: string): void => {
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve}`, '-out', file(name));
  };
  const issue = (name: string, subject: string, issuer: string, extensions: string, serial: string): void => {
    openssl('req', '-new', '-config', file('pki.cnf'), '-key', file(`${name}.key`), '-subj', subject, '-out', file(`${name}.csr`));
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file(`${issuer}.pem`), '-CAkey', file(`${issuer}.key`), '-set_serial', serial, '-days', '3650', '-sha384', '-extfile', file('pki.cnf'), '-extensions', extensions, '-out', file(`${name}.pem`));
  };
  newKey('root.key', 'P-384');
  openssl('req', '-x509', '-new', '-config', file('pki.cnf'), '-extensions', 'v3_root', '-key', file('root.key'), '-subj', '/CN=aiprov interop root CA', '-days', '3650', '-sha384', '-set_serial', '1', '-out', file('root.pem'));
  newKey('intermediate.key', 'P-384');
  issue('intermediate', '/CN=aiprov interop intermediate CA', 'root', 'v3_intermediate', '2');
  newKey('leaf.key', 'P-256');
  issue('leaf', '/CN=aiprov interop signer', 'intermediate', 'v3_leaf', '3');
  newKey('no-usage-leaf.key', 'P-256');
  issue('no-usage-leaf', '/CN=aiprov interop server', 'intermediate', 'v3_no_usage_leaf', '4');
  return {
    dir,
    rootPem: file('root.pem'),
    intermediatePem: file('intermediate.pem'),
    leafPem: file('leaf.pem'),
    leafKey: file('leaf.key'),
    noUsageLeafPem: file('no-usage-leaf.pem'),
    noUsageLeafKey: file('no-usage-leaf.key'),
  };
}

function certificateSigning(leafPem: string, leafKey: string, intermediatePem: string): SigningMethod {
  return {
    kind: 'certificate',
    privateKey: parsePrivateKey(readFileSync(leafKey), leafKey),
    certificateChain: [...parseCertificates(readFileSync(leafPem, 'utf8'), leafPem), ...parseCertificates(readFileSync(intermediatePem, 'utf8'), intermediatePem)],
  };
}

describe.skipIf(skipReason !== undefined)('model_signing v1.1 reference verifier accepts aiprov bundles', () => {
  describe('the reference verifier itself accepts model_signing v1.1.0 output', () => {
    it('v1.1.0-elliptic-key golden bundle', () => {
      const model = join(GOLDEN, 'v1.1.0-elliptic-key');
      expectAccepted(referenceVerify(['--model', model, '--signature', join(model, 'model.sig'), '--public-key', join(GOLDEN_KEYS, 'signing-key-pub.pem'), '--ignore-paths', 'ignore-me']));
    });

    it('v1.1.0-certificate golden bundle', () => {
      const model = join(GOLDEN, 'v1.1.0-certificate');
      expectAccepted(referenceVerify(['--model', model, '--signature', join(model, 'model.sig'), '--certificate-chain', join(GOLDEN_KEYS, 'ca-cert.pem'), '--ignore-paths', 'ignore-me']));
    });

    it('rejects a golden bundle checked against the wrong model or the wrong trust', () => {
      const keyModel = join(GOLDEN, 'v1.1.0-elliptic-key');
      const certificateModel = join(GOLDEN, 'v1.1.0-certificate');
      // The certificate vector signed a different signme-1: the files differ.
      expectRejected(referenceVerify(['--model', keyModel, '--signature', join(certificateModel, 'model.sig'), '--certificate-chain', join(GOLDEN_KEYS, 'ca-cert.pem')]), /changed: signme-1/);
      // The intermediate alone is not a self-signed root.
      expectRejected(referenceVerify(['--model', certificateModel, '--signature', join(certificateModel, 'model.sig'), '--certificate-chain', join(GOLDEN_KEYS, 'int-ca-cert.pem')]), /unable to get the issuer/);
    });
  });

  describe('key bundles', () => {
    for (const curve of CURVE_NAMES) {
      it(`accepts a ${curve} bundle`, async () => {
        expectAccepted(referenceVerify(keyArgs(await signWithNewKey(curve, await makeModel()))));
      });
    }

    it('accepts a single-file artifact (resource name ".")', async () => {
      const dir = await temporaryDirectory();
      const file = join(dir, 'model.safetensors');
      writeFileSync(file, 'a single-file model');
      const signed = await signWithNewKey('P-256', file);
      expect(signed.signature).toBe(`${file}.sig`);
      expectAccepted(referenceVerify(keyArgs(signed)));
    });

    const choices: readonly (ManifestChoice & { readonly label: string })[] = [
      { label: 'shards of 7 bytes (sha256)', method: 'shards', shardSize: 7 },
      { label: 'blake2b files', hashType: 'blake2b' },
      { label: 'blake2b shards of 7 bytes', method: 'shards', shardSize: 7, hashType: 'blake2b' },
    ];
    for (const { label, ...choice } of choices) {
      it(`accepts ${label}`, async () => {
        const signed = await signWithNewKey('P-384', await makeModel(), choice);
        const statement = JSON.parse(Buffer.from(readBundle(signed.signature).dsseEnvelope.payload, 'base64').toString('utf8')) as { predicate: { resources: { name: string; algorithm: string }[] } };
        const names = statement.predicate.resources.map((resource) => resource.name);
        if (choice.method === 'shards') {
          // config.json is 14 bytes: two full shards; the empty file has none.
          expect(names).toEqual(expect.arrayContaining(['config.json:0:7', 'config.json:7:14', 'nested/deeper/tokenizer.txt:14:17']));
          expect(names.some((name) => name.startsWith('weights/empty.bin'))).toBe(false);
        } else {
          expect(names).toContain('weights/empty.bin');
        }
        expect(names).toContain(choice.method === 'shards' ? '.hidden:0:7' : '.hidden');
        expectAccepted(referenceVerify(keyArgs(signed)));
      });
    }

    it('rejects a tampered, an added and a removed file (negative control)', async () => {
      const signed = await signWithNewKey('P-256', await makeModel());
      expectAccepted(referenceVerify(keyArgs(signed)));
      appendFileSync(join(signed.model, 'weights', 'layer-0.bin'), '!');
      writeFileSync(join(signed.model, 'weights', 'extra.bin'), 'not signed');
      rmSync(join(signed.model, '.hidden'));
      const run = referenceVerify(keyArgs(signed));
      expectRejected(run, /changed: weights\/layer-0\.bin: signed sha256:/);
      expect(run.output).toMatch(/extra \(found, not signed\): weights\/extra\.bin/);
      expect(run.output).toMatch(/missing \(signed, not found\): \.hidden/);
    });

    it('rejects a file grown past its last shard (negative control)', async () => {
      const signed = await signWithNewKey('P-256', await makeModel(), { method: 'shards', shardSize: 7 });
      expectAccepted(referenceVerify(keyArgs(signed)));
      // 18 bytes -> 19: the signed shard 14:18 disappears and 14:19 appears.
      appendFileSync(join(signed.model, 'weights', 'layer-0.bin'), '!');
      const run = referenceVerify(keyArgs(signed));
      expectRejected(run, /missing \(signed, not found\): weights\/layer-0\.bin:14:18/);
      expect(run.output).toMatch(/extra \(found, not signed\): weights\/layer-0\.bin:14:19/);
    });

    it('rejects a bundle with an unknown field (negative control)', async () => {
      const signed = await signWithNewKey('P-256', await makeModel());
      const bundle = readBundle(signed.signature);
      writeBundle(signed.signature, { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, keyDetails: 'PKIX_ECDSA_P256_SHA_256' } });
      expectRejected(referenceVerify(keyArgs(signed)), /unknown field bundle\.verificationMaterial\.keyDetails/);
      writeBundle(signed.signature, { ...bundle, extra: true });
      expectRejected(referenceVerify(keyArgs(signed)), /unknown field bundle\.extra/);
    });

    it('rejects the wrong key and an altered payload (negative control)', async () => {
      const signed = await signWithNewKey('P-256', await makeModel());
      const other = await signWithNewKey('P-256', await makeModel());
      expectRejected(referenceVerify([...keyArgs(signed).slice(0, 4), '--public-key', other.publicKeyFile]), /key mismatch/);

      const bundle = readBundle(signed.signature);
      const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as { subject: { name: string }[] };
      const [subject] = statement.subject;
      if (subject === undefined) throw new Error('the statement has no subject');
      subject.name = 'renamed';
      writeBundle(signed.signature, { ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope, payload: Buffer.from(JSON.stringify(statement)).toString('base64') } });
      expectRejected(referenceVerify(keyArgs(signed)), /DSSE signature does not verify/);
    });
  });

  describe('certificate bundles', () => {
    it('accepts a leaf + intermediate chain verified against the root', async () => {
      const pki = await makePki();
      const model = await makeModel();
      const { signaturePath, bundle } = await signArtifact(model, { signingMethod: certificateSigning(pki.leafPem, pki.leafKey, pki.intermediatePem) });
      expect(bundle.verificationMaterial).toHaveProperty('x509CertificateChain.certificates.length', 2);
      expectAccepted(referenceVerify(['--model', model, '--signature', signaturePath, '--certificate-chain', pki.rootPem]));
    });

    it('rejects an untrusted root, a missing intermediate and a leaf that may not sign (negative control)', async () => {
      const pki = await makePki();
      const model = await makeModel();
      const { signaturePath } = await signArtifact(model, { signingMethod: certificateSigning(pki.leafPem, pki.leafKey, pki.intermediatePem) });
      const args = ['--model', model, '--signature', signaturePath, '--certificate-chain'];
      // Another PKI's root does not anchor this chain.
      expectRejected(referenceVerify([...args, join(GOLDEN_KEYS, 'ca-cert.pem')]), /unable to get the issuer/);
      // Trusting only the intermediate is not enough: the store must hold a self-signed root.
      expectRejected(referenceVerify([...args, pki.intermediatePem]), /unable to get the issuer/);
      // Without the intermediate in the bundle, the leaf cannot reach the root.
      const withoutIntermediate = readBundle(signaturePath);
      const { x509CertificateChain } = withoutIntermediate.verificationMaterial as { x509CertificateChain: { certificates: unknown[] } };
      withoutIntermediate.verificationMaterial = { ...withoutIntermediate.verificationMaterial, x509CertificateChain: { certificates: x509CertificateChain.certificates.slice(0, 1) } };
      writeBundle(signaturePath, withoutIntermediate);
      expectRejected(referenceVerify([...args, pki.rootPem]), /unable to get the issuer/);

      const noUsage = await signArtifact(model, { signingMethod: certificateSigning(pki.noUsageLeafPem, pki.noUsageLeafKey, pki.intermediatePem) });
      expectRejected(referenceVerify(['--model', model, '--signature', noUsage.signaturePath, '--certificate-chain', pki.rootPem]), /cannot be used for signing/);
    });
  });

  describe('bundles with an RFC 3161 timestamp (--tsa-url)', () => {
    let stack: LocalSigstore;
    beforeAll(async () => {
      stack = await startLocalSigstore();
    });
    afterAll(async () => {
      await stack.close();
    });

    it('accepts a timestamped key bundle and a timestamped certificate bundle', async () => {
      const pair = generateKeyPair('P-256');
      const keys = await temporaryDirectory();
      const publicKeyFile = join(keys, 'key.pub.pem');
      writeFileSync(publicKeyFile, pair.publicKeyPem);
      const keyModel = await makeModel();
      const keySigned = await signArtifact(keyModel, { signingMethod: { kind: 'key', privateKey: parsePrivateKey(pair.privateKeyPem, 'key.pem'), tsaUrl: stack.tsaUrl } });
      expect(keySigned.bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(1);
      expectAccepted(referenceVerify(['--model', keyModel, '--signature', keySigned.signaturePath, '--public-key', publicKeyFile]));

      const pki = await makePki();
      const certificateModel = await makeModel();
      const certificateSigned = await signArtifact(certificateModel, { signingMethod: { ...certificateSigning(pki.leafPem, pki.leafKey, pki.intermediatePem), tsaUrl: stack.tsaUrl } as SigningMethod });
      expect(certificateSigned.bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(1);
      expectAccepted(referenceVerify(['--model', certificateModel, '--signature', certificateSigned.signaturePath, '--certificate-chain', pki.rootPem]));
    });
  });
});
