/**
 * An RFC 3161 timestamp for a key or certificate signature, from a Sigstore timestamp authority
 * (`@sigstore/sign`'s TSA witness: the message imprint is the SHA-256 of the DSSE signature, as in
 * keyless bundles). The token goes into `verificationMaterial.timestampVerificationData`, which
 * model_signing's bundle reader accepts. A TSA failure is an IOError; the caller writes nothing.
 */
import { InternalError as SigstoreInternalError, TSAWitness } from '@sigstore/sign';
import { RFC3161Timestamp } from '@sigstore/core';
import { InputError, IOError } from '../errors.js';
import type { BundleJson } from '../format/bundle.js';
import { networkReason } from './network-error.js';

const TIMEOUT_MS = 30_000;
const RETRIES = 2;

/** `bundle` with an RFC 3161 timestamp over its one DSSE signature, from the TSA at `tsaUrl`. */
export async function addRfc3161Timestamp(bundle: BundleJson, tsaUrl: string): Promise<BundleJson> {
  const url = tsaEndpoint(tsaUrl);
  const envelope = bundle.dsseEnvelope;
  const [entry] = envelope?.signatures ?? [];
  if (envelope === undefined || entry === undefined) throw new InputError('BUNDLE_INVALID', 'only a DSSE signature can be timestamped');
  const witness = new TSAWitness({ tsaBaseURL: url, timeout: TIMEOUT_MS, retry: { retries: RETRIES } });
  let material;
  try {
    material = await witness.testify(
      { $case: 'dsseEnvelope', dsseEnvelope: { payload: Buffer.from(envelope.payload, 'base64'), payloadType: envelope.payloadType, signatures: [{ sig: Buffer.from(entry.sig, 'base64'), keyid: '' }] } },
    );
  } catch (error) {
    const cause: unknown = error instanceof SigstoreInternalError ? error.cause : error;
    const status = typeof cause === 'object' && cause !== null ? (cause as { statusCode?: unknown }).statusCode : undefined;
    if (typeof status === 'number') throw new IOError('SIGNING_SERVICE_ERROR', `TSA at ${url} answered HTTP ${String(status)}`, { cause });
    throw new IOError('SIGNING_SERVICE_UNREACHABLE', `cannot reach TSA at ${url}: ${networkReason(cause)}`, { cause });
  }
  const rfc3161Timestamps = material.rfc3161Timestamps.map((timestamp) => ({ signedTimestamp: Buffer.from(timestamp.signedTimestamp).toString('base64') }));
  return { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, timestampVerificationData: { rfc3161Timestamps } } };
}

/** The signing times of a bundle's RFC 3161 timestamps (one, as `addRfc3161Timestamp` writes). */
export function rfc3161Times(bundle: BundleJson): Date[] {
  return (bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []).map((timestamp) => {
    try {
      return RFC3161Timestamp.parse(Buffer.from(timestamp.signedTimestamp, 'base64')).signingTime;
    } catch (error) {
      throw new IOError('SIGNING_SERVICE_ERROR', 'the TSA answered with a timestamp that cannot be parsed', { cause: error });
    }
  });
}

/** An http(s) URL without a trailing slash (the witness appends `/api/v1/timestamp` to a bare origin). */
function tsaEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError('SIGNING_SERVICE_URL_INVALID', `the TSA URL ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InputError('SIGNING_SERVICE_URL_INVALID', `the TSA URL must be http(s), not ${url.protocol}`);
  return value.replace(/\/+$/, '');
}
