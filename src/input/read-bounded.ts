/**
 * The one way aiprov reads a small input file that someone else may control: a signature, an
 * attestations or evidence file, a bundle, a key, a certificate, a trust root, a policy, a card.
 *
 * A `stat` followed by `readFile` trusts the file twice: a `model.sig` that is a symlink to
 * `/dev/zero` reports size 0 and then reads forever, a FIFO blocks the reader forever, and a file
 * that grows between the two calls is read past the limit. Here the file is opened once
 * (non-blocking, so a FIFO cannot stall the open), the open handle is checked to be a regular
 * file, and at most `maxBytes + 1` bytes are ever read from it.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { InputError, ioErrorFrom, type InputFileKind } from '../errors.js';

export interface ReadBoundedOptions {
  /** The most bytes the file may hold. */
  readonly maxBytes: number;
  /** The reader's code prefix: its errors are `<KIND>_TOO_LARGE` and `<KIND>_NOT_A_FILE` (exit 2). */
  readonly kind: InputFileKind;
  /** What the file is, for messages: "signature", "policy", "public key". */
  readonly what: string;
}

const READ_CHUNK_BYTES = 1024 * 1024;

/** Reads a whole regular file of at most `maxBytes` bytes (symlinks to regular files are followed). */
export async function readBounded(path: string, options: ReadBoundedOptions): Promise<Buffer> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw ioErrorFrom(error, path, `read ${options.what}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new InputError(`${options.kind}_NOT_A_FILE`, `${path} is ${describeType(info)}, not a regular file; a ${options.what} must be a file`, { path });
    }
    if (info.size > options.maxBytes) throw tooLarge(path, options, info.size);
    // One buffer of the size the stat reports and one byte more (a file that grew since shows
    // itself by filling it), then chunks up to one byte past the limit: a file that grows after
    // the stat is caught. Allocating a whole chunk per file made 10,000 tiny parts of `digest
    // --merge` allocate 20 GB.
    const chunks: Buffer[] = [];
    let total = 0;
    for (let want = Math.min(info.size + 1, options.maxBytes + 1); want > 0; want = Math.min(READ_CHUNK_BYTES, options.maxBytes + 1 - total)) {
      const chunk = Buffer.allocUnsafe(want);
      const filled = await fill(handle, chunk);
      if (filled > 0) chunks.push(chunk.subarray(0, filled));
      total += filled;
      if (total > options.maxBytes) throw tooLarge(path, options, total);
      if (filled < want) break;
    }
    return chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, total);
  } catch (error) {
    throw ioErrorFrom(error, path, `read ${options.what}`);
  } finally {
    await handle.close();
  }
}

/** Reads into `buffer` until it is full or the file ends; how many bytes were read. */
async function fill(handle: FileHandle, buffer: Buffer): Promise<number> {
  let filled = 0;
  while (filled < buffer.byteLength) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.byteLength - filled, null);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

/** `readBounded` decoded as UTF-8 text. */
export async function readBoundedText(path: string, options: ReadBoundedOptions): Promise<string> {
  return (await readBounded(path, options)).toString('utf8');
}

function tooLarge(path: string, options: ReadBoundedOptions, size: number): InputError {
  return new InputError(`${options.kind}_TOO_LARGE`, `${path} is ${size > options.maxBytes ? `more than ${String(options.maxBytes)}` : String(size)} bytes; a ${options.what} is at most ${String(options.maxBytes)}`, { path });
}

function describeType(info: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isSocket()) return 'a socket';
  return 'a special file';
}
