/**
 * Strict validation of the in-toto attestation framework's Statement layer (v1) and of its
 * ResourceDescriptor and DigestSet field types.
 *
 * Rules follow spec/v1/statement.md, spec/v1/resource_descriptor.md and spec/v1/digest_set.md of
 * https://github.com/in-toto/attestation, and where the spec leaves room, the reference validators
 * (go/v1 and python/in_toto_attestation/v1): the vectors in testdata/in-toto-attestation pin every
 * verdict. Unknown fields are kept, never rejected: the framework's parsing rules tell consumers to
 * ignore fields they do not recognise, and signed documents are verified over their own bytes.
 */
import { z } from 'zod';
import { fieldIssues, issueMessage, ProblemsError } from '../input/problem.js';
import { IN_TOTO_STATEMENT_V1 } from './statement.js';

/** The pre-v1 Statement type. The Go validator still accepts it (TestStatementTypeVersions). */
export const IN_TOTO_STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';

/** Statement `_type`s we accept when reading; we only ever write v1. */
export const ACCEPTED_STATEMENT_TYPES: readonly string[] = [IN_TOTO_STATEMENT_V1, IN_TOTO_STATEMENT_V01];

// ---------------------------------------------------------------------------------------------
// Error codes and messages
// ---------------------------------------------------------------------------------------------

/**
 * zod tags issues with its own codes (`invalid_type`, `too_small`, …), which say how a value is
 * wrong but not which of our rules it broke. Every issue raised inside `schema` is re-emitted with
 * `code` attached (as `params.code`), unless an inner schema already attached a more specific one,
 * so a wrong type anywhere inside a digest set is a DIGEST_INVALID, inside a descriptor a
 * RESOURCE_DESCRIPTOR_INVALID, and so on. Paths are kept (zod prefixes them on the way out).
 */
export function withErrorCode<T extends z.ZodType>(code: string, schema: T): z.ZodType<z.output<T>> {
  return z.unknown().transform((value, ctx) => {
    const result = schema.safeParse(value, { error: issueMessage });
    if (result.success) return result.data;
    for (const issue of fieldIssues(result.error.issues, { schema })) {
      ctx.issues.push({ code: 'custom', message: issue.message, path: [...issue.path], input: value, params: { code: issue.code ?? code } });
    }
    return z.NEVER;
  });
}

/**
 * An error map for a field: "is required" when it is missing, "must be <expected>" when it has the
 * wrong JSON type (zod would say "expected record, received undefined").
 */
export function fieldErrors(expected: string): { error: (issue: z.core.$ZodRawIssue) => string | undefined } {
  return { error: (issue) => (issue.input === undefined ? 'is required' : issue.code === 'invalid_type' ? `must be ${expected}` : undefined) };
}

// ---------------------------------------------------------------------------------------------
// DigestSet (spec/v1/digest_set.md)
// ---------------------------------------------------------------------------------------------

/**
 * Lengths in hex characters of the named algorithms whose output size is fixed. The spec names
 * them (NIST names, lowercased, `-` → `_`) and says their values are lowercase hex; git object ids
 * are SHA-1 (40) or SHA-256 (64); dirHash is a SHA-256.
 */
const FIXED_HEX_LENGTHS: ReadonlyMap<string, readonly number[]> = new Map([
  ['md5', [32]],
  ['sha1', [40]],
  ['ripemd160', [40]],
  ['sha224', [56]],
  ['sha512_224', [56]],
  ['sha3_224', [56]],
  ['sha256', [64]],
  ['sha512_256', [64]],
  ['sha3_256', [64]],
  ['sm3', [64]],
  ['dirHash', [64]],
  ['sha384', [96]],
  ['sha3_384', [96]],
  ['sha512', [128]],
  ['sha3_512', [128]],
  ['gitCommit', [40, 64]],
  ['gitTree', [40, 64]],
  ['gitBlob', [40, 64]],
  ['gitTag', [40, 64]],
]);

/** Named algorithms with a configurable output length: still lowercase hex of whole bytes. */
const VARIABLE_LENGTH_HEX = new Set(['shake128', 'shake256', 'blake2b', 'blake2s', 'gost']);

const LOWER_HEX = /^[0-9a-f]*$/;

/**
 * Why `value` is not an acceptable digest for `algorithm`, or undefined when it is.
 *
 * Lowercase is required where the Go validator would also take uppercase (hex.DecodeString): the
 * spec says lowercase, and a verifier comparing digests as strings would otherwise be told that
 * two encodings of one digest differ — or, with a careless case-folding, that they match when a
 * policy meant them to differ. Unknown algorithms are opaque identifiers (digest_set.md: "MAY use
 * another identifier"), so only emptiness is checked.
 */
export function digestProblem(algorithm: string, value: string): string | undefined {
  if (value === '') return 'is empty';
  const lengths = FIXED_HEX_LENGTHS.get(algorithm);
  if (lengths !== undefined || VARIABLE_LENGTH_HEX.has(algorithm)) {
    if (!LOWER_HEX.test(value)) return `is not lowercase hex`;
    if (lengths !== undefined && !lengths.includes(value.length)) {
      return `has ${String(value.length)} hex characters, ${algorithm} has ${lengths.map(String).join(' or ')}`;
    }
    if (value.length % 2 !== 0) return 'has an odd number of hex characters';
  }
  return undefined;
}

/**
 * A DigestSet: algorithm → encoded digest. May be empty here: a ResourceDescriptor with a name and
 * `{}` is valid (python test_empty_digest); contexts that need a digest (a Statement's subject)
 * require one on top.
 */
export const DigestSetSchema = withErrorCode(
  'DIGEST_INVALID',
  z.record(z.string().min(1, 'algorithm name is empty'), z.string(fieldErrors('a string')), fieldErrors('a JSON object')).check((ctx) => {
    for (const [algorithm, value] of Object.entries(ctx.value)) {
      const problem = digestProblem(algorithm, value);
      if (problem !== undefined) ctx.issues.push({ code: 'custom', input: value, path: [algorithm], message: `${algorithm} digest ${problem}` });
    }
  }),
);
export type DigestSet = Record<string, string>;

/** Validates a DigestSet on its own. Throws InputError DIGEST_INVALID. */
export function validateDigestSet(json: unknown): DigestSet {
  const parsed = DigestSetSchema.safeParse(json, { error: issueMessage });
  if (!parsed.success) throw ProblemsError.fromZod(parsed.error, { source: 'digest', code: 'DIGEST_INVALID' });
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// ResourceDescriptor (spec/v1/resource_descriptor.md)
// ---------------------------------------------------------------------------------------------

/** Standard or URL-safe base64, padded or not: what protobuf's JSON mapping accepts for `bytes`. */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

const ResourceDescriptorShape = z.looseObject(
  {
    name: z.string().optional(),
    uri: z.string().optional(),
    digest: DigestSetSchema.optional(),
    content: z.string().regex(BASE64, 'must be base64').optional(),
    downloadLocation: z.string().optional(),
    mediaType: z.string().optional(),
    annotations: z.record(z.string(), z.unknown(), fieldErrors('a JSON object')).optional(),
  },
  fieldErrors('a JSON object'),
);

export type ResourceDescriptor = z.output<typeof ResourceDescriptorShape>;

function hasDigest(descriptor: ResourceDescriptor): boolean {
  return descriptor.digest !== undefined && Object.keys(descriptor.digest).length > 0;
}

/**
 * A descriptor must identify something. The reference validators require one of name, uri or a
 * non-empty digest; the current spec text names uri, digest or content. We accept any of the four,
 * which gives every reference vector its verdict: empty strings and `{}` identify nothing.
 */
function identifiesSomething(descriptor: ResourceDescriptor): boolean {
  return (descriptor.name ?? '') !== '' || (descriptor.uri ?? '') !== '' || (descriptor.content ?? '') !== '' || hasDigest(descriptor);
}

const IDENTIFIES_SOMETHING = { error: 'needs at least one of name, uri, digest or content' };

export const ResourceDescriptorSchema = withErrorCode('RESOURCE_DESCRIPTOR_INVALID', ResourceDescriptorShape.refine(identifiesSomething, IDENTIFIES_SOMETHING));

/**
 * A Statement subject: a ResourceDescriptor that MUST have a digest (statement.md, `subject`),
 * since subjects are matched purely by digest. Checked after the descriptor's own rule, as the
 * reference validators do.
 */
export const SubjectSchema = withErrorCode(
  'RESOURCE_DESCRIPTOR_INVALID',
  ResourceDescriptorShape.refine(identifiesSomething, IDENTIFIES_SOMETHING).refine(hasDigest, {
    error: 'a subject needs a digest',
    params: { code: 'STATEMENT_SUBJECT_WITHOUT_DIGEST' },
  }),
);

/** Validates a ResourceDescriptor. Throws InputError RESOURCE_DESCRIPTOR_INVALID or DIGEST_INVALID. */
export function validateResourceDescriptor(json: unknown): ResourceDescriptor {
  const parsed = ResourceDescriptorSchema.safeParse(json, { error: issueMessage });
  if (!parsed.success) throw ProblemsError.fromZod(parsed.error, { source: 'resource descriptor', code: 'RESOURCE_DESCRIPTOR_INVALID' });
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Statement (spec/v1/statement.md)
// ---------------------------------------------------------------------------------------------

/**
 * Fields are declared in the order the reference validators check them (type, subject,
 * predicateType, predicate): zod reports issues in declaration order and the first one decides
 * the error code.
 */
export const StatementV1Schema = z.looseObject(
  {
    _type: withErrorCode(
      'STATEMENT_INVALID_TYPE',
      z.string(fieldErrors('a string')).refine((type) => ACCEPTED_STATEMENT_TYPES.includes(type), { error: `must be ${IN_TOTO_STATEMENT_V1}` }),
    ),
    // Non-empty: a statement about nothing cannot be matched to any artifact.
    subject: withErrorCode('STATEMENT_NO_SUBJECT', z.array(SubjectSchema, fieldErrors('an array')).min(1, 'needs at least one subject')),
    predicateType: withErrorCode('STATEMENT_NO_PREDICATE_TYPE', z.string(fieldErrors('a string')).min(1, 'is empty')),
    // The spec makes `predicate` optional ("unset is treated the same as set-but-empty") but both
    // reference validators reject a statement without one (ErrPredicateRequired, go-missing-predicate
    // vector). We follow them; `{}` is accepted, as in Go. It must be a JSON object either way.
    predicate: withErrorCode('STATEMENT_NO_PREDICATE', z.record(z.string(), z.unknown(), fieldErrors('a JSON object'))),
  },
  fieldErrors('a JSON object'),
);

export type StatementV1 = z.output<typeof StatementV1Schema>;

/**
 * Validates an in-toto Statement (v1, or legacy v0.1) that has been parsed from JSON. Throws an
 * InputError whose code names the rule broken (see `withErrorCode`) and whose message names the field at fault.
 */
export function validateStatement(json: unknown): StatementV1 {
  const parsed = StatementV1Schema.safeParse(json, { error: issueMessage });
  if (!parsed.success) throw ProblemsError.fromZod(parsed.error, { source: 'statement', code: 'STATEMENT_INVALID' });
  return parsed.data;
}
