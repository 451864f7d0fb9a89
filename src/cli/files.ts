import { readFile } from 'node:fs/promises';
import { ioErrorFrom } from '../errors.js';

/** Reads a small input file named on the command line (key, certificate, policy). */
export async function readInputFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw ioErrorFrom(error, path, `read ${what}`);
  }
}
