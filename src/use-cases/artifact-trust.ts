/**
 * What `verify` trusts, from the files and identity a user names: exactly one of a public key,
 * CA certificates, or a keyless identity with a Sigstore trust root.
 */
import { InputError } from '../errors.js';
import { parseCertificates } from '../format/certificates.js';
import { parsePublicKey } from '../format/keys.js';
import { readBoundedText } from '../input/read-bounded.js';
import { isEmptyPolicy, requireKeylessIdentity, type IdentityPolicy } from '../verify/identity.js';
import { loadTrustRoot, type TrustRootChoice } from '../verify/trust.js';
import type { ArtifactTrust } from '../verify/verify-artifact.js';
import { MAX_CERTIFICATE_FILE_BYTES, MAX_KEY_FILE_BYTES } from './limits.js';

export interface ArtifactTrustOptions {
  readonly publicKeyPath?: string;
  /** CA certificate files; together they must hold the root (model_signing's rule). */
  readonly certificateChainPaths?: readonly string[];
  readonly identity: IdentityPolicy;
  readonly trustRoot?: TrustRootChoice;
}

export async function resolveArtifactTrust(options: ArtifactTrustOptions): Promise<ArtifactTrust> {
  const keyless = !isEmptyPolicy(options.identity);
  const given = [options.publicKeyPath !== undefined, options.certificateChainPaths !== undefined, keyless].filter(Boolean).length;
  if (given !== 1) {
    throw new InputError('USAGE', 'verify needs exactly one of --key, --certificate-chain, or --certificate-identity with --certificate-oidc-issuer');
  }
  if (options.publicKeyPath !== undefined) {
    return { kind: 'key', publicKey: parsePublicKey(await readKeyFile(options.publicKeyPath), options.publicKeyPath) };
  }
  if (options.certificateChainPaths !== undefined) {
    return { kind: 'certificate', trustedCertificates: await readCertificateFiles(options.certificateChainPaths) };
  }
  requireKeylessIdentity(options.identity);
  return { kind: 'sigstore', trustRoot: await loadTrustRoot(options.trustRoot ?? {}), identity: options.identity };
}

export async function readKeyFile(path: string): Promise<string> {
  return readBoundedText(path, { maxBytes: MAX_KEY_FILE_BYTES, kind: 'KEY', what: 'key' });
}

/** Every PEM certificate of every file, in order. */
export async function readCertificateFiles(paths: readonly string[]): Promise<import('node:crypto').X509Certificate[]> {
  const files = await Promise.all(paths.map(async (path) => parseCertificates(await readBoundedText(path, { maxBytes: MAX_CERTIFICATE_FILE_BYTES, kind: 'CERTIFICATE', what: 'certificate file' }), path)));
  return files.flat();
}
