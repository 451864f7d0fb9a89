import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { InputError, IOError, ioErrorFrom } from '../errors.js';
import { readBounded } from '../input/read-bounded.js';
import { MAX_BUNDLE_BYTES, parseBundle, type BundleJson } from './bundle.js';

/** An attestations file holds a few bundles per artifact; a much larger one is refused unread. */
export const MAX_ATTESTATIONS_FILE_BYTES = 256 * 1024 * 1024;

/**
 * The most bundles an evidence file may hold. A lineage rests on a few bundles per artifact (its
 * signature, a card or a provenance): 10,000 is a lineage of thousands of inputs. Every line
 * must be authenticated (an unused forgery fails the verification), so the limit bounds the
 * signature checks a file can ask for; README, "Gate a deployment".
 */
export const MAX_EVIDENCE_LINES = 10_000;

export interface StoredAttestation {
  /** 1-based line in the file, for messages. */
  readonly line: number;
  readonly bundle: BundleJson;
}

/**
 * Reads a JSON Lines file of Sigstore bundles (the layout of `gh attestation download`). A missing
 * file is an empty list; a malformed line is an error naming the line, never silently skipped.
 * ATTESTATIONS_FILE_TOO_LARGE / ATTESTATIONS_FILE_NOT_A_FILE before anything is parsed.
 */
export async function readAttestations(path: string): Promise<StoredAttestation[]> {
  return parseBundleLines(await readAttestationsBytes(path), path);
}

/**
 * Reads an evidence file (`verify lineage --evidence`): JSON Lines of Sigstore bundles, like an
 * attestations file, but it must exist, and its errors name it as evidence (EVIDENCE_TOO_LARGE,
 * EVIDENCE_NOT_A_FILE; a line that is not a bundle is BUNDLE_INVALID naming the line; more than
 * MAX_EVIDENCE_LINES bundles is EVIDENCE_TOO_MANY_LINES, before the first one past it is parsed).
 */
export async function readEvidenceFile(path: string): Promise<StoredAttestation[]> {
  const bytes = await readBounded(path, { maxBytes: MAX_ATTESTATIONS_FILE_BYTES, kind: 'EVIDENCE', what: 'evidence file' });
  return parseBundleLines(bytes, path, (line) => new InputError('EVIDENCE_TOO_MANY_LINES', `${path}:${String(line)}: an evidence file holds at most ${String(MAX_EVIDENCE_LINES)} bundles`, { path }));
}

/**
 * Every non-empty line a bundle; a malformed line is an error naming it, never skipped. Lines are
 * parsed from the file's bytes in place (no copy of the whole text, no array of every line).
 * With `tooMany`, the bundle after the MAX_EVIDENCE_LINES-th is refused before it is parsed.
 */
function parseBundleLines(bytes: Buffer, path: string, tooMany?: (line: number) => InputError): StoredAttestation[] {
  const bundles: StoredAttestation[] = [];
  let line = 0;
  for (let start = 0; start < bytes.byteLength; ) {
    const newline = bytes.indexOf(NEWLINE, start);
    const end = newline === -1 ? bytes.byteLength : newline;
    const content = bytes.subarray(start, end);
    start = end + 1;
    line++;
    if (isBlank(content)) continue;
    if (tooMany !== undefined && bundles.length === MAX_EVIDENCE_LINES) throw tooMany(line);
    if (content.byteLength > MAX_BUNDLE_BYTES) throw new InputError('BUNDLE_TOO_LARGE', `${path}:${String(line)}: bundle larger than ${String(MAX_BUNDLE_BYTES)} bytes`, { path });
    bundles.push({ line, bundle: parseBundle(content, `${path}:${String(line)}`) });
  }
  return bundles;
}

const NEWLINE = 0x0a;

/** Only the white space `String.prototype.trim` removes that can appear in a JSON Lines file. */
function isBlank(content: Buffer): boolean {
  for (const byte of content) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d && byte !== 0x0b && byte !== 0x0c) return false;
  return true;
}

/**
 * Appends one bundle as a line, with one `write(2)` of the whole line to a file opened
 * `O_APPEND`: the kernel moves to the end and writes under the inode lock, so concurrent
 * appenders (eight `attest` runs on one dataset) each add their line and none is lost. A
 * read-modify-rename, as before, let the last rename win and dropped the others' lines.
 *
 * The existing file is read first (bounded, regular files only: a FIFO or a link to a device is
 * refused before it is opened for writing) to start a new line if the last one lacks its
 * newline; two appenders may then both add one, and readers skip blank lines. `O_NONBLOCK`: a
 * FIFO swapped in after that check fails the open instead of waiting for a reader, and the open
 * handle is checked to be a regular file.
 */
export async function appendAttestation(path: string, bundle: BundleJson): Promise<void> {
  const existing = await readAttestationsBytes(path);
  const line = Buffer.from(`${existing.byteLength === 0 || existing.at(-1) === NEWLINE ? '' : '\n'}${JSON.stringify(bundle)}\n`, 'utf8');
  try {
    const handle = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK, 0o644);
    try {
      if (!(await handle.stat()).isFile()) throw new InputError('ATTESTATIONS_FILE_NOT_A_FILE', `${path} is not a regular file`, { path });
      const { bytesWritten } = await handle.write(line, 0, line.byteLength);
      // A short write would leave half a line; it happens only when the disk is full or a quota is hit.
      if (bytesWritten !== line.byteLength) throw new IOError('IO_ERROR', `cannot write ${path}: only ${String(bytesWritten)} of ${String(line.byteLength)} bytes written`, { path });
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw ioErrorFrom(error, path, 'append to');
  }
}

/** The file's bytes, none when there is no file yet. */
async function readAttestationsBytes(path: string): Promise<Buffer> {
  try {
    return await readBounded(path, { maxBytes: MAX_ATTESTATIONS_FILE_BYTES, kind: 'ATTESTATIONS_FILE', what: 'attestations file' });
  } catch (error) {
    if (error instanceof IOError && error.code === 'FILE_NOT_FOUND') return Buffer.alloc(0);
    throw error;
  }
}
