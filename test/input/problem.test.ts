import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseBundleJson } from '../../src/format/bundle.js';
import { issueMessage, problemMessage, ProblemsError, problemsFromZod } from '../../src/input/problem.js';
import { errorOf } from '../support/errors.js';

const Schema = z.strictObject({
  name: z.string(),
  sources: z.array(z.strictObject({ uri: z.string(), retrieved: z.string().optional() })).optional(),
  annotations: z.record(z.string(), z.number()).optional(),
});

function problemsOf(value: unknown): ReturnType<typeof problemsFromZod> {
  const parsed = Schema.safeParse(value, { error: issueMessage });
  if (parsed.success) throw new Error('the value was accepted');
  return problemsFromZod(parsed.error, { code: 'DATASET_CARD_INVALID', schema: Schema });
}

describe('problemsFromZod', () => {
  it('splits unknown keys, one problem each, with the nearest known key or the list of them', () => {
    expect(problemsOf({ name: 'x', sorces: [], extra: 1 })).toEqual([
      { code: 'DATASET_CARD_INVALID', path: 'sorces', message: 'unknown key "sorces" (did you mean "sources"?)' },
      { code: 'DATASET_CARD_INVALID', path: 'extra', message: 'unknown key "extra" (expected "name", "sources", "annotations")' },
    ]);
    expect(problemsOf({ name: 'x', sources: [{ uri: 'u', retreived: 'today' }] })[0]).toMatchObject({ path: 'sources[0].retreived', message: 'unknown key "retreived" (did you mean "retrieved"?)' });
  });

  it('words zod issues for people, and quotes keys that are not plain words', () => {
    expect(problemsOf({ name: 1.1, annotations: { 'a.b': 'x' } })).toEqual([
      { code: 'DATASET_CARD_INVALID', path: 'name', message: 'must be a string, found the number 1.1 (quote it: "1.1")' },
      { code: 'DATASET_CARD_INVALID', path: 'annotations["a.b"]', message: 'must be a number, found the string "x"' },
    ]);
    expect(problemsOf({})[0]).toMatchObject({ path: 'name', message: 'is required' });
  });

  it('gives every format the same "did you mean": a bundle with a misspelt field', () => {
    const error = errorOf(() => parseBundleJson({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', verificationMaterial: { publicKey: { hint: 'h' } }, messageSignatur: {} }, 'model.sig'));
    expect(error).toBeInstanceOf(ProblemsError);
    expect(error).toMatchObject({ code: 'BUNDLE_INVALID' });
    expect(error?.message).toContain('model.sig: messageSignatur: unknown key "messageSignatur" (did you mean "messageSignature"?)');
  });
});

describe('problemMessage', () => {
  it('is `source:line:col: path: message`, leaving out what is not known', () => {
    expect(problemMessage({ code: 'POLICY_INVALID', path: 'a.b', line: 3, column: 7, message: 'is required' }, 'p.yaml')).toBe('p.yaml:3:7: a.b: is required');
    expect(problemMessage({ code: 'POLICY_INVALID', path: '', message: 'is empty' }, 'p.yaml')).toBe('p.yaml: is empty');
    expect(problemMessage({ code: 'POLICY_INVALID', path: 'a', message: 'is required' })).toBe('a: is required');
  });

  it('escapes control characters of untrusted text', () => {
    expect(problemMessage({ code: 'POLICY_INVALID', path: '', message: 'bad\u001b[2Jvalue\nnext' }, 'p.yaml')).toBe('p.yaml: bad\\u001b[2Jvalue\\u000anext');
  });

  it('counts the other problems in a ProblemsError', () => {
    const error = new ProblemsError([{ code: 'POLICY_INVALID', path: 'a', message: 'is required' }, { code: 'POLICY_INVALID', path: 'b', message: 'is required' }], { source: 'x.yaml' });
    expect(error).toMatchObject({ code: 'POLICY_INVALID', category: 'input', message: 'x.yaml: a: is required (and 1 more problem)' });
  });
});
