/**
 * Inclusion proofs and signed checkpoints for the local Rekor.
 *
 * @sigstore/mock proves every entry as the only leaf of a one-leaf tree (index 0, no hashes). That
 * never exercises a verifier's Merkle path, and index 0 is a protobuf default value, which the
 * proto3 JSON mapping omits from the bundle. We place the entry at its log index in a larger tree
 * instead: the other leaves are never needed to prove one leaf, only the sibling subtree hashes,
 * which we draw at random. The proof then has the shape of a real one (RFC 9162 §2.1.3), and the
 * root it leads to is what the checkpoint signs (C2SP signed-note / tlog-checkpoint, as Rekor
 * writes them).
 */
import { createHash, randomBytes, randomInt, sign, type KeyObject } from 'node:crypto';

export interface LogIdentity {
  /** The checkpoint origin and signer name: the log's host, which verifiers find in its baseUrl. */
  readonly name: string;
  /** SHA-256 of the log's SPKI; its first 4 bytes are the signature's key hint. */
  readonly logId: Buffer;
  readonly privateKey: KeyObject;
}

export interface InclusionProof {
  readonly logIndex: bigint;
  readonly treeSize: bigint;
  readonly rootHash: Buffer;
  /** Ordered from the leaf upwards, as Rekor returns them. */
  readonly hashes: readonly Buffer[];
  /** The signed checkpoint (note + signature lines). */
  readonly checkpoint: string;
}

/** Proves `body` (the canonicalized entry) as leaf `logIndex` of a tree somewhat larger than that. */
export function proveInclusion(log: LogIdentity, body: Buffer, logIndex: bigint, options: { readonly timestampSeconds?: number } = {}): InclusionProof {
  const treeSize = logIndex + 1n + BigInt(randomInt(1000));
  // transparency-dev/merkle (and @sigstore/verify) split the path into inner hashes, below the
  // point where the paths to `logIndex` and to the last leaf diverge, and border hashes above it.
  const inner = bitLength(logIndex ^ (treeSize - 1n));
  const border = onesCount(logIndex >> BigInt(inner));
  const hashes = Array.from({ length: inner + border }, () => randomBytes(32));

  let node = leafHash(body);
  hashes.slice(0, inner).forEach((sibling, level) => {
    node = ((logIndex >> BigInt(level)) & 1n) === 1n ? nodeHash(sibling, node) : nodeHash(node, sibling);
  });
  for (const sibling of hashes.slice(inner)) node = nodeHash(sibling, node);

  return { logIndex, treeSize, rootHash: node, hashes, checkpoint: signCheckpoint(log, treeSize, node, options.timestampSeconds) };
}

/**
 * A checkpoint body is `origin\nsize\nbase64(root)\n` plus optional extension lines (Rekor v1 adds
 * `Timestamp: <ns>`), then a blank line and one `— name base64(keyHint || signature)` line per
 * signer. The signature is ECDSA over the body.
 */
function signCheckpoint(log: LogIdentity, treeSize: bigint, root: Buffer, timestampSeconds: number | undefined): string {
  const lines = [`${log.name} - ${randomInt(2 ** 47)}`, treeSize.toString(), root.toString('base64')];
  if (timestampSeconds !== undefined) lines.push(`Timestamp: ${BigInt(timestampSeconds) * 1_000_000_000n}`);
  const note = `${lines.join('\n')}\n`;
  const signature = sign('sha256', Buffer.from(note, 'utf8'), log.privateKey);
  const keyHintAndSignature = Buffer.concat([log.logId.subarray(0, 4), signature]).toString('base64');
  return `${note}\n\u2014 ${log.name} ${keyHintAndSignature}\n`;
}

/** RFC 6962 §2.1: leaves and interior nodes are hashed with distinct prefixes (second preimages). */
function leafHash(data: Buffer): Buffer {
  return createHash('sha256').update(Buffer.of(0x00)).update(data).digest();
}

function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(Buffer.of(0x01)).update(left).update(right).digest();
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

function onesCount(n: bigint): number {
  return n.toString(2).split('').filter((bit) => bit === '1').length;
}
