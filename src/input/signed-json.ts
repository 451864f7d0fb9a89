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
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (character === '"') {
      let end = index + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const keys = open[open.length - 1];
      if (expectKey && keys !== undefined) {
        const key = JSON.parse(text.slice(index, end + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
      index = end;
    } else if (character === '{') {
      open.push(new Set());
      expectKey = true;
    } else if (character === '[') {
      open.push(undefined);
      expectKey = false;
    } else if (character === '}' || character === ']') {
      open.pop();
      expectKey = false;
    } else if (character === ',') {
      expectKey = open[open.length - 1] !== undefined;
    }
  }
  return undefined;
}
