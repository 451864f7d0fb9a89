import { ASN1Obj, X509Certificate } from '@sigstore/core';

/**
 * Fulcio certificate extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md):
 * the OIDC issuer and the CI claims a keyless certificate carries. Names follow the
 * `gh attestation verify` flags that match on them.
 */
export const FULCIO_CLAIM_OIDS = {
  issuer: '1.3.6.1.4.1.57264.1.8',
  buildSignerUri: '1.3.6.1.4.1.57264.1.9',
  buildSignerDigest: '1.3.6.1.4.1.57264.1.10',
  runnerEnvironment: '1.3.6.1.4.1.57264.1.11',
  sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryDigest: '1.3.6.1.4.1.57264.1.13',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
  sourceRepositoryOwnerUri: '1.3.6.1.4.1.57264.1.16',
  buildConfigUri: '1.3.6.1.4.1.57264.1.18',
  buildTrigger: '1.3.6.1.4.1.57264.1.20',
  runInvocationUri: '1.3.6.1.4.1.57264.1.21',
} as const;
export type CertificateClaimName = keyof typeof FULCIO_CLAIM_OIDS;
export type CertificateClaims = Partial<Record<CertificateClaimName, string>>;

/** The deprecated v1 issuer extension: raw UTF-8 bytes instead of a DER UTF8String. */
const FULCIO_LEGACY_ISSUER_OID = '1.3.6.1.4.1.57264.1.1';

/** Reads the Fulcio claims of a certificate; a malformed extension is left out, never guessed. */
export function readCertificateClaims(der: Buffer): CertificateClaims {
  const claims: CertificateClaims = {};
  let certificate: X509Certificate;
  try {
    certificate = X509Certificate.parse(Buffer.from(der));
  } catch {
    return claims;
  }
  const byOid = new Map<string, Buffer>();
  for (const extension of certificate.extensions) {
    try {
      const oid = extension.subs[0]?.toOID();
      const value = extension.subs[extension.subs.length - 1]?.value;
      if (oid !== undefined && value !== undefined) byOid.set(oid, value);
    } catch {
      // Not an extension we can read: it cannot be one of Fulcio's.
    }
  }
  for (const [name, oid] of Object.entries(FULCIO_CLAIM_OIDS) as [CertificateClaimName, string][]) {
    const value = byOid.get(oid);
    if (value === undefined) continue;
    try {
      claims[name] = ASN1Obj.parseBuffer(Buffer.from(value)).value.toString('utf8');
    } catch {
      // A v2 claim that is not DER is malformed: leave it out so no policy can match it.
    }
  }
  const legacyIssuer = byOid.get(FULCIO_LEGACY_ISSUER_OID);
  if (claims.issuer === undefined && legacyIssuer !== undefined) claims.issuer = legacyIssuer.toString('utf8');
  return claims;
}
