/**
 * The digest cache file of `sign --incremental` (one per artifact and serialization; see
 * `store.ts` for where they live and `incremental.ts` for when an entry is trusted). Text, one
 * line per file, so 100,000 entries load and save in a few tens of milliseconds:
 *
 *   aiprov-digest-cache/v1
 *   {"root":"/models/llama","hashType":"sha256","method":"files","shardSize":null}
 *   <dev> <ino> <size> <mtimeNs> <ctimeNs>\t<hex digest>[ <hex digest>…]\t<JSON resource path>
 *   …
 *   end <entries> <SHA-256 of every byte before this line>
 *
 * The key fields are the file's `stat` in decimal, as git keys its index; a `shards` entry lists
 * its shard digests in order. The trailer's checksum is for integrity only (a truncated or
 * bit-flipped file must not hand out a wrong digest), not authenticity: the cache trusts whoever
 * can write the user's cache directory, which is why `store.ts` checks its owner and mode. A file
 * that fails any check here is not used at all, never used in part.
 */
import { createHash } from 'node:crypto';
import type { HashType } from '../../hashing/hash-type.js';
import type { Serialization } from '../../manifest/manifest.js';

export const CACHE_MAGIC = 'aiprov-digest-cache/v1';
const MAGIC_PREFIX = 'aiprov-digest-cache/';

const DIGEST_BYTES: Readonly<Record<HashType, number>> = { sha256: 32, blake2b: 64, blake3: 32 };

/** What one cache file is for: its header line must match exactly. */
export interface CacheScope {
  /** The artifact's real path (a non-UTF-8 byte kept as walk.ts `fileNameOf` keeps it). */
  readonly root: string;
  readonly serialization: Pick<Serialization, 'hashType' | 'method' | 'shardSize'>;
}

export interface CacheEntry {
  /** `<dev> <ino> <size> <mtimeNs> <ctimeNs>`: equal to the current key or not used. */
  readonly key: string;
  /** Hex digests: one for `files`, one per shard for `shards`. */
  readonly digests: readonly string[];
}

/** The header line of a scope: the cache file's identity. */
export function scopeHeader(scope: CacheScope): string {
  const { hashType, method, shardSize } = scope.serialization;
  return JSON.stringify({ root: scope.root, hashType, method, shardSize: method === 'shards' ? (shardSize ?? null) : null });
}

/** The cache file's contents for these entries (keyed by resource path). */
export function encodeDigestCache(scope: CacheScope, entries: ReadonlyMap<string, CacheEntry>): Buffer {
  const lines = [CACHE_MAGIC, scopeHeader(scope)];
  for (const [name, entry] of entries) lines.push(`${entry.key}\t${entry.digests.join(' ')}\t${JSON.stringify(name)}`);
  const body = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
  const trailer = `end ${String(entries.size)} ${createHash('sha256').update(body).digest('hex')}\n`;
  return Buffer.concat([body, Buffer.from(trailer, 'utf8')]);
}

export type DecodedCache = { readonly entries: Map<string, CacheEntry> } | { readonly problem: string };

const KEY = /^[0-9]{1,20} [0-9]{1,20} ([0-9]{1,20}) [0-9]{1,20} [0-9]{1,20}$/;
const TRAILER = /^end ([0-9]{1,10}) ([0-9a-f]{64})$/;
const NEWLINE = 0x0a;

/**
 * Reads a cache file's bytes for `scope`. Any deviation — another format or version, another
 * artifact or serialization, a bad checksum, a malformed line — is a `problem` and no entry is
 * used: a half-trusted file would be the worst of both.
 */
export function decodeDigestCache(bytes: Buffer, scope: CacheScope): DecodedCache {
  const trailerStart = bytes.lastIndexOf('\nend ', bytes.length - 2) + 1;
  const firstLineEnd = bytes.indexOf('\n');
  const firstLine = bytes.toString('utf8', 0, firstLineEnd === -1 ? Math.min(bytes.length, 64) : firstLineEnd);
  if (firstLine !== CACHE_MAGIC) {
    return { problem: firstLine.startsWith(MAGIC_PREFIX) ? `another version of the format (${firstLine.slice(0, 64)})` : 'not an aiprov digest cache' };
  }
  const trailer = trailerStart === 0 || bytes[bytes.length - 1] !== NEWLINE ? null : TRAILER.exec(bytes.toString('utf8', trailerStart, bytes.length - 1));
  if (trailer === null) return { problem: 'truncated (no end line)' };
  const body = bytes.subarray(0, trailerStart);
  if (createHash('sha256').update(body).digest('hex') !== trailer[2]) return { problem: 'corrupt (checksum mismatch)' };
  const lines = body.toString('utf8').split('\n');
  // The body ends with a newline: its last element is empty.
  lines.pop();
  if (lines[1] !== scopeHeader(scope)) return { problem: 'made for another artifact or serialization' };
  const entryLines = lines.slice(2);
  if (entryLines.length !== Number(trailer[1])) return { problem: 'corrupt (entry count mismatch)' };
  const { hashType, method, shardSize } = scope.serialization;
  const digestPattern = new RegExp(`^[0-9a-f]{${String(DIGEST_BYTES[hashType] * 2)}}$`);
  const entries = new Map<string, CacheEntry>();
  for (const [index, line] of entryLines.entries()) {
    const entry = decodeEntry(line, digestPattern, method === 'shards' ? (shardSize ?? 0) : undefined);
    if (entry === undefined || entries.has(entry.name)) return { problem: `corrupt (line ${String(index + 3)})` };
    entries.set(entry.name, { key: entry.key, digests: entry.digests });
  }
  return { entries };
}

function decodeEntry(line: string, digestPattern: RegExp, shardSize: number | undefined): (CacheEntry & { readonly name: string }) | undefined {
  const [key, digestList, nameJson, extra] = line.split('\t');
  if (key === undefined || digestList === undefined || nameJson === undefined || extra !== undefined) return undefined;
  const size = KEY.exec(key)?.[1];
  if (size === undefined) return undefined;
  const digests = digestList.split(' ');
  // A file has one digest, or one per shard; an empty file has no shard and so no entry.
  const expected = shardSize === undefined ? 1 : shardSize > 0 ? Math.ceil(Number(size) / shardSize) : -1;
  if (digests.length !== expected || !digests.every((digest) => digestPattern.test(digest))) return undefined;
  let name: unknown;
  try {
    name = JSON.parse(nameJson);
  } catch {
    return undefined;
  }
  return typeof name === 'string' && name !== '' ? { name, key, digests } : undefined;
}
