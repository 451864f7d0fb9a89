import { describe, expect, it } from 'vitest';
import { MAX_ALIAS_EXPANSIONS, MAX_NESTING_DEPTH, parseDocument, type ParseDocumentOptions } from '../../src/input/document.js';
import { ProblemsError } from '../../src/input/problem.js';
import { errorOf } from '../support/errors.js';

const POLICY: ParseDocumentOptions = { source: 'policy.yaml', errorCode: 'POLICY_INVALID' };
const CARD_JSON: ParseDocumentOptions = { source: 'card.json', errorCode: 'DATASET_CARD_INVALID' };

/** The ProblemsError `parseDocument` throws (fails the test if it parses). */
function problemsOf(text: string, options: ParseDocumentOptions): ProblemsError {
  const error = errorOf(() => parseDocument(text, options));
  expect(error).toBeInstanceOf(ProblemsError);
  return error as ProblemsError;
}

/** Billion laughs: nine anchors, each a list of nine aliases of the one before (9^9 leaves). */
const ALIAS_BOMB = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefghi'.split('').map((name, index) => `${name}: &${name} [${Array.from({ length: 9 }, () => `*${'abcdefghi'[index] ?? ''}`).join(',')}]`)].join('\n');

describe('parseDocument', () => {
  it('parses YAML and finds the position of keys, list items and missing fields', () => {
    const text = 'version: 1\nroles:\n  model:\n    signers: [ci, ops]\n  dataset:\n    - x\n    - y\n';
    const document = parseDocument(text, POLICY);
    expect(document.value).toEqual({ version: 1, roles: { model: { signers: ['ci', 'ops'] }, dataset: ['x', 'y'] } });
    expect(document.positionOf(['roles', 'model', 'signers'])).toEqual({ line: 4, column: 5 });
    expect(document.positionOf(['roles', 'model', 'signers', 1])).toEqual({ line: 4, column: 19 });
    expect(document.positionOf(['roles', 'dataset', 1])).toEqual({ line: 7, column: 7 });
    // A field that is not there: the key of the mapping that should hold it.
    expect(document.positionOf(['roles', 'model', 'builderIds'])).toEqual({ line: 3, column: 3 });
    expect(document.positionOf([])).toEqual({ line: 1, column: 1 });
  });

  it('finds positions in JSON, and through a YAML alias', () => {
    expect(parseDocument('{\n  "name": "x",\n  "sources": [{"uri": "u"}]\n}\n', CARD_JSON).positionOf(['sources', 0, 'uri'])).toEqual({ line: 3, column: 16 });
    const aliased = parseDocument('base: &base\n  uri: u\nsources: [*base]\n', { source: 'card.yaml', errorCode: 'DATASET_CARD_INVALID' });
    expect(aliased.value).toEqual({ base: { uri: 'u' }, sources: [{ uri: 'u' }] });
    expect(aliased.positionOf(['sources', 0, 'uri'])).toEqual({ line: 2, column: 3 });
  });

  it('reads .json files as strict JSON: YAML is refused, with the first error position', () => {
    const error = problemsOf('name: x\n', CARD_JSON);
    expect(error.code).toBe('DATASET_CARD_INVALID');
    expect(error.problems[0].message).toMatch(/^not JSON: /);
    expect(error.message).toMatch(/^card\.json: not JSON/);
    // `format` overrides the file name.
    expect(parseDocument('name: x\n', { ...CARD_JSON, format: 'yaml' }).value).toEqual({ name: 'x' });
    expect(errorOf(() => parseDocument('name: x\n', { ...POLICY, format: 'json' }))?.code).toBe('POLICY_INVALID');
  });

  it('refuses duplicate keys in JSON, which JSON.parse would silently resolve to the last', () => {
    const error = problemsOf('{"license": "MIT",\n "license": "GPL-3.0-only"}', CARD_JSON);
    expect(error.problems).toEqual([{ code: 'DATASET_CARD_INVALID', path: '', line: 2, column: 2, message: 'Map keys must be unique' }]);
    expect(error.path).toBe('card.json');
  });

  it('lists every YAML syntax error with its position, on one line each', () => {
    const error = problemsOf('a: 1\na: 2\nb: [\n', POLICY);
    expect(error.problems.length).toBeGreaterThan(1);
    expect(error.problems[0]).toEqual({ code: 'POLICY_INVALID', path: '', line: 2, column: 1, message: 'Map keys must be unique' });
    for (const problem of error.problems) expect(problem.message).not.toContain('\n');
    expect(error.message).toMatch(/^policy\.yaml:2:1: Map keys must be unique \(and \d+ more problems?\)$/);
  });

  it('ignores a byte order mark', () => {
    expect(parseDocument('\uFEFF{"a": 1}', CARD_JSON).value).toEqual({ a: 1 });
  });

  it('refuses a "billion laughs" alias bomb with the file\'s own code, quickly', { timeout: 5_000 }, () => {
    for (const options of [POLICY, { source: 'card.yaml', errorCode: 'DATASET_CARD_INVALID' } as const]) {
      const error = problemsOf(ALIAS_BOMB, options);
      expect(error).toMatchObject({ code: options.errorCode, category: 'input' });
      expect(error.message).toContain(`aliases expand more than ${String(MAX_ALIAS_EXPANSIONS)} times`);
    }
    // A few aliases, as people write them, are fine.
    expect(parseDocument('a: &a [1, 2]\nb: *a\nc: *a\n', POLICY).value).toEqual({ a: [1, 2], b: [1, 2], c: [1, 2] });
  });

  it(`accepts ${String(MAX_NESTING_DEPTH)} levels of nesting and refuses one more, naming where`, () => {
    const nested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    expect(parseDocument(nested(MAX_NESTING_DEPTH), CARD_JSON).value).toBeTypeOf('object');
    const error = problemsOf(nested(MAX_NESTING_DEPTH + 1), CARD_JSON);
    expect(error.problems).toEqual([{ code: 'DATASET_CARD_INVALID', path: '', line: 1, column: 5 * MAX_NESTING_DEPTH + 1, message: `mappings and lists nest more than ${String(MAX_NESTING_DEPTH)} levels deep` }]);
    const block = (depth: number): string => `${Array.from({ length: depth }, (_, index) => `${'  '.repeat(index)}a:`).join('\n')} 1\n`;
    expect(parseDocument(block(MAX_NESTING_DEPTH), POLICY).value).toBeTypeOf('object');
    expect(problemsOf(block(MAX_NESTING_DEPTH + 1), POLICY).problems[0]).toMatchObject({ code: 'POLICY_INVALID', line: MAX_NESTING_DEPTH + 1 });
  });

  it('refuses nesting deep enough to overflow a recursive parser, in YAML and in JSON, without crashing', { timeout: 10_000 }, () => {
    // Parsed twice on purpose: a second run is what once crashed V8 (a regular expression compiled
    // with the stack exhausted is a fatal out-of-memory error, not an exception).
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    for (const options of [POLICY, CARD_JSON, POLICY, CARD_JSON]) {
      const error = problemsOf(deep, options);
      expect(error.code).toBe(options.errorCode);
      expect(error.problems).toEqual([{ code: options.errorCode, path: '', line: 1, column: MAX_NESTING_DEPTH + 1, message: `mappings and lists nest more than ${String(MAX_NESTING_DEPTH)} levels deep` }]);
    }
  });

  it('refuses nesting built from aliases, deeper than the text itself', () => {
    const half = Math.ceil((MAX_NESTING_DEPTH + 1) / 2);
    const text = `inner: &inner ${'['.repeat(half)}${']'.repeat(half)}\nouter: ${'['.repeat(half)}*inner${']'.repeat(half)}\n`;
    const error = problemsOf(text, POLICY);
    expect(error.problems[0]).toMatchObject({ code: 'POLICY_INVALID', line: 2, message: `mappings and lists nest more than ${String(MAX_NESTING_DEPTH)} levels deep once aliases are expanded` });
  });

  it('refuses an alias inside what it stands for, which would make a cyclic value', () => {
    expect(problemsOf('&a [*a]\n', POLICY).problems).toEqual([{ code: 'POLICY_INVALID', path: '', line: 1, column: 5, message: 'alias *a stands for a mapping or list that contains it' }]);
    expect(problemsOf('name: x\nsources: &s\n  - uri: u\n    more: *s\n', { source: 'card.yaml', errorCode: 'DATASET_CARD_INVALID' }).problems[0]).toMatchObject({ code: 'DATASET_CARD_INVALID', line: 4, column: 11 });
  });

  it('refuses a second document', () => {
    expect(problemsOf('version: 1\n---\nversion: 2\n', POLICY).problems).toEqual([{ code: 'POLICY_INVALID', path: '', line: 2, column: 1, message: 'a second document (after "---"): a file holds one' }]);
  });
});
