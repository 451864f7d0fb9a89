import { sign as cryptoSign, X509Certificate, type KeyObject } from 'node:crypto';
import { InputError } from '../errors.js';
import { BUNDLE_V03_MEDIA_TYPE, parseBundleJson, type BundleJson } from '../format/bundle.js';
import { preAuthEncoding } from '../format/dsse.js';
import { hashForKey, publicKeyHint } from '../format/keys.js';
import type { SigningServices } from './keyless.js';

/**
 * A signing key, alone or with its X.509 certificate chain; with `tsaUrl`, the signature gets an
 * RFC 3161 timestamp from that timestamp authority (so a certificate signature outlives its leaf).
 */
export type KeySigningMethod =
  | { readonly kind: 'key'; readonly privateKey: KeyObject; readonly tsaUrl?: string }
  | {
      readonly kind: 'certificate';
      readonly privateKey: KeyObject;
      /** Leaf first, then intermediates (and optionally the root), as written into the bundle. */
      readonly certificateChain: readonly X509Certificate[];
      readonly tsaUrl?: string;
    };

/** How an artifact or attestation is signed: with a key, a certificate, or keyless (Fulcio + Rekor). */
export type SigningMethod =
  | KeySigningMethod
  | {
      readonly kind: 'keyless';
      readonly services: SigningServices;
      /** The OIDC identity token; never printed, never part of an error. */
      readonly identityToken: string;
    };

/** Signs a DSSE envelope over `payload` with any signing method and returns the bundle. */
export async function signDssePayload(payload: Buffer, payloadType: string, method: SigningMethod): Promise<BundleJson> {
  switch (method.kind) {
    case 'key':
    case 'certificate': {
      const leaf = method.kind === 'certificate' ? method.certificateChain[0] : undefined;
      if (leaf !== undefined && method.tsaUrl === undefined) requireCertificateValidAt(leaf, new Date(), 'now');
      const bundle = signDsseBundle(payload, payloadType, method);
      if (method.tsaUrl === undefined) return bundle;
      // Loaded only here, as for keyless: @sigstore/sign is heavy.
      const { addRfc3161Timestamp, rfc3161Times } = await import('./timestamp.js');
      const stamped = await addRfc3161Timestamp(bundle, method.tsaUrl);
      // verify checks the chain at the timestamp's time: a time outside the leaf's validity
      // would make a signature that never verifies.
      if (leaf !== undefined) for (const time of rfc3161Times(stamped)) requireCertificateValidAt(leaf, time, 'at its RFC 3161 timestamp');
      return stamped;
    }
    case 'keyless': {
      // Loaded only here: @sigstore/sign is heavy and key signing never needs it.
      const { signDsseKeyless } = await import('./keyless.js');
      const bundle = await signDsseKeyless({ ...method.services, payload, payloadType, identityToken: method.identityToken });
      // Re-read through aiprov's strict schema: never write a bundle our own verifier would refuse.
      return parseBundleJson(bundle, 'the keyless signing result');
    }
  }
}

/**
 * Refuses to sign with a certificate outside its validity period (RFC 5280 §4.1.2.5): `verify`
 * checks the chain now, or at the signature's RFC 3161 timestamp, and would refuse the signature
 * (CERTIFICATE_EXPIRED). Without a timestamp authority a signature made with an expired leaf can
 * never verify; bad input, refused before anything is written.
 */
export function requireCertificateValidAt(leaf: X509Certificate, time: Date, when: string): void {
  if (new Date(leaf.validFrom) <= time && time <= new Date(leaf.validTo)) return;
  const state = time < new Date(leaf.validFrom) ? 'not yet valid' : 'expired';
  throw new InputError('CERTIFICATE_EXPIRED', `the signing certificate is ${state} ${when} (${time.toISOString()}; valid ${leaf.validFrom} to ${leaf.validTo}): a signature made with it would not verify`);
}

/**
 * Signs a DSSE envelope over `payload` and wraps it in a Sigstore bundle v0.3 with no
 * transparency-log entry, in the exact shape model_signing's strict reader accepts. No timestamp
 * (`signDssePayload` adds one when the method names a TSA).
 */
export function signDsseBundle(payload: Buffer, payloadType: string, method: KeySigningMethod): BundleJson {
  const signature = cryptoSign(hashForKey(method.privateKey), preAuthEncoding(payloadType, payload), { key: method.privateKey, dsaEncoding: 'der' });
  const dsseEnvelope = {
    payload: payload.toString('base64'),
    payloadType,
    signatures: [{ sig: signature.toString('base64'), keyid: '' }],
  };
  switch (method.kind) {
    case 'key':
      return { mediaType: BUNDLE_V03_MEDIA_TYPE, verificationMaterial: { publicKey: { hint: publicKeyHint(method.privateKey) }, tlogEntries: [] }, dsseEnvelope };
    case 'certificate': {
      const [leaf] = method.certificateChain;
      if (leaf === undefined) throw new InputError('CERTIFICATE_CHAIN_EMPTY', 'a certificate is required to sign with a certificate');
      if (!leaf.checkPrivateKey(method.privateKey)) {
        throw new InputError('CERTIFICATE_KEY_MISMATCH', 'the signing key does not belong to the certificate');
      }
      const certificates = method.certificateChain.map((certificate) => ({ rawBytes: certificate.raw.toString('base64') }));
      return { mediaType: BUNDLE_V03_MEDIA_TYPE, verificationMaterial: { x509CertificateChain: { certificates }, tlogEntries: [] }, dsseEnvelope };
    }
  }
}
