/**
 * JSON inside a signature (a DSSE payload), read strictly. Signed bytes are meant to mean one
 * thing to every verifier; `JSON.parse` guesses twice where a verifier should refuse:
 *
 * - Invalid UTF-8 is replaced by U+FFFD, so two different signed byte strings read as one name.
 * - A duplicate key keeps its last value, while other parsers (Go's encoding/json keeps the
 *   last, some keep the first, some refuse) may see the other: a statement with two `subject`
 *   entries can name one artifact to aiprov and another to a different verifier (the JSON
 *   interoperability attacks of Bishop Fox, 2021; in-toto and DSSE give no rule for it).
 */
import { InputError } from '../errors.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parses signed JSON; `what` names it in messages ("statement"). */
export function parseSignedJson(bytes: Uint8Array, what: string): unknown {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch (error) {
    throw new InputError('STATEMENT_NOT_UTF8', `${what} is not valid UTF-8`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError('STATEMENT_NOT_JSON', `${what} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const duplicate = duplicateKey(text);
  if (duplicate !== undefined) throw new InputError('STATEMENT_DUPLICATE_KEY', `${what} has the key ${JSON.stringify(duplicate)} twice in one object`);
  return json;
}

/**
 * The first key that appears twice in one object of `text`, which must be valid JSON (it has
 * just been parsed): one pass over the text, a set of keys per open object. Keys are compared
 * after unescaping ("a" and "\u0061" are one key).
 */
function duplicateKey(text: string): string | undefined {
  // One entry per open container: the keys seen so far in an object, undefined for an array.
  const open: (Set<string> | undefined)[] = [];
  let expectKey = false;
  // Character codes, and strings skipped with indexOf: a part of `digest --merge` is 200 MB of
  // JSON, and a character-by-character walk with a JSON.parse per key took longer than parsing it.
  for (let index = 0; index < text.length; index++) {
    const character = text.charCodeAt(index);
    if (character === QUOTE) {
      const end = closingQuote(text, index);
      const keys = open[open.length - 1];
      if (expectKey && keys !== undefined) {
        const raw = text.slice(index + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
      index = end;
    } else if (character === OPEN_BRACE) {
      open.push(new Set());
      expectKey = true;
    } else if (character === OPEN_BRACKET) {
      open.push(undefined);
      expectKey = false;
    } else if (character === CLOSE_BRACE || character === CLOSE_BRACKET) {
      open.pop();
      expectKey = false;
    } else if (character === COMMA) {
      expectKey = open[open.length - 1] !== undefined;
    }
  }
  return undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/** The index of the quote that closes the string opened at `start` (valid JSON: there is one). */
function closingQuote(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    // Escaped when preceded by an odd number of backslashes.
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}
