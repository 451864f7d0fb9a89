import { X509Certificate } from 'node:crypto';
import { InputError } from '../errors.js';

/** Parses every PEM certificate in a file (a chain file may hold several). */
export function parseCertificates(pem: string, source: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new InputError('CERTIFICATE_INVALID', `${source} holds no PEM certificate`, { path: source });
  return blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new InputError('CERTIFICATE_INVALID', `${source} holds a certificate that cannot be parsed`, { path: source, cause: error });
    }
  });
}

export function certificateFromDer(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (error) {
    throw new InputError('CERTIFICATE_INVALID', 'the bundle holds a certificate that cannot be parsed', { cause: error });
  }
}

/** A DER certificate as PEM text (RFC 7468 §5), as bundles' consumers expect to read it. */
export function certificatePem(der: Uint8Array): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * A certificate's subject distinguished name as node:crypto prints it (one RDN per line), or ""
 * when the subject is empty. RFC 5280 §4.1.2.6 allows an empty subject when the identity is in a
 * critical subjectAltName, and every Fulcio leaf has one; node:crypto then returns `undefined`
 * although its typings say `string`, which would reach reports as `null` or crash on `.replace`.
 */
export function subjectOf(certificate: X509Certificate): string {
  return nameOrEmpty(certificate.subject);
}

/** node:crypto's name, typed `string`, is `undefined` when empty. */
function nameOrEmpty(name: string | undefined): string {
  return name ?? '';
}

/** The issuer distinguished name, or "" when empty (see `subjectOf`). */
export function issuerOf(certificate: X509Certificate): string {
  return nameOrEmpty(certificate.issuer);
}

/** A certificate named in a message: its subject on one line, or its SAN when the subject is empty. */
export function certificateName(certificate: X509Certificate): string {
  const subject = subjectOf(certificate);
  if (subject !== '') return `"${subject.replace(/\n/g, ', ')}"`;
  return certificate.subjectAltName === undefined ? '(empty subject)' : `(empty subject, ${certificate.subjectAltName})`;
}
