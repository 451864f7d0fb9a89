import { parseCertificates } from '../format/certificates.js';
import { readBoundedText } from '../input/read-bounded.js';
import { MAX_CERTIFICATE_FILE_BYTES, MAX_KEY_FILE_BYTES } from './limits.js';

/**
 * Key and certificate files, read with their bounds. Apart from `artifact-trust.ts` so that
 * signing with a key does not load the verification stack (`@sigstore/verify`, ~30 ms).
 */

export async function readKeyFile(path: string): Promise<string> {
  return readBoundedText(path, { maxBytes: MAX_KEY_FILE_BYTES, kind: 'KEY', what: 'key' });
}

/** Every PEM certificate of every file, in order. */
export async function readCertificateFiles(paths: readonly string[]): Promise<import('node:crypto').X509Certificate[]> {
  const files = await Promise.all(paths.map(async (path) => parseCertificates(await readBoundedText(path, { maxBytes: MAX_CERTIFICATE_FILE_BYTES, kind: 'CERTIFICATE', what: 'certificate file' }), path)));
  return files.flat();
}
