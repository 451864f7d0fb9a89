import { X509Certificate } from 'node:crypto';
import { X509Certificate as SigstoreX509 } from '@sigstore/core';
import { VerificationError } from '../errors.js';
import { certificateName } from '../format/certificates.js';
import { checkSigningLeafUsage } from './leaf-usage.js';

/** A chain longer than this is refused rather than walked (bounds the work an attacker causes). */
const MAX_CHAIN_DEPTH = 10;

/**
 * Issued by itself and signed with its own key. Not `checkIssued(itself)`: OpenSSL's issuer
 * check also demands keyCertSign, which a self-signed signing leaf (digitalSignature only) lacks,
 * and model_signing accepts such a leaf given as its own trust anchor.
 */
function isSelfSigned(certificate: X509Certificate): boolean {
  return certificate.subject === certificate.issuer && certificate.verify(certificate.publicKey);
}

/** CA flag and path length constraint (RFC 5280 §4.2.1.9) of an issuing certificate. */
function basicConstraints(certificate: X509Certificate): { readonly isCA: boolean; readonly pathLength: bigint | undefined } {
  const parsed = SigstoreX509.parse(certificate.raw);
  return { isCA: parsed.isCA, pathLength: parsed.extBasicConstraints?.pathLenConstraint };
}

function validAt(certificate: X509Certificate, time: Date): boolean {
  return new Date(certificate.validFrom) <= time && time <= new Date(certificate.validTo);
}

/**
 * Checks that `leaf` may sign code and chains, through the bundle's untrusted intermediates, to a
 * self-signed certificate the verifier trusts (model_signing's rule: the chain files must hold the
 * root). Every certificate must be valid at `time`, every issuer must be a CA, and every link's
 * signature must verify: a bundle cannot smuggle in its own root or a non-CA issuer.
 */
export function verifyCertificateChain(leaf: X509Certificate, intermediates: readonly X509Certificate[], trusted: readonly X509Certificate[], time: Date): X509Certificate[] {
  checkSigningLeafUsage(leaf.raw, { allowCertificateAuthority: true });
  const isTrusted = (certificate: X509Certificate): boolean => trusted.some((anchor) => anchor.raw.equals(certificate.raw));
  const chain: X509Certificate[] = [leaf];
  let current = leaf;
  for (let depth = 0; depth <= MAX_CHAIN_DEPTH; depth++) {
    if (!validAt(current, time)) {
      throw new VerificationError('CERTIFICATE_EXPIRED', `certificate ${certificateName(current)} is not valid at ${time.toISOString()} (valid ${current.validFrom} to ${current.validTo})`);
    }
    if (isTrusted(current) && isSelfSigned(current)) return chain;
    // Trusted issuers first: a trusted path is preferred over one through bundle-supplied certs.
    const issuer = [...trusted, ...intermediates].find((candidate) => !candidate.raw.equals(current.raw) && current.checkIssued(candidate) && current.verify(candidate.publicKey));
    if (issuer === undefined) {
      throw new VerificationError('CERTIFICATE_CHAIN_INVALID', `certificate ${certificateName(current)} does not chain to a trusted root`);
    }
    const constraints = basicConstraints(issuer);
    if (!constraints.isCA) {
      throw new VerificationError('CERTIFICATE_CHAIN_INVALID', `certificate ${certificateName(issuer)} issued ${certificateName(current)} but is not a certificate authority`);
    }
    // RFC 5280 §4.2.1.9: pathLenConstraint bounds the intermediates that may follow this CA;
    // a CA restricted to issuing leaves must not be able to mint a sub-CA that signs models.
    const intermediatesBelow = BigInt(chain.length - 1);
    if (constraints.pathLength !== undefined && intermediatesBelow > constraints.pathLength) {
      throw new VerificationError('CERTIFICATE_CHAIN_INVALID', `certificate ${certificateName(issuer)} allows ${String(constraints.pathLength)} intermediate(s) below it, the chain has ${String(intermediatesBelow)}`);
    }
    chain.push(issuer);
    current = issuer;
  }
  throw new VerificationError('CERTIFICATE_CHAIN_INVALID', `certificate chain is longer than ${String(MAX_CHAIN_DEPTH)}`);
}

