/**
 * What `@sigstore/verify` leaves to its caller: that the artifact given is the one the bundle
 * signs. For a message signature, the artifact's digest must be the signed message digest; for a
 * DSSE bundle, the artifact must be a subject of the signed in-toto statement.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { z } from 'zod';
import { InputError, isAiprovError, VerificationError } from '../errors.js';
import { parseSignedJson } from '../input/signed-json.js';
import { IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT_V1 } from '../statement/statement.js';

/** Statement versions whose subjects are matched (v0.1 is what older attestations carry). */
const IN_TOTO_STATEMENT_TYPES: readonly string[] = [IN_TOTO_STATEMENT_V1, 'https://in-toto.io/Statement/v0.1'];

/** The artifact: its bytes, or only its SHA-256 (the conformance suite's `sha256:<hex>`). */
export type ArtifactInput = Buffer | { readonly sha256: string };

/** How the artifact was bound to the signature. */
export interface ArtifactMatch {
  readonly matchedBy: 'message-digest' | 'statement-subject';
  readonly algorithm: string;
  readonly digest: string;
  readonly subjectName?: string;
}


const HASH_NAMES: Partial<Record<HashAlgorithm, string>> = {
  [HashAlgorithm.SHA2_256]: 'sha256',
  [HashAlgorithm.SHA2_384]: 'sha384',
  [HashAlgorithm.SHA2_512]: 'sha512',
};

interface ArtifactBinding {
  readonly matched?: ArtifactMatch;
  /** Digest-only verification of a message signature: the signature is checked over this digest. */
  readonly prehashed?: Buffer;
}

/**
 * For a message signature the artifact's digest must equal the signed message digest
 * (conformance `message-digest-mismatch_fail`); `@sigstore/verify` checks the signature over the
 * artifact, but not that the bundle's stated digest is the artifact's. A DSSE bundle is matched
 * against its statement after verification (`matchStatementSubject`).
 */
export function bindArtifact(bundle: Bundle, artifact: ArtifactInput | undefined): ArtifactBinding {
  if (bundle.content.$case !== 'messageSignature') return {};
  if (artifact === undefined) throw new InputError('ARTIFACT_REQUIRED', 'a message-signature bundle signs the artifact itself: give the artifact (or its sha256 digest) to verify it');
  const messageDigest = bundle.content.messageSignature.messageDigest;
  const algorithm = HASH_NAMES[messageDigest.algorithm];
  if (algorithm === undefined) throw new InputError('BUNDLE_UNSUPPORTED', `message digest algorithm ${String(messageDigest.algorithm)} is not supported`);

  let actual: Buffer;
  if (Buffer.isBuffer(artifact)) {
    actual = createHash(algorithm).update(artifact).digest();
  } else {
    if (algorithm !== 'sha256') throw new InputError('DIGEST_MODE_UNSUPPORTED', `the bundle signs a ${algorithm} digest; give the artifact file instead of its sha256`);
    actual = Buffer.from(parseSha256(artifact.sha256), 'hex');
  }
  if (!equalBytes(actual, messageDigest.digest)) {
    throw new VerificationError('DIGEST_MISMATCH', `the artifact's ${algorithm} (${actual.toString('hex')}) is not the digest the bundle signs (${messageDigest.digest.toString('hex')})`);
  }
  return {
    matched: { matchedBy: 'message-digest', algorithm, digest: actual.toString('hex') },
    ...(Buffer.isBuffer(artifact) ? {} : { prehashed: actual }),
  };
}

const StatementSubjectsSchema = z.object({
  _type: z.string(),
  subject: z.array(z.object({ name: z.string().optional(), digest: z.record(z.string(), z.string()) })),
});

/**
 * A DSSE bundle signs a statement *about* artifacts; it covers the given artifact only if the
 * artifact is one of the statement's subjects (`@sigstore/verify` does not check this: without
 * it, any validly signed attestation would "verify" any file). A subject matches when it lists
 * a digest we can compute and every such digest it lists equals the artifact's.
 */
export function matchStatementSubject(dsse: { payloadType: string; payload: Buffer }, artifact: ArtifactInput | undefined): ArtifactMatch | undefined {
  if (artifact === undefined) return undefined;
  if (dsse.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new VerificationError('SUBJECT_MISMATCH', `the DSSE payload is ${JSON.stringify(dsse.payloadType.slice(0, 120))}, not an in-toto statement, so it names no artifact`);
  }
  let json: unknown;
  try {
    json = parseSignedJson(dsse.payload, 'the signed in-toto statement');
  } catch (error) {
    throw new VerificationError('SUBJECT_MISMATCH', isAiprovError(error) ? error.message : 'the signed in-toto statement is not valid JSON', { cause: error });
  }
  const statement = StatementSubjectsSchema.safeParse(json);
  if (!statement.success || !IN_TOTO_STATEMENT_TYPES.includes(statement.data._type)) {
    throw new VerificationError('SUBJECT_MISMATCH', 'the signed payload is not an in-toto statement with subjects');
  }

  const computed = new Map<string, string>();
  const digestOf = (algorithm: string): string | undefined => {
    if (!Buffer.isBuffer(artifact)) return algorithm === 'sha256' ? parseSha256(artifact.sha256) : undefined;
    if (!['sha256', 'sha384', 'sha512'].includes(algorithm)) return undefined;
    let value = computed.get(algorithm);
    if (value === undefined) {
      value = createHash(algorithm).update(artifact).digest('hex');
      computed.set(algorithm, value);
    }
    return value;
  };

  for (const subject of statement.data.subject) {
    const comparable = Object.entries(subject.digest).flatMap(([algorithm, value]) => {
      const ours = digestOf(algorithm);
      return ours === undefined ? [] : [{ algorithm, ours, theirs: value.toLowerCase() }];
    });
    const first = comparable[0];
    if (first !== undefined && comparable.every(({ ours, theirs }) => equalBytes(Buffer.from(ours, 'utf8'), Buffer.from(theirs, 'utf8')))) {
      return { matchedBy: 'statement-subject', algorithm: first.algorithm, digest: first.ours, ...(subject.name === undefined ? {} : { subjectName: subject.name }) };
    }
  }
  const ours = Buffer.isBuffer(artifact) ? digestOf('sha256') : parseSha256(artifact.sha256);
  throw new VerificationError('SUBJECT_MISMATCH', `the artifact (sha256 ${String(ours)}) is not a subject of the signed statement (${String(statement.data.subject.length)} subject(s))`);
}


/** A SHA-256 digest given as hex: 64 hex characters, lowercased. */
export function parseSha256(hex: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new InputError('DIGEST_INVALID', `a SHA-256 digest is 64 hex characters, got ${JSON.stringify(hex.slice(0, 80))}`);
  return hex.toLowerCase();
}

/** Constant-time comparison of two byte strings (digests, root hashes). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}
