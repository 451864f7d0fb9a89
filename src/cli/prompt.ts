import { InputError } from '../errors.js';
import type { CliContext } from './context.js';

interface RawTerminal extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?: (mode: boolean) => unknown;
}

/**
 * Reads a secret from the terminal in raw mode, so the terminal never echoes it. Refuses when
 * stdin is not a terminal, so a CI job never hangs waiting for input.
 */
export async function promptSecret(context: CliContext, question: string): Promise<string> {
  const stdin = context.stdin as RawTerminal;
  if (stdin.isTTY !== true || stdin.setRawMode === undefined) {
    throw new InputError('PASSPHRASE_UNAVAILABLE', 'a passphrase is needed but stdin is not a terminal; use --passphrase-env VAR');
  }
  const setRawMode = stdin.setRawMode.bind(stdin);
  context.stderr.write(question);
  setRawMode(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let secret = '';
      const onData = (chunk: Buffer | string): void => {
        for (const character of chunk.toString()) {
          if (character === '\r' || character === '\n' || character === '\u0004') {
            stdin.off('data', onData);
            resolve(secret);
            return;
          }
          if (character === '\u0003') {
            stdin.off('data', onData);
            reject(new InputError('PASSPHRASE_UNAVAILABLE', 'interrupted while reading the passphrase'));
            return;
          }
          secret = character === '\u007f' || character === '\b' ? secret.slice(0, -1) : secret + character;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    setRawMode(false);
    stdin.pause();
    context.stderr.write('\n');
  }
}

/** The passphrase from the named environment variable, if the user named one. */
export function passphraseFromEnv(context: CliContext, variable: string | undefined): string | undefined {
  if (variable === undefined) return undefined;
  const value = context.env[variable];
  if (value === undefined) throw new InputError('PASSPHRASE_UNAVAILABLE', `environment variable ${variable} (--passphrase-env) is not set`);
  return value;
}
