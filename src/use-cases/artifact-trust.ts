/**
 * What `verify` trusts, from the files and identity a user names: exactly one of a public key,
 * CA certificates, or a keyless identity with a Sigstore trust root.
 */
import { InputError } from '../errors.js';
import { parsePublicKey } from '../format/keys.js';
import { refuseSigstoreCertificateAuthorities } from '../verify/fulcio-ca.js';
import { isEmptyPolicy, requireKeylessIdentity, type IdentityPolicy } from '../verify/identity.js';
import { timestampAuthoritiesOfRoot, timestampAuthorityFromChain, type TimestampAuthorities } from '../verify/timestamps.js';
import { loadTrustRoot, type TrustRootChoice } from '../verify/trust.js';
import type { ArtifactTrust } from '../verify/verify-artifact.js';
import { readCertificateFiles, readKeyFile } from './key-material.js';

export interface ArtifactTrustOptions {
  readonly publicKeyPath?: string;
  /** CA certificate files; together they must hold the root (model_signing's rule). */
  readonly certificateChainPaths?: readonly string[];
  readonly identity: IdentityPolicy;
  /**
   * Keyless: the Sigstore instance. With a key or CA certificates, a `trustedRoot` file only
   * lends its timestamp authorities (for bundles that carry RFC 3161 timestamps).
   */
  readonly trustRoot?: TrustRootChoice;
  /** TSA certificate chain files (signing certificate first) whose timestamps a key or certificate bundle may carry. */
  readonly timestampAuthorityPaths?: readonly string[];
}

export async function resolveArtifactTrust(options: ArtifactTrustOptions): Promise<ArtifactTrust> {
  const keyless = !isEmptyPolicy(options.identity);
  const given = [options.publicKeyPath !== undefined, options.certificateChainPaths !== undefined, keyless].filter(Boolean).length;
  if (given !== 1) {
    throw new InputError('USAGE', 'verify needs exactly one of --key, --certificate-chain, or --certificate-identity with --certificate-oidc-issuer');
  }
  if (options.publicKeyPath !== undefined) {
    const publicKey = parsePublicKey(await readKeyFile(options.publicKeyPath), options.publicKeyPath);
    const timestampAuthorities = await resolveTimestampAuthorities(options);
    return { kind: 'key', publicKey, ...(timestampAuthorities === undefined ? {} : { timestampAuthorities }) };
  }
  if (options.certificateChainPaths !== undefined) {
    const trustedCertificates = await readCertificateFiles(options.certificateChainPaths);
    refuseSigstoreCertificateAuthorities(trustedCertificates, options.certificateChainPaths.join(', '));
    const timestampAuthorities = await resolveTimestampAuthorities(options);
    return { kind: 'certificate', trustedCertificates, ...(timestampAuthorities === undefined ? {} : { timestampAuthorities }) };
  }
  if (options.timestampAuthorityPaths !== undefined) {
    throw new InputError('USAGE', '--timestamp-authority applies to --key and --certificate-chain; keyless bundles use the trusted root\'s timestamp authorities');
  }
  requireKeylessIdentity(options.identity);
  return { kind: 'sigstore', trustRoot: await loadTrustRoot(options.trustRoot ?? {}), identity: options.identity };
}

/**
 * The TSAs a key or certificate bundle's timestamps must come from: `--timestamp-authority`
 * chains and a `--trusted-root` file's timestampAuthorities; none named, undefined (a timestamped
 * bundle is then refused, never accepted unchecked).
 */
async function resolveTimestampAuthorities(options: ArtifactTrustOptions): Promise<TimestampAuthorities | undefined> {
  const authorities: TimestampAuthorities = [];
  for (const path of options.timestampAuthorityPaths ?? []) authorities.push(...timestampAuthorityFromChain(await readCertificateFiles([path])));
  if (options.trustRoot?.trustedRoot !== undefined) authorities.push(...timestampAuthoritiesOfRoot(await loadTrustRoot({ trustedRoot: options.trustRoot.trustedRoot })));
  return options.timestampAuthorityPaths === undefined && options.trustRoot?.trustedRoot === undefined ? undefined : authorities;
}
