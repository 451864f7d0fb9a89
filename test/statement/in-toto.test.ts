import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AiprovError, isAiprovError, InputError } from '../../src/errors.js';
import { validateDigestSet, validateResourceDescriptor, validateStatement } from '../../src/statement/in-toto.js';
import { validateProvenancePredicate } from '../../src/statement/provenance.js';

const VECTORS = new URL('../../testdata/in-toto-attestation/', import.meta.url);

interface VectorCase {
  readonly case: string;
  readonly file: string;
  readonly kind: 'statement' | 'resource_descriptor' | 'provenance_v1';
  readonly expected_valid: boolean;
  readonly expected_error: string | null;
}

function readJsonl<T>(relative: string): T[] {
  return readFileSync(new URL(relative, VECTORS), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

function readVector(file: string): unknown {
  return JSON.parse(readFileSync(new URL(file, VECTORS), 'utf8'));
}

/** The error a validator throws for `json`, or undefined when it accepts it. */
function errorOf(validate: (json: unknown) => unknown, json: unknown): AiprovError | undefined {
  try {
    validate(json);
    return undefined;
  } catch (error) {
    if (isAiprovError(error)) return error;
    throw error;
  }
}

/** Our code (and the field the message must name) for each error the reference tests expect. */
const EXPECTED: Readonly<Record<string, { code: string; field?: string }>> = {
  ErrInvalidStatementType: { code: 'STATEMENT_INVALID_TYPE', field: '_type' },
  ErrSubjectRequired: { code: 'STATEMENT_NO_SUBJECT', field: 'subject' },
  ErrRDRequiredField: { code: 'RESOURCE_DESCRIPTOR_INVALID' },
  ErrDigestRequired: { code: 'STATEMENT_SUBJECT_WITHOUT_DIGEST', field: 'subject[0]' },
  ErrPredicateTypeRequired: { code: 'STATEMENT_NO_PREDICATE_TYPE', field: 'predicateType' },
  ErrPredicateRequired: { code: 'STATEMENT_NO_PREDICATE', field: 'predicate' },
  ErrInvalidDigestEncoding: { code: 'DIGEST_INVALID', field: 'digest.sha256' },
  ErrIncorrectDigestLength: { code: 'DIGEST_INVALID', field: 'digest.' },
  ErrBuildDefinitionRequired: { code: 'PROVENANCE_INVALID', field: 'buildDefinition: is required' },
  ErrBuildTypeRequired: { code: 'PROVENANCE_INVALID', field: 'buildDefinition.buildType: is required' },
  ErrExternalParamsRequired: { code: 'PROVENANCE_INVALID', field: 'buildDefinition.externalParameters: is required' },
  ErrRunDetailsRequired: { code: 'PROVENANCE_INVALID', field: 'runDetails: is required' },
  ErrBuilderRequired: { code: 'PROVENANCE_INVALID', field: 'runDetails.builder: is required' },
  ErrBuilderIdRequired: { code: 'PROVENANCE_INVALID', field: 'runDetails.builder.id: is required' },
};

/** The Python tests only expect a ValueError; which rule each case breaks is in its name. */
const EXPECTED_PYTHON: Readonly<Record<string, { code: string; field?: string }>> = {
  'statement/py-test-bad-statement-type': EXPECTED.ErrInvalidStatementType ?? { code: '' },
  'statement/py-test-bad-statement-empty-subject': EXPECTED.ErrSubjectRequired ?? { code: '' },
  'statement/py-test-bad-statement-bad-subject': { code: 'RESOURCE_DESCRIPTOR_INVALID', field: 'subject[0]' },
  'statement/py-test-bad-predicate-type': EXPECTED.ErrPredicateTypeRequired ?? { code: '' },
  'statement/py-test-bad-predicate': EXPECTED.ErrPredicateRequired ?? { code: '' },
  'resource_descriptor/py-test-bad-resource-descriptor': { code: 'RESOURCE_DESCRIPTOR_INVALID' },
  'resource_descriptor/py-test-empty-name-only': { code: 'RESOURCE_DESCRIPTOR_INVALID' },
};

const VALIDATORS = {
  statement: validateStatement,
  resource_descriptor: validateResourceDescriptor,
  provenance_v1: validateProvenancePredicate,
} as const;

describe('in-toto attestation vectors', () => {
  const cases = readJsonl<VectorCase>('index.jsonl');

  it('has every case of the index', () => {
    expect(cases).toHaveLength(36);
  });

  it.each(cases.map((vector) => [vector.case, vector] as const))('%s', (_name, vector) => {
    const error = errorOf(VALIDATORS[vector.kind], readVector(vector.file));
    if (vector.expected_valid) {
      expect(error).toBeUndefined();
      return;
    }
    const expected = vector.expected_error === 'ValueError' ? EXPECTED_PYTHON[vector.case] : EXPECTED[vector.expected_error ?? ''];
    expect(expected, `no mapping for ${String(vector.expected_error)}`).toBeDefined();
    expect(error).toBeInstanceOf(InputError);
    expect(error?.code).toBe(expected?.code);
    if (expected?.field !== undefined) expect(error?.message).toContain(expected.field);
  });
});

describe('in-toto spec examples', () => {
  interface SpecExample {
    readonly file: string;
  }
  // The spec index records no verdict: the examples are statements as the spec shows them. Three
  // abbreviate their digests ("4faeb1b2..."), which a strict validator must refuse.
  const ELIDED_DIGESTS = new Set(['spec-examples/predicates__release.0.json', 'spec-examples/predicates__release.2.json', 'spec-examples/predicates__release.3.json']);
  const examples = readJsonl<SpecExample>('spec-examples/index.jsonl');

  it.each(examples.map((example) => [example.file] as const))('%s', (file) => {
    const error = errorOf(validateStatement, readVector(file));
    if (ELIDED_DIGESTS.has(file)) {
      expect(error?.code).toBe('DIGEST_INVALID');
      expect(error?.message).toMatch(/subject\[0\]\.digest\.sha(256|512)/);
    } else {
      expect(error).toBeUndefined();
    }
  });
});

const SHA256 = 'a'.repeat(64);

function statement(overrides: Record<string, unknown>): Record<string, unknown> {
  return { _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'm', digest: { sha256: SHA256 } }], predicateType: 'https://example.com/p', predicate: {}, ...overrides };
}

describe('validateStatement', () => {
  it('accepts a minimal statement and keeps unknown fields (parsing rules: ignore, do not reject)', () => {
    const parsed = validateStatement(statement({ extension: { x: 1 } }));
    expect(parsed.predicateType).toBe('https://example.com/p');
    expect(parsed.extension).toEqual({ x: 1 });
  });

  it.each([
    ['not an object', null, 'STATEMENT_INVALID'],
    ['an array', [], 'STATEMENT_INVALID'],
    ['no _type', statement({ _type: undefined }), 'STATEMENT_INVALID_TYPE'],
    ['no subject', statement({ subject: undefined }), 'STATEMENT_NO_SUBJECT'],
    ['subject not an array', statement({ subject: { name: 'm' } }), 'STATEMENT_NO_SUBJECT'],
    ['predicate null', statement({ predicate: null }), 'STATEMENT_NO_PREDICATE'],
    ['predicate an array', statement({ predicate: [] }), 'STATEMENT_NO_PREDICATE'],
    ['subject digest {}', statement({ subject: [{ name: 'm', digest: {} }] }), 'STATEMENT_SUBJECT_WITHOUT_DIGEST'],
    ['subject name a number', statement({ subject: [{ name: 1, digest: { sha256: SHA256 } }] }), 'RESOURCE_DESCRIPTOR_INVALID'],
  ])('refuses %s', (_name, json, code) => {
    expect(errorOf(validateStatement, json)?.code).toBe(code);
  });

  it('names the failing field with its index', () => {
    const error = errorOf(validateStatement, statement({ subject: [{ name: 'a', digest: { sha256: SHA256 } }, { name: 'b', digest: { sha256: 'ABC' } }] }));
    expect(error?.code).toBe('DIGEST_INVALID');
    expect(error?.message).toContain('subject[1].digest.sha256');
  });

  it('reports the first broken rule in the reference validators order (type before subject)', () => {
    expect(errorOf(validateStatement, statement({ _type: 'x', subject: [] }))?.code).toBe('STATEMENT_INVALID_TYPE');
  });
});

describe('validateResourceDescriptor', () => {
  it('accepts a descriptor identified by content alone (resource_descriptor.md)', () => {
    expect(errorOf(validateResourceDescriptor, { content: 'aGVsbG8=' })).toBeUndefined();
  });

  it('refuses content that is not base64', () => {
    expect(errorOf(validateResourceDescriptor, { content: 'not base64!' })?.code).toBe('RESOURCE_DESCRIPTOR_INVALID');
  });

  it('refuses annotations that are not an object', () => {
    const error = errorOf(validateResourceDescriptor, { name: 'x', annotations: [] });
    expect(error?.code).toBe('RESOURCE_DESCRIPTOR_INVALID');
    expect(error?.message).toContain('annotations');
  });
});

describe('validateDigestSet', () => {
  it.each([
    ['sha256', 'ab'.repeat(32)],
    ['sha512', 'ab'.repeat(64)],
    ['sha1', 'ab'.repeat(20)],
    ['md5', 'ab'.repeat(16)],
    ['sha3_384', 'ab'.repeat(48)],
    ['gitCommit', 'ab'.repeat(20)],
    ['gitTree', 'ab'.repeat(32)],
    ['dirHash', 'ab'.repeat(32)],
    ['shake256', 'ab'.repeat(7)],
    ['customAlgorithm', 'Any-Opaque_Identifier'],
  ])('accepts %s', (algorithm, value) => {
    expect(validateDigestSet({ [algorithm]: value })).toEqual({ [algorithm]: value });
  });

  it.each([
    ['uppercase hex', { sha256: 'AB'.repeat(32) }],
    ['sha512 of sha256 length', { sha512: 'ab'.repeat(32) }],
    ['gitBlob of 50 characters', { gitBlob: 'a'.repeat(50) }],
    ['odd-length blake2b', { blake2b: 'abc' }],
    ['empty value', { custom: '' }],
    ['empty algorithm name', { '': 'ab' }],
    ['a number', { sha256: 5 }],
    ['not an object', 'sha256:abc'],
  ])('refuses %s', (_name, json) => {
    const error = errorOf(validateDigestSet, json);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.code).toBe('DIGEST_INVALID');
  });
});
