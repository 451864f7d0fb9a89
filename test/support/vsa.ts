import { readFile, writeFile } from 'node:fs/promises';
import { signDssePayload } from '../../src/sign/signer.js';
import { parsePrivateKey } from '../../src/format/keys.js';

/** A VSA as aiprov wrote them before it recorded kind, serialization and the resources digest. */
export function legacyVsaStatement(name: string, rootDigest: string): unknown {
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name, digest: { sha256: rootDigest.replace(/^sha256:/, '') } }],
    predicateType: 'https://slsa.dev/verification_summary/v1',
    predicate: { verifier: { id: 'https://aiprov.dev/verifier' }, timeVerified: new Date().toISOString(), resourceUri: name, policy: { uri: 'p' }, verificationResult: 'PASSED', verifiedLevels: ['AIPROV_SIGNATURE_VERIFIED'] },
  };
}

/** Signs an in-toto statement with a key file and writes it as a one-line bundle file. */
export async function signStatementFile(statement: unknown, keyPath: string, out: string): Promise<void> {
  const bundle = await signDssePayload(Buffer.from(JSON.stringify(statement)), 'application/vnd.in-toto+json', { kind: 'key', privateKey: parsePrivateKey(await readFile(keyPath, 'utf8'), keyPath) });
  await writeFile(out, `${JSON.stringify(bundle)}\n`);
}
