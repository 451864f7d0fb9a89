import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeManifest } from '../../src/manifest/compute.js';
import { computeRootDigest } from '../../src/manifest/manifest.js';
import { parsePublicKey } from '../../src/format/keys.js';
import { parseCertificates } from '../../src/format/certificates.js';
import { readBundleFile } from '../../src/format/bundle.js';
import { verifyArtifact } from '../../src/verify/verify-artifact.js';
import { MODEL_SIGNING_VECTORS } from '../support/paths.js';

interface VectorCase {
  case: string;
  model_dir: string;
  signature: string;
  method: 'key' | 'certificate' | 'sigstore';
  key?: string;
  certificate_chain?: string[];
  also_verifies_with_key?: string;
  ignore_paths: string[];
}

const cases = readFileSync(join(MODEL_SIGNING_VECTORS, 'index.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as VectorCase);

/** v0.3.1 and v1.0.0 key vectors signed the single file signme-1 (model_signing's own tests pass the file). */
function artifactOf(vector: VectorCase): string {
  const dir = join(MODEL_SIGNING_VECTORS, vector.model_dir);
  return /^v(0\.3\.1|1\.0\.0)-elliptic-key$/.test(vector.case) ? join(dir, 'signme-1') : dir;
}

const vectorFile = (path: string): string => join(MODEL_SIGNING_VECTORS, path);

/** The index lists ignore paths relative to the repository; the verifier takes them relative to the model. */
const ignoresOf = (vector: VectorCase): string[] => vector.ignore_paths.map((path) => path.slice(vector.model_dir.length + 1));

describe('model_signing golden signatures', () => {
  for (const vector of cases.filter((item) => item.method === 'key')) {
    it(`${vector.case} verifies with its public key`, async () => {
      const publicKey = parsePublicKey(readFileSync(vectorFile(vector.key ?? '')), 'key');
      const result = await verifyArtifact(artifactOf(vector), { signaturePath: vectorFile(vector.signature), extraIgnorePaths: ignoresOf(vector), trust: { kind: 'key', publicKey } });
      expect(result.findings.filter((finding) => finding.severity === 'error')).toEqual([]);
      expect(result.verified).toBe(true);
      expect(result.signer).toMatchObject({ kind: 'key', curve: 'P-384' });
    });
  }

  for (const vector of cases.filter((item) => item.method === 'certificate')) {
    it(`${vector.case} verifies with its root CA`, async () => {
      const trustedCertificates = (vector.certificate_chain ?? []).flatMap((path) => parseCertificates(readFileSync(vectorFile(path), 'utf8'), path));
      const result = await verifyArtifact(artifactOf(vector), { signaturePath: vectorFile(vector.signature), extraIgnorePaths: ignoresOf(vector), trust: { kind: 'certificate', trustedCertificates } });
      expect(result.findings.filter((finding) => finding.severity === 'error')).toEqual([]);
      expect(result.verified).toBe(true);
      // The test PKI names its leaf "intermediate-ca" too (model_signing's keys/certificate).
      expect(result.signer).toMatchObject({ kind: 'certificate', chain: [{ subject: 'CN=intermediate-ca' }, { subject: 'CN=intermediate-ca' }, { subject: 'CN=root-ca' }] });
    });
  }

  for (const vector of cases.filter((item) => item.case !== 'v0.2.0-certificate')) {
    it(`${vector.case}: digest reproduces the signed subject`, async () => {
      const bundle = await readBundleFile(vectorFile(vector.signature));
      const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope?.payload ?? '', 'base64').toString('utf8')) as { subject: { digest: { sha256: string } }[] };
      const manifest = await computeManifest(artifactOf(vector), { ignorePaths: ignoresOf(vector) });
      expect(computeRootDigest(manifest.resources)).toBe(statement.subject[0]?.digest.sha256);
    });
  }
});
