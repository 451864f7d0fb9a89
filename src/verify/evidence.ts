/**
 * The witnesses of a Sigstore bundle: transparency-log entries and timestamps. Each counts once
 * toward a threshold, a proof must agree with its own checkpoint, and only authenticated times
 * are reported (protobuf-specs `sigstore_bundle.proto`, `VerificationMaterial`).
 */
import type { KeyObject } from 'node:crypto';
import type { Bundle, TransparencyLogEntry } from '@sigstore/bundle';
import { Verifier, type SignedEntity, type TrustMaterial } from '@sigstore/verify';
import { VerificationError } from '../errors.js';
import { equalBytes } from './artifact-binding.js';

/** A timestamp this far past the verifier's clock is refused (clock skew allowance). */
const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

export interface EvidenceThresholds {
  /** Distinct transparency logs that must include the signature. */
  readonly tlog?: number;
  /** Distinct SCTs the signing certificate must carry. */
  readonly ctlog?: number;
  /** Verified timestamps (RFC 3161, or tlog integrated times backed by a SET). */
  readonly timestamp?: number;
}

export interface VerifiedTimestamp {
  readonly kind: 'transparency-log' | 'timestamp-authority';
  /** RFC 3339, UTC. */
  readonly time: string;
  /** The log ID (base64) of a tlog integrated time. */
  readonly logId?: string;
  readonly logIndex?: string;
}

export interface VerifiedTlogEntry {
  readonly logId: string;
  readonly logIndex: string;
  readonly kind: string;
  readonly version: string;
  readonly integratedTime?: string;
  readonly inclusionProof: boolean;
  readonly inclusionPromise: boolean;
}

/**
 * Each tlog entry counts once. Two copies of one entry (same log, same body; a log index is not
 * covered by an inclusion proof, so it is ignored) would otherwise let a single witness meet a
 * threshold of two. RFC 3161 timestamps are not refused here: two from one authority (the same
 * token twice, or two tokens a TSA issued) are valid evidence that a client must accept (sigstore-go
 * counts them per authority); `checkTimestampCount` counts them once.
 */
export function refuseDuplicateEvidence(bundle: Bundle): void {
  const entries = new Set<string>();
  for (const entry of bundle.verificationMaterial.tlogEntries) {
    const key = `${entry.logId.keyId.toString('base64')}:${entry.canonicalizedBody.toString('base64')}`;
    if (entries.has(key)) throw new VerificationError('TLOG_DUPLICATE_ENTRY', `the bundle repeats a transparency log entry (log ${entry.logId.keyId.toString('base64')}); each entry may count only once`);
    entries.add(key);
  }
}

/**
 * `@sigstore/verify` checks an inclusion proof against the root hash and size of its signed
 * checkpoint and ignores the proof's own `rootHash` and `treeSize`. A proof whose fields disagree
 * with the checkpoint they come with is not what the log served: refuse it rather than report
 * values nobody verified (sigstore-python and sigstore-go refuse it too).
 */
export function refuseInconsistentInclusionProofs(bundle: Bundle): void {
  for (const entry of bundle.verificationMaterial.tlogEntries) {
    const proof = entry.inclusionProof;
    if (proof === undefined) continue;
    const envelope = proof.checkpoint?.envelope ?? '';
    // C2SP tlog-checkpoint: origin, tree size (decimal), root hash (base64), then optional lines.
    const [, size, rootHash] = envelope.slice(0, Math.max(envelope.indexOf('\n\n'), 0)).split('\n');
    const sameSize = size !== undefined && /^(0|[1-9][0-9]*)$/.test(size) && size === proof.treeSize;
    if (!sameSize || rootHash === undefined || !equalBytes(Buffer.from(rootHash, 'base64'), proof.rootHash)) {
      throw new VerificationError('TLOG_INVALID', 'a transparency log inclusion proof does not match its checkpoint (root hash or tree size)');
    }
  }
}



/**
 * The entity with each RFC 3161 token once: `@sigstore/verify` refuses a bundle whose timestamps
 * repeat ("duplicate timestamp"), but the same token twice is one valid witness, and a client
 * must accept it. Only byte-identical tokens are dropped (verifying one verifies the other);
 * every distinct token is still verified.
 */
export function withoutRepeatedTimestamps(entity: SignedEntity): SignedEntity {
  const seen = new Set<string>();
  const timestamps = entity.timestamps.filter((timestamp) => {
    if (timestamp.$case !== 'timestamp-authority') return true;
    const der = Buffer.from(timestamp.timestamp.root.toDER()).toString('base64');
    if (seen.has(der)) return false;
    seen.add(der);
    return true;
  });
  return timestamps.length === entity.timestamps.length ? entity : { ...entity, timestamps };
}

/**
 * Timestamps that can count: RFC 3161 tokens, one per authority (the TSA certificate that signed
 * them, by issuer and serial number: one witness saying the same thing twice is one witness), and
 * integrated times backed by a SET (tlog entries are already distinct, see above).
 */
export function checkTimestampCount(entity: SignedEntity, threshold: number): void {
  const available = countTimestamps(entity);
  if (available < threshold) {
    throw new VerificationError('TIMESTAMP_MISSING', `the bundle has ${String(available)} verifiable timestamp(s) (an RFC 3161 timestamp or a tlog integrated time with a signed entry timestamp); ${String(threshold)} required`);
  }
}

function countTimestamps(entity: SignedEntity): number {
  const authorities = new Set<string>();
  let available = 0;
  for (const timestamp of entity.timestamps) {
    if (timestamp.$case === 'timestamp-authority') {
      const authority = `${timestamp.timestamp.signerIssuer.toString('hex')}:${timestamp.timestamp.signerSerialNumber.toString('hex')}`;
      if (!authorities.has(authority)) available++;
      authorities.add(authority);
    } else if (timestamp.tlogEntry.inclusionPromise !== undefined) {
      available++;
    }
  }
  return available;
}

/**
 * The entity without its RFC 3161 tokens that do not verify (another or untrusted authority, an
 * imprint that is not the signature's, a TSA certificate invalid at the token's time), but only
 * when the time sources left still meet `threshold`, and at least one is left: as sigstore-go
 * (`VerifySignedTimestampWithThreshold`) and sigstore-python, which verify each token, set the
 * failing ones aside and count the verified ones. When they do not, the entity is returned whole,
 * so the failing token is reported exactly as before (TIMESTAMP_INVALID or TIMESTAMP_MISSING);
 * a bundle is never verified at "now" because all its timestamps failed. Only the token itself
 * is judged here: a token that verifies is a verified time, and the signing certificate must
 * still be valid at it (conformance `rekor2-timestamp-with-incorrect-time_fail`). Counting SET
 * times before their SETs are verified is sound: every entry left must still verify after this.
 */
export function withoutFailingTimestamps(entity: SignedEntity, threshold: number, authorities: TrustMaterial['timestampAuthorities'], signingKey: () => KeyObject): SignedEntity {
  const tokens = entity.timestamps.filter((timestamp) => timestamp.$case === 'timestamp-authority');
  if (tokens.length === 0) return entity;
  const key = signingKey();
  const failing = new Set<SignedEntity['timestamps'][number]>(tokens.filter((token) => !tokenVerifies(token, entity.signature.signature, key, authorities)));
  if (failing.size === 0) return entity;
  const kept: SignedEntity = { ...entity, timestamps: entity.timestamps.filter((timestamp) => !failing.has(timestamp)) };
  return countTimestamps(kept) >= Math.max(threshold, 1) ? kept : entity;
}

function tokenVerifies(token: SignedEntity['timestamps'][number], signature: Buffer, key: KeyObject, authorities: TrustMaterial['timestampAuthorities']): boolean {
  try {
    verifyTimestampTokens([token], signature, key, authorities);
    return true;
  } catch {
    return false;
  }
}

/**
 * `@sigstore/verify`'s checks of RFC 3161 tokens and nothing else: each must be signed by one of
 * `authorities` (its certificate valid at the token's time) over the SHA-256 of `signature`. The
 * signature itself and the key's validity are the caller's to check: `key` is only handed back.
 * Throws `@sigstore/verify`'s error, for the caller to re-code.
 */
export function verifyTimestampTokens(timestamps: SignedEntity['timestamps'], signature: Buffer, key: KeyObject, authorities: TrustMaterial['timestampAuthorities']): void {
  const trustMaterial: TrustMaterial = { certificateAuthorities: [], tlogs: [], ctlogs: [], timestampAuthorities: authorities, publicKey: () => ({ publicKey: key, validFor: () => true }) };
  new Verifier(trustMaterial, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: Math.min(timestamps.length, 1) }).verify(timestampsOnly(timestamps, signature));
}

/** An entity that holds only timestamps over `signature`, whose own check always passes. */
export function timestampsOnly(timestamps: SignedEntity['timestamps'], signature: Buffer): SignedEntity {
  return {
    signature: { signature, compareSignature: () => false, compareDigest: () => false, compareSignedDigest: () => false, verifySignature: () => true },
    key: { $case: 'public-key', hint: '' },
    timestamps,
    tlogEntries: [],
  };
}

export function verifiedTimestamps(entity: SignedEntity): VerifiedTimestamp[] {
  return entity.timestamps.flatMap((timestamp): VerifiedTimestamp[] => {
    switch (timestamp.$case) {
      case 'timestamp-authority':
        return [{ kind: 'timestamp-authority', time: timestamp.timestamp.signingTime.toISOString() }];
      case 'transparency-log': {
        // Only a SET authenticates the integrated time (protobuf-specs: the time is otherwise
        // just a claim); @sigstore/verify ignores the others too.
        const entry = timestamp.tlogEntry;
        if (entry.inclusionPromise === undefined) return [];
        return [{ kind: 'transparency-log', time: new Date(Number(entry.integratedTime) * 1000).toISOString(), logId: entry.logId.keyId.toString('base64'), logIndex: entry.logIndex }];
      }
    }
  });
}

/** A witness that dates the signature in the verifier's future is lying or misconfigured. */
export function refuseFutureTimestamps(timestamps: readonly VerifiedTimestamp[], now: Date): void {
  for (const timestamp of timestamps) {
    if (Date.parse(timestamp.time) > now.getTime() + MAX_FUTURE_SKEW_MS) {
      throw new VerificationError('TIMESTAMP_INVALID', `a ${timestamp.kind} timestamp (${timestamp.time}) is in the future (now ${now.toISOString()})`);
    }
  }
}

export function describeTlogEntry(entry: TransparencyLogEntry): VerifiedTlogEntry {
  return {
    logId: entry.logId.keyId.toString('base64'),
    logIndex: entry.logIndex,
    kind: entry.kindVersion.kind,
    version: entry.kindVersion.version,
    ...(entry.integratedTime === '0' || entry.integratedTime === '' ? {} : { integratedTime: new Date(Number(entry.integratedTime) * 1000).toISOString() }),
    inclusionProof: entry.inclusionProof !== undefined,
    inclusionPromise: entry.inclusionPromise !== undefined,
  };
}

