/**
 * The one check that a signing certificate is meant for signing, for Fulcio leaves and for the
 * certificate chains of model_signing's `certificate` method alike.
 */
import { ASN1Obj, X509Certificate } from '@sigstore/core';
import { VerificationError } from '../errors.js';

const OID_EXTENDED_KEY_USAGE = '2.5.29.37';
/** id-kp-codeSigning (RFC 5280 §4.2.1.12). */
const OID_EKU_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

export interface LeafUsageOptions {
  /**
   * Whether a certificate with CA:TRUE may sign. Fulcio never issues one, so a keyless bundle
   * signed by a CA is refused; model_signing's own test PKI signs with one, so certificate
   * signatures accept it.
   */
  readonly allowCertificateAuthority: boolean;
}

/**
 * The leaf must declare a signing usage — KeyUsage digitalSignature or ExtendedKeyUsage
 * codeSigning — and no usage it declares may exclude that: with an ExtendedKeyUsage present the
 * key may only be used for the listed purposes (RFC 5280 §4.2.1.12), and with a KeyUsage present
 * only for the listed ones (§4.2.1.3). Without this, a TLS server or timestamping certificate
 * from a trusted CA could sign models.
 */
export function checkSigningLeafUsage(der: Uint8Array, options: LeafUsageOptions): void {
  let leaf: X509Certificate;
  let extendedUsages: string[] | undefined;
  try {
    leaf = X509Certificate.parse(Buffer.from(der));
    const eku = leaf.extension(OID_EXTENDED_KEY_USAGE);
    extendedUsages = eku === undefined ? undefined : ASN1Obj.parseBuffer(Buffer.from(eku.value)).subs.map((oid) => oid.toOID());
  } catch (error) {
    throw new VerificationError('CERTIFICATE_INVALID', 'the signing certificate or its ExtendedKeyUsage is not valid DER', { cause: error });
  }
  if (leaf.isCA && !options.allowCertificateAuthority) {
    throw new VerificationError('CERTIFICATE_USAGE_INVALID', 'the signing certificate is a CA certificate, not a signing certificate');
  }
  const keyUsage = leaf.extKeyUsage;
  if (extendedUsages !== undefined && !extendedUsages.includes(OID_EKU_CODE_SIGNING)) {
    throw new VerificationError('CERTIFICATE_USAGE_INVALID', 'the signing certificate is limited to other purposes (ExtendedKeyUsage without codeSigning)');
  }
  if (keyUsage !== undefined && !keyUsage.digitalSignature) {
    throw new VerificationError('CERTIFICATE_USAGE_INVALID', 'the signing certificate may not make digital signatures (KeyUsage)');
  }
  if (keyUsage === undefined && extendedUsages === undefined) {
    throw new VerificationError('CERTIFICATE_USAGE_INVALID', 'the signing certificate declares no signing usage (neither KeyUsage digitalSignature nor ExtendedKeyUsage codeSigning)');
  }
}
