/**
 * What a real Rekor does to a proposed DSSE entry before logging it, and @sigstore/mock does not.
 *
 * The mock logs the request body as submitted. For `dsse` entries that body carries
 * `proposedContent` (the whole envelope and the verifiers), while a real Rekor logs only the
 * server-computed fields: the payload hash, the envelope hash and, per signature, the signature and
 * its verifier. @sigstore/verify checks the logged body against the bundle's envelope
 * (`verifyDSSETLogBody`: `spec.signatures[0].signature`, `spec.payloadHash.value`), so a bundle
 * witnessed by the unmodified mock fails with TLOG_BODY_ERROR. We rewrite the request into the body
 * Rekor would have stored before handing it to the mock's log, which then hashes, signs (SET,
 * checkpoint) and returns exactly that body.
 *
 * Like the real services, the rewrite verifies every envelope signature against a submitted
 * verifier and refuses the entry otherwise: a log that records signatures it never checked would
 * let our tests pass on bundles a real Rekor rejects.
 */
import { createHash, createPublicKey, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { dsse } from '@sigstore/core';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { CreateEntryRequest, Entry, type Verifier } from '@sigstore/protobuf-specs/rekor/v2';
import { z } from 'zod';
import { verifyEcdsaDigest } from './ecdsa-digest.js';

/** A proposed entry the local Rekor refuses; the server answers 400 with the message. */
export class RejectedEntryError extends Error {}

const DSSE_KIND = 'dsse';
const DSSE_V001 = '0.0.1';
const DSSE_V002 = '0.0.2';

const ProposedDsseV001Schema = z.object({
  apiVersion: z.literal(DSSE_V001),
  kind: z.literal(DSSE_KIND),
  spec: z.object({
    proposedContent: z.object({
      envelope: z.string().min(1),
      verifiers: z.array(z.string().min(1)).min(1),
    }),
  }),
});

const EnvelopeJsonSchema = z.object({
  payloadType: z.string(),
  payload: z.string(),
  signatures: z.array(z.object({ keyid: z.string().optional(), sig: z.string().min(1) })).min(1),
});

/**
 * Rekor v1 `dsse` v0.0.1: the canonical body of `V001Entry.Canonicalize` (sigstore/rekor
 * pkg/types/dsse/v0.0.1/entry.go): `envelopeHash` = sha256 of the envelope string as submitted,
 * `payloadHash` = sha256 of the decoded payload, `signatures` sorted by signature, each with the
 * base64 of the verifier's canonical PEM. `proposedContent` is dropped, as Rekor does.
 */
export function canonicalRekorV1Entry(proposed: unknown): Record<string, unknown> {
  const parsed = ProposedDsseV001Schema.safeParse(proposed);
  if (!parsed.success) {
    throw new RejectedEntryError('the local Rekor accepts only dsse v0.0.1 entries with proposedContent');
  }
  const { envelope: envelopeText, verifiers } = parsed.data.spec.proposedContent;
  let envelopeJson: unknown;
  try {
    envelopeJson = JSON.parse(envelopeText);
  } catch {
    throw new RejectedEntryError('proposedContent.envelope is not JSON');
  }
  const envelope = EnvelopeJsonSchema.safeParse(envelopeJson);
  if (!envelope.success) throw new RejectedEntryError('proposedContent.envelope is not a DSSE envelope');

  const payload = Buffer.from(envelope.data.payload, 'base64');
  const pae = dsse.preAuthEncoding(envelope.data.payloadType, payload);
  const keys = verifiers.map((verifier) => parseV1Verifier(verifier));
  const signatures = envelope.data.signatures.map(({ sig }) => {
    const key = keys.find((candidate) => verifiesSignature(candidate.key, pae, Buffer.from(sig, 'base64')));
    if (key === undefined) throw new RejectedEntryError('all signatures must have a key that verifies it');
    return { signature: sig, verifier: Buffer.from(key.canonicalPem, 'utf8').toString('base64') };
  });
  signatures.sort((a, b) => (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0));

  return {
    apiVersion: DSSE_V001,
    kind: DSSE_KIND,
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256Hex(Buffer.from(envelopeText, 'utf8')) },
      payloadHash: { algorithm: 'sha256', value: sha256Hex(payload) },
      signatures,
    },
  };
}

/**
 * Rekor v2 `dsse` v0.0.2: the log entry rekor-tiles stores for a `dsseRequestV0_0_2`
 * (sigstore/rekor-tiles pkg/types/dsse): `payloadHash` {SHA2_256, digest} and, per signature,
 * its bytes and the verifier as submitted. Returned as protobuf JSON (`Entry.toJSON`), the form
 * @sigstore/verify parses back with `Entry.fromJSON` in `verifyDSSETLogBodyV2`.
 */
export function rekorV2Entry(requestJson: unknown): Record<string, unknown> {
  const request = CreateEntryRequest.fromJSON(requestJson);
  if (request.spec?.$case !== 'dsseRequestV002' || request.spec.dsseRequestV002.envelope === undefined) {
    throw new RejectedEntryError('the local Rekor v2 accepts only dsseRequestV002 entries');
  }
  const { envelope, verifiers } = request.spec.dsseRequestV002;
  if (envelope.signatures.length === 0 || verifiers.length === 0) {
    throw new RejectedEntryError('a DSSE entry needs at least one signature and one verifier');
  }
  const pae = dsse.preAuthEncoding(envelope.payloadType, envelope.payload);
  const keys = verifiers.map((verifier) => ({ verifier, key: v2VerifierKey(verifier) }));
  const signatures = envelope.signatures.map(({ sig }) => {
    const match = keys.find((candidate) => verifiesSignature(candidate.key, pae, sig));
    if (match === undefined) throw new RejectedEntryError('all signatures must have a key that verifies it');
    return { content: sig, verifier: match.verifier };
  });
  const entry: Entry = {
    kind: DSSE_KIND,
    apiVersion: DSSE_V002,
    spec: {
      spec: {
        $case: 'dsseV002',
        dsseV002: {
          payloadHash: { algorithm: HashAlgorithm.SHA2_256, digest: createHash('sha256').update(envelope.payload).digest() },
          signatures,
        },
      },
    },
  };
  return Entry.toJSON(entry) as Record<string, unknown>;
}

const ProposedHashedRekordV001Schema = z.object({
  apiVersion: z.literal('0.0.1'),
  kind: z.literal('hashedrekord'),
  spec: z.object({
    data: z.object({ hash: z.object({ algorithm: z.literal('sha256'), value: z.string().regex(/^[0-9a-f]{64}$/) }) }),
    signature: z.object({ content: z.string().min(1), publicKey: z.object({ content: z.string().min(1) }) }),
  }),
});

/**
 * Rekor v1 `hashedrekord` v0.0.1 (a message signature over an artifact digest): the submitted body
 * is already the canonical one, so it is logged as is, once the signature is checked against the
 * submitted key over the digest (sigstore/rekor pkg/types/hashedrekord/v0.0.1), as Rekor does.
 */
export function checkedHashedRekordV1Entry(proposed: unknown): Record<string, unknown> {
  const parsed = ProposedHashedRekordV001Schema.safeParse(proposed);
  if (!parsed.success) throw new RejectedEntryError('not a hashedrekord v0.0.1 entry with a sha256 digest');
  const { data, signature } = parsed.data.spec;
  const { key } = parseV1Verifier(signature.publicKey.content);
  // Rekor only sees the artifact's digest, so the signature is checked over the digest itself.
  if (!verifyEcdsaDigest(key, Buffer.from(data.hash.value, 'hex'), Buffer.from(signature.content, 'base64'))) {
    throw new RejectedEntryError('the hashedrekord signature does not verify with its key');
  }
  return parsed.data;
}

interface ParsedVerifier {
  readonly key: KeyObject;
  readonly canonicalPem: string;
}

/** A v1 verifier is base64 of a PEM certificate or PEM public key (Rekor `x509.NewPublicKey`). */
function parseV1Verifier(base64Pem: string): ParsedVerifier {
  const pem = Buffer.from(base64Pem, 'base64').toString('utf8');
  try {
    if (pem.includes('-----BEGIN CERTIFICATE-----')) {
      const certificate = new X509Certificate(pem);
      // Rekor's CanonicalValue of a certificate is its PEM re-encoded from DER.
      return { key: certificate.publicKey, canonicalPem: certificate.toString() };
    }
    const key = createPublicKey(pem);
    return { key, canonicalPem: key.export({ type: 'spki', format: 'pem' }).toString() };
  } catch {
    throw new RejectedEntryError('a verifier is neither a PEM certificate nor a PEM public key');
  }
}

function v2VerifierKey(verifier: Verifier): KeyObject {
  try {
    switch (verifier.verifier?.$case) {
      case 'x509Certificate':
        return new X509Certificate(verifier.verifier.x509Certificate.rawBytes).publicKey;
      case 'publicKey':
        return createPublicKey({ key: verifier.verifier.publicKey.rawBytes, format: 'der', type: 'spki' });
      case undefined:
        throw new RejectedEntryError('a verifier has no key');
    }
  } catch (error) {
    if (error instanceof RejectedEntryError) throw error;
    throw new RejectedEntryError('a verifier could not be parsed');
  }
}

/** DSSE signatures are over the PAE; ECDSA and RSA with SHA-256 (what Rekor loads), Ed25519 pure. */
function verifiesSignature(key: KeyObject, pae: Buffer, signature: Buffer): boolean {
  const algorithm = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  try {
    return verify(algorithm, pae, key, signature);
  } catch {
    return false;
  }
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
