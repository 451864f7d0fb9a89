/**
 * Who signed a bundle, in one shape for every command that reports it: `verify` (established by
 * verification), `inspect` (claimed, unverified), `verify-bundle` and the nodes of `verify
 * lineage`. Times are RFC 3339 in UTC. A `keyless` signer is a Fulcio certificate: its identity
 * is the certificate's SAN and `issuer` the OIDC issuer that vouched for it; a `certificate`
 * signer is an X.509 chain of the signer's own PKI, whose `issuer` is the issuing CA's name.
 */
import { createHash, type X509Certificate } from 'node:crypto';
import { subjectOf } from '../format/certificates.js';
import type { VerifiedTimestamp } from './evidence.js';
import type { FulcioExtensionName } from './identity.js';

export type Signer =
  | {
      readonly kind: 'key';
      /** The bundle's key hint (model_signing: SHA-256 of the SPKI PEM); never trusted as the key. */
      readonly keyHint?: string;
      /** SHA-256 (hex) of the DER SubjectPublicKeyInfo of the key that verified. */
      readonly keyId?: string;
      readonly curve?: string;
      /** `keyDetails` of a bundle that embeds its key (model_signing v0.3.1). */
      readonly keyDetails?: string;
      /** Verified RFC 3161 timestamps. */
      readonly timestamps?: readonly VerifiedTimestamp[];
    }
  | {
      readonly kind: 'certificate';
      /** The leaf's subject DN as node:crypto prints it; "" when empty (RFC 5280 §4.1.2.6). */
      readonly subject: string;
      /** The leaf's issuer DN; "" when empty. */
      readonly issuer: string;
      readonly subjectAlternativeName?: string;
      readonly notBefore: string;
      readonly notAfter: string;
      /** Verified: the certificates from the leaf up to the trusted root. */
      readonly chain?: readonly ChainCertificate[];
      /** Inspected: how many certificates the bundle carries. */
      readonly chainLength?: number;
      /** Verified RFC 3161 timestamps: the chain was checked at these times instead of now. */
      readonly timestamps?: readonly VerifiedTimestamp[];
    }
  | {
      readonly kind: 'keyless';
      /** The certificate's SAN: the OIDC identity Fulcio vouched for. */
      readonly identity?: string;
      /** The OIDC issuer. */
      readonly issuer?: string;
      /** Fulcio CI claims (source repository, ref, workflow, runner…). */
      readonly claims: Readonly<Partial<Record<FulcioExtensionName, string>>>;
      readonly notBefore?: string;
      readonly notAfter?: string;
      /** Verified times: transparency-log integration and RFC 3161 timestamps. */
      readonly timestamps?: readonly VerifiedTimestamp[];
      /** Which trust root vouched for the certificate. */
      readonly trustRoot?: string;
    };

/**
 * One certificate of a verified chain. A subject may be empty (a SAN-only leaf), so the
 * certificate is also named by its SAN and pinned by its digest: never by a subject alone.
 */
export interface ChainCertificate {
  /** Subject DN as node:crypto prints it (one RDN per line); "" when empty. */
  readonly subject: string;
  readonly subjectAlternativeName?: string;
  /** SHA-256 (hex) of the DER certificate. */
  readonly sha256: string;
}

export function chainCertificate(certificate: X509Certificate): ChainCertificate {
  return {
    subject: subjectOf(certificate),
    ...(certificate.subjectAltName === undefined ? {} : { subjectAlternativeName: certificate.subjectAltName }),
    sha256: createHash('sha256').update(certificate.raw).digest('hex'),
  };
}

/** One line naming the signer: a key's hint, a certificate's SAN or subject, a keyless identity. */
export function signerIdentity(signer: Signer): string {
  switch (signer.kind) {
    case 'key':
      return `key ${signer.keyHint ?? signer.keyId ?? '(no hint)'}`;
    case 'certificate':
      return signer.subjectAlternativeName ?? (signer.subject === '' ? '(empty subject)' : signer.subject);
    case 'keyless':
      return signer.identity ?? '(no identity)';
  }
}

/** An X.509 time as node:crypto prints it (`Nov 30 22:54:17 2026 GMT`), as RFC 3339. */
export function rfc3339(x509Time: string): string {
  return new Date(x509Time).toISOString();
}
