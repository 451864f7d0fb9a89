/**
 * The local stack's public trust material, written in the two documents every Sigstore client
 * reads: a `trusted_root.json` (protobuf-specs `dev.sigstore.trustroot.v1.TrustedRoot`, media type
 * `application/vnd.dev.sigstore.trustedroot+json;version=0.1`) and a SigningConfig v0.2
 * (`dev.sigstore.trustroot.v1.SigningConfig`, media type
 * `application/vnd.dev.sigstore.signingconfig.v0.2+json`). Both are produced with the
 * protobuf-specs JSON encoders, so they are byte-compatible with what the public-good TUF
 * repository serves and with what `toTrustMaterial` / `bundleBuilderFromSigningConfig` read.
 */
import { createHash } from 'node:crypto';
import {
  HashAlgorithm,
  PublicKeyDetails,
  ServiceSelector,
  SigningConfig,
  TrustedRoot,
  type CertificateAuthority,
  type Service,
  type TransparencyLogInstance,
} from '@sigstore/protobuf-specs';

/** Must equal `SIGNING_CONFIG_V02_MEDIA_TYPE` in src/sign/keyless.ts (test/local-stack asserts it). */
export const SIGNING_CONFIG_V02_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';
export const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';

const OPERATOR = 'aiprov local stack';

/** JSON as written to disk; parse back with `TrustedRoot.fromJSON` / `SigningConfig.fromJSON`. */
export type JsonDocument = Record<string, unknown>;

export interface LocalTrustInputs {
  /** Every key and certificate of the stack is valid from here on (whole seconds, see below). */
  readonly validFrom: Date;
  readonly fulcioUrl: string;
  /** The Fulcio root, DER. The mock CA signs leaves directly with it (no intermediate). */
  readonly caRoot: Uint8Array;
  readonly rekorUrl: string;
  /** Rekor's public key, SPKI DER. */
  readonly rekorPublicKey: Uint8Array;
  readonly ctlogUrl: string;
  /** The CT log's public key, SPKI DER. */
  readonly ctlogPublicKey: Uint8Array;
  readonly tsaUrl: string;
  /** The TSA chain, leaf (the timestamp signing certificate) first, DER. */
  readonly tsaChain: readonly Uint8Array[];
}

export function localTrustedRoot(inputs: LocalTrustInputs): JsonDocument {
  const validFor = { start: inputs.validFrom };
  const root: TrustedRoot = {
    mediaType: TRUSTED_ROOT_MEDIA_TYPE,
    tlogs: [transparencyLog(inputs.rekorUrl, inputs.rekorPublicKey, inputs.validFrom)],
    ctlogs: [transparencyLog(inputs.ctlogUrl, inputs.ctlogPublicKey, inputs.validFrom)],
    certificateAuthorities: [certificateAuthority(inputs.fulcioUrl, 'sigstore', [inputs.caRoot], validFor)],
    timestampAuthorities: [certificateAuthority(inputs.tsaUrl, 'tsa', inputs.tsaChain, validFor)],
  };
  return TrustedRoot.toJSON(root) as JsonDocument;
}

export interface LocalServiceUrls {
  readonly validFrom: Date;
  readonly fulcioUrl: string;
  readonly oidcIssuer: string;
  readonly rekorUrl: string;
  readonly rekorApiVersion: 1 | 2;
  /** Absent: the signing config lists no TSA (Rekor v1's SET is then the only timestamp). */
  readonly tsaUrl?: string;
}

/**
 * SigningConfig v0.2. Service URLs follow the spec's conventions: CA, OIDC and Rekor URLs are
 * base URLs; a TSA URL is the full endpoint (`…/api/v1/timestamp`). Selectors are ANY, the only
 * one @sigstore/sign 5 implements.
 */
export function localSigningConfig(urls: LocalServiceUrls): JsonDocument {
  const service = (url: string, majorApiVersion: number): Service => ({
    url,
    majorApiVersion,
    validFor: { start: urls.validFrom },
    operator: OPERATOR,
  });
  const config: SigningConfig = {
    mediaType: SIGNING_CONFIG_V02_MEDIA_TYPE,
    caUrls: [service(urls.fulcioUrl, 1)],
    oidcUrls: [service(urls.oidcIssuer, 1)],
    rekorTlogUrls: [service(urls.rekorUrl, urls.rekorApiVersion)],
    rekorTlogConfig: { selector: ServiceSelector.ANY, count: 0 },
    tsaUrls: urls.tsaUrl === undefined ? [] : [service(urls.tsaUrl, 1)],
    tsaConfig: urls.tsaUrl === undefined ? undefined : { selector: ServiceSelector.ANY, count: 0 },
  };
  return SigningConfig.toJSON(config) as JsonDocument;
}

/**
 * A log is identified by the SHA-256 of its SPKI DER (RFC 6962 §3.2 LogID for CT; Rekor uses the
 * same construction), which is also what a checkpoint's 4-byte key hint is cut from.
 */
function transparencyLog(baseUrl: string, spki: Uint8Array, validFrom: Date): TransparencyLogInstance {
  return {
    baseUrl,
    hashAlgorithm: HashAlgorithm.SHA2_256,
    publicKey: {
      rawBytes: Buffer.from(spki),
      keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
      validFor: { start: validFrom },
    },
    logId: { keyId: createHash('sha256').update(spki).digest() },
    checkpointKeyId: undefined,
    operator: OPERATOR,
  };
}

function certificateAuthority(
  uri: string,
  commonName: string,
  chain: readonly Uint8Array[],
  validFor: { start: Date },
): CertificateAuthority {
  return {
    subject: { organization: 'sigstore.mock', commonName },
    uri,
    certChain: { certificates: chain.map((der) => ({ rawBytes: Buffer.from(der) })) },
    validFor,
    operator: OPERATOR,
  };
}
