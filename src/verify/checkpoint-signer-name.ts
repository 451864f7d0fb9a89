/**
 * The signer name of a Rekor v1 checkpoint, which `@sigstore/verify` matches and Rekor does not bind.
 *
 * A checkpoint is a signed note (C2SP signed-note, transparency-dev/formats log/README.md): the
 * note body, a blank line, then `— <name> base64(<key hint> || <signature>)` lines. Rekor v1 signs
 * it with its log key under the name of its `--rekor_server.hostname`, which defaults to the
 * machine's host name: for a private deployment made with the sigstore/scaffolding charts that is
 * the Rekor pod (`rekor-00001-deployment-…`), found in no URL. In Rekor v1's notes the name is
 * bound to nothing: the key hint is the first 4 bytes of SHA-256 of the log key's DER
 * SubjectPublicKeyInfo (rekor `pkg/util/signed_note.go`, `Sign`), not C2SP's hash over name and
 * key, and the signature covers the note body only.
 *
 * `@sigstore/verify` 4.x accepts a checkpoint signature only when that name is a substring of the
 * log's `baseUrl` (`tlog/checkpoint.js`, `verifySignedNote`), so it refuses such a deployment's
 * every entry ("invalid checkpoint signature"). sigstore-go does not look at the name: its
 * `tlog.VerifyInclusion` calls rekor's `VerifyCheckpointSignature`, which verifies the note with
 * the key of the log the entry names (`SignedNote.Verify`).
 *
 * `withTrustedLogSignerNames` does that check itself and, only for a signature line that passes
 * it, writes the log's `baseUrl` in place of the name, which `@sigstore/verify` then accepts.
 * Everything else is still checked there, unchanged: the key hint against the log ID, the
 * signature over the note, the inclusion proof against the checkpoint's root hash and size, the
 * entry's log ID and its SET. A line with another key hint, or whose signature does not verify
 * with that log's key, keeps its name and fails as before.
 */
import { createHash } from 'node:crypto';
import { crypto as sigstoreCrypto } from '@sigstore/core';
import type { SignedEntity, TrustMaterial } from '@sigstore/verify';

type TlogEntry = SignedEntity['tlogEntries'][number];
type TlogAuthority = TrustMaterial['tlogs'][number];

/** `@sigstore/verify`'s signature line pattern, so that exactly the lines it reads are rewritten. */
const SIGNATURE_LINE = /\u2014 (\S+) (\S+)\n/g;
const NOTE_SEPARATOR = '\n\n';
const KEY_HINT_BYTES = 4;

/** The entity with each Rekor v1 checkpoint signature that verifies named as its log's baseUrl. */
export function withTrustedLogSignerNames(entity: SignedEntity, tlogs: readonly TlogAuthority[]): SignedEntity {
  const tlogEntries = entity.tlogEntries.map((entry) => {
    const envelope = entry.inclusionProof?.checkpoint?.envelope;
    const renamed = envelope === undefined ? envelope : renamedCheckpoint(envelope, entry, tlogs);
    return renamed === envelope ? entry : ({ ...entry, inclusionProof: { ...entry.inclusionProof, checkpoint: { envelope: renamed } } } as TlogEntry);
  });
  return tlogEntries.every((entry, index) => entry === entity.tlogEntries[index]) ? entity : { ...entity, tlogEntries };
}

/** The envelope with the signature lines renamed that pass the check above (itself when none does). */
function renamedCheckpoint(envelope: string, entry: TlogEntry, tlogs: readonly TlogAuthority[]): string {
  const split = envelope.indexOf(NOTE_SEPARATOR);
  if (split < 0) return envelope;
  // As @sigstore/verify reads it: the note keeps its final newline; the signatures follow the blank line.
  const note = Buffer.from(envelope.slice(0, split + 1), 'utf8');
  const signatures = envelope.slice(split + NOTE_SEPARATOR.length);
  // The log the entry names, as @sigstore/verify binds it; a baseUrl with no usable name is left alone.
  const log = tlogs.find((tlog) => tlog.logID.equals(entry.logId.keyId) && /^\S+$/.test(tlog.baseURL) && isRekorV1LogId(tlog));
  if (log === undefined) return envelope;

  // One line by the log is enough (a signed note needs one signature by its log): once the log's
  // name is found, or one line with its key hint was tried, no other line costs a verification.
  let settled = false;
  const rewritten = signatures.replace(SIGNATURE_LINE, (line, name: string, hintAndSignature: string) => {
    if (settled) return line;
    if (log.baseURL.includes(name)) {
      settled = true; // already accepted as it is
      return line;
    }
    const bytes = Buffer.from(hintAndSignature, 'base64');
    if (bytes.length <= KEY_HINT_BYTES) return line;
    if (!bytes.subarray(0, KEY_HINT_BYTES).equals(log.logID.subarray(0, KEY_HINT_BYTES))) return line;
    // One attempt per checkpoint: a second line with the log's hint is a second claim by the
    // same key, and trying each would let a bundle buy one verification per line.
    settled = true;
    if (!sigstoreCrypto.verify(note, log.publicKey, bytes.subarray(KEY_HINT_BYTES))) return line;
    return `\u2014 ${log.baseURL} ${hintAndSignature}\n`;
  });
  return rewritten === signatures ? envelope : `${envelope.slice(0, split + NOTE_SEPARATOR.length)}${rewritten}`;
}

/** A Rekor v1 log's ID is SHA-256 of its key's DER SubjectPublicKeyInfo, the hint's source. */
function isRekorV1LogId(tlog: TlogAuthority): boolean {
  const spki = tlog.publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest().equals(tlog.logID);
}
