import { readFile, stat } from 'node:fs/promises';
import { InputError, ioErrorFrom } from '../errors.js';

/** Reads a small input file named on the command line (key, certificate, policy). */
export async function readInputFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw ioErrorFrom(error, path, `read ${what}`);
  }
}

/** Reads a whole file, refusing one larger than `maxBytes` before reading it. */
export async function readBoundedFile(path: string, maxBytes: number, what: string): Promise<Buffer> {
  try {
    const { size } = await stat(path);
    if (size > maxBytes) throw new InputError('FILE_TOO_LARGE', `${path} is ${String(size)} bytes; a ${what} is at most ${String(maxBytes)}`, { path });
    return await readFile(path);
  } catch (error) {
    throw ioErrorFrom(error, path, `read ${what}`);
  }
}
