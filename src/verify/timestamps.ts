/**
 * RFC 3161 timestamps on key- and certificate-signed bundles (no transparency log): each token
 * must be signed by a timestamp authority the verifier names (`--timestamp-authority` or a trusted
 * root's `timestampAuthorities`) and its message imprint must be the SHA-256 of the DSSE
 * signature, as Sigstore's TSA witness requests it. A verified time then replaces "now" for the
 * certificate chain's validity. A token that does not verify is set aside only when another token
 * does (at least one verified time, as sigstore-go and sigstore-python count them); otherwise it
 * fails the bundle.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import { RFC3161Timestamp, X509Certificate as SigstoreX509 } from '@sigstore/core';
import type { SignedEntity, TrustMaterial } from '@sigstore/verify';
import { InputError } from '../errors.js';
import type { BundleJson } from '../format/bundle.js';
import { refuseFutureTimestamps, timestampsOnly, verifiedTimestamps, verifyTimestampTokens, withoutFailingTimestamps, withoutRepeatedTimestamps, type VerifiedTimestamp } from './evidence.js';
import { recodeVerifyError } from './recode-error.js';
import { toVerifierTrustMaterial, type SigstoreTrustRoot } from './trust.js';

/** Timestamp authorities the verifier trusts, as `@sigstore/verify` reads them. */
export type TimestampAuthorities = TrustMaterial['timestampAuthorities'];

/**
 * A TSA certificate chain (cosign's `--timestamp-certificate-chain`): the timestamp signing
 * certificate first, then its intermediates and root. Trusted for the chain's own validity.
 */
export function timestampAuthorityFromChain(certificates: readonly X509Certificate[]): TimestampAuthorities {
  if (certificates.length === 0) throw new InputError('CERTIFICATE_CHAIN_EMPTY', 'the timestamp authority chain holds no certificate');
  const certChain = certificates.map((certificate) => SigstoreX509.parse(certificate.raw));
  const start = new Date(Math.max(...certChain.map((certificate) => certificate.notBefore.getTime())));
  const end = new Date(Math.min(...certChain.map((certificate) => certificate.notAfter.getTime())));
  return [{ certChain, validFor: { start, end } }];
}

/** The timestamp authorities of a trusted root (may be none). */
export function timestampAuthoritiesOfRoot(root: SigstoreTrustRoot): TimestampAuthorities {
  return toVerifierTrustMaterial(root).timestampAuthorities;
}

/**
 * Verifies the bundle's RFC 3161 timestamps over `signature` (the DSSE signature bytes, already
 * verified by the caller with `key`) and returns their times; none when the bundle has none.
 */
export function verifyRfc3161Timestamps(bundle: BundleJson, signature: Buffer, key: KeyObject, authorities: TimestampAuthorities | undefined, now: Date): VerifiedTimestamp[] {
  const tokens = bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? [];
  if (tokens.length === 0) return [];
  if (authorities === undefined || authorities.length === 0) {
    throw new InputError('TIMESTAMP_AUTHORITY_REQUIRED', 'the bundle carries an RFC 3161 timestamp: name the timestamp authority to trust with --timestamp-authority or --trusted-root');
  }
  const timestamps = tokens.map((token): SignedEntity['timestamps'][number] => {
    try {
      return { $case: 'timestamp-authority', timestamp: RFC3161Timestamp.parse(Buffer.from(token.signedTimestamp, 'base64')) };
    } catch (error) {
      throw new InputError('BUNDLE_INVALID', 'the bundle holds an RFC 3161 timestamp that cannot be parsed', { cause: error });
    }
  });
  // Only the timestamps are checked here: the caller verified the DSSE signature over its PAE
  // (with the curve's hash or model_signing's legacy encoding, which @sigstore/verify lacks).
  // A token that does not verify is set aside when another one does (withoutFailingTimestamps).
  const entity = withoutFailingTimestamps(withoutRepeatedTimestamps(timestampsOnly(timestamps, signature)), 1, authorities, () => key);
  try {
    verifyTimestampTokens(entity.timestamps, signature, key, authorities);
  } catch (error) {
    throw recodeVerifyError(error);
  }
  const verified = verifiedTimestamps(entity);
  refuseFutureTimestamps(verified, now);
  return verified;
}
