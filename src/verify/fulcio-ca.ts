/**
 * Certificate trust (`--certificate-chain`, a policy's `certificateAuthority`) checks a chain and
 * nothing else: no identity, no issuer. That is right for a PKI of one's own, whose CA issues
 * certificates only to its signers, and wrong for Fulcio, which issues one to anyone who signs in.
 * A Fulcio CA given as certificate trust would accept anyone's keyless signature, so it is
 * refused as a trust input, twice over: a CA certificate (or its key) that is one of the embedded
 * public-good or staging trusted roots' certificate authorities, and, for a private Fulcio
 * instance, any CA that has issued a leaf carrying a Fulcio OIDC issuer extension
 * (sigstore/fulcio docs/oid-info.md, 1.3.6.1.4.1.57264.1.1 and .1.8).
 */
import type { X509Certificate } from 'node:crypto';
import { X509Certificate as SigstoreX509 } from '@sigstore/core';
import { InputError } from '../errors.js';
import { FULCIO_EXTENSION_OIDS } from './identity.js';
import { publicGoodTrustRoot, stagingTrustRoot, type SigstoreTrustRoot } from './trust.js';

const KEYLESS_HINT = 'use --certificate-identity and --certificate-oidc-issuer (keyless verification)';

/** DER SubjectPublicKeyInfo of every certificate of a trusted root's certificate authorities. */
function certificateAuthorityKeys(root: SigstoreTrustRoot): Buffer[] {
  return root.trustedRoot.certificateAuthorities.flatMap((authority) => (authority.certChain?.certificates ?? []).map((certificate) => Buffer.from(SigstoreX509.parse(Buffer.from(certificate.rawBytes)).publicKey)));
}

let sigstoreKeys: readonly { readonly instance: string; readonly keys: readonly Buffer[] }[] | undefined;

/**
 * Refuses CA certificates that are (or share the key of) a certificate of the public-good or
 * staging Fulcio: compared by key, so a re-issued or cross-signed copy is caught too.
 */
export function refuseSigstoreCertificateAuthorities(certificates: readonly X509Certificate[], source: string): void {
  sigstoreKeys ??= [
    { instance: 'public-good', keys: certificateAuthorityKeys(publicGoodTrustRoot()) },
    { instance: 'staging', keys: certificateAuthorityKeys(stagingTrustRoot()) },
  ];
  for (const certificate of certificates) {
    const key = certificate.publicKey.export({ type: 'spki', format: 'der' });
    const match = sigstoreKeys.find(({ keys }) => keys.some((candidate) => candidate.equals(key)));
    if (match !== undefined) {
      throw new InputError('FULCIO_CERTIFICATE_AS_CA', `${source} holds a certificate of the Sigstore ${match.instance} Fulcio CA, which issues certificates to anyone and checks no identity as a certificate chain: ${KEYLESS_HINT}`, { path: source });
    }
  }
}

/**
 * Refuses a leaf that chained to the verifier's CA certificates but carries a Fulcio OIDC issuer
 * extension: that CA is a Fulcio (a private instance's, if not caught by the check above).
 */
export function refuseFulcioLeaf(leaf: X509Certificate): void {
  const parsed = SigstoreX509.parse(leaf.raw);
  if (parsed.extension(FULCIO_EXTENSION_OIDS.issuer) !== undefined || parsed.extension(FULCIO_EXTENSION_OIDS.issuerV1) !== undefined) {
    throw new InputError('FULCIO_CERTIFICATE_AS_CA', `the signing certificate is a Fulcio (keyless) certificate, and the CA certificates given as trust issued it: a certificate chain checks no identity; ${KEYLESS_HINT}`);
  }
}
