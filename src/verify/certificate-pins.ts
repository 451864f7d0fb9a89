/**
 * Which certificates of a CA the verifier accepts. A CA of one's own may issue certificates to
 * more than the signers one means (a corporate CA issues to every employee and server), so a
 * policy's `certificateAuthority` signer can pin the leaf's subject, one of its subject
 * alternative names and its extended key usages, each exactly: no pattern, no prefix, no case
 * folding, as for keyless identities.
 */
import type { X509Certificate } from 'node:crypto';
import { X509Certificate as SigstoreX509 } from '@sigstore/core';
import { PolicyError } from '../errors.js';
import { subjectOf } from '../format/certificates.js';
import { readCertificateIdentity, type SubjectAlternativeName } from './identity.js';

export interface CertificatePins {
  /**
   * The leaf's subject as aiprov prints it: node:crypto's RDNs in certificate order, joined by
   * ", ", special characters escaped as RFC 4514 does (`O=Acme\, Inc., CN=release`).
   */
  readonly subject?: string;
  /** One SAN of the leaf: `email:…`, `URI:…`, `DNS:…`, or a plain value (an entry of any of those types). */
  readonly subjectAlternativeName?: string;
  /** ExtendedKeyUsage OIDs the leaf must all carry. */
  readonly extendedKeyUsage?: readonly string[];
}

/** RFC 5280 §4.2.1.12 key purposes, by the names OpenSSL and Go give them. */
export const EXTENDED_KEY_USAGE_OIDS: Readonly<Record<string, string>> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  OCSPSigning: '1.3.6.1.5.5.7.3.9',
};

/** An EKU name's OID; an OID stays itself; anything else is undefined. */
export function extendedKeyUsageOid(value: string): string | undefined {
  if (Object.hasOwn(EXTENDED_KEY_USAGE_OIDS, value)) return EXTENDED_KEY_USAGE_OIDS[value];
  return /^[0-2](\.(0|[1-9]\d*))+$/.test(value) ? value : undefined;
}

/** SAN types as node:crypto and OpenSSL print them. */
const SAN_PREFIXES: Readonly<Record<SubjectAlternativeName['type'], string>> = { email: 'email:', uri: 'URI:', dns: 'DNS:', username: 'username:' };

function sanMatches(pinned: string, names: readonly SubjectAlternativeName[]): boolean {
  const typed = Object.values(SAN_PREFIXES).some((prefix) => pinned.startsWith(prefix));
  return names.some((name) => (typed ? `${SAN_PREFIXES[name.type]}${name.value}` === pinned : name.value === pinned));
}

/** Throws CERTIFICATE_IDENTITY_MISMATCH (a policy denial) unless the verified leaf has every pinned value. */
export function checkCertificatePins(leaf: X509Certificate, pins: CertificatePins): void {
  const subject = subjectOf(leaf).replace(/\n/g, ', ');
  if (pins.subject !== undefined && subject !== pins.subject) {
    throw new PolicyError('CERTIFICATE_IDENTITY_MISMATCH', `the signing certificate's subject is ${JSON.stringify(subject)}, the policy requires ${JSON.stringify(pins.subject)}`);
  }
  if (pins.subjectAlternativeName !== undefined) {
    const names = readCertificateIdentity(SigstoreX509.parse(leaf.raw)).subjectAlternativeNames;
    if (!sanMatches(pins.subjectAlternativeName, names)) {
      const found = names.map((name) => `${SAN_PREFIXES[name.type]}${name.value}`).join(', ');
      throw new PolicyError('CERTIFICATE_IDENTITY_MISMATCH', `the signing certificate's subject alternative names (${found === '' ? 'none' : found}) do not include ${JSON.stringify(pins.subjectAlternativeName)}, which the policy requires`);
    }
  }
  // node:crypto's `keyUsage` is the ExtendedKeyUsage OIDs, undefined without the extension.
  const usages = (leaf.keyUsage as string[] | undefined) ?? [];
  const missing = (pins.extendedKeyUsage ?? []).filter((oid) => !usages.includes(oid));
  if (missing.length > 0) {
    throw new PolicyError('CERTIFICATE_IDENTITY_MISMATCH', `the signing certificate lacks the extended key usage ${missing.join(', ')} that the policy requires`);
  }
}
