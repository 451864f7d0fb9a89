import { z } from 'zod';
import { InputError } from '../errors.js';

/** in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md). */
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
/** DSSE payload type of every in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** Upper bound on a statement we are willing to parse: a manifest of ~1M resources. */
export const MAX_STATEMENT_BYTES = 256 * 1024 * 1024;

const lowerHex = z.string().regex(/^[0-9a-f]+$/, 'must be lowercase hex');

/** A digest set: algorithm name to lowercase hex, never empty (ResourceDescriptor spec). */
export const DigestSetSchema = z.record(z.string().min(1), lowerHex).refine((digests) => Object.keys(digests).length > 0, 'digest must name at least one algorithm');

export const SubjectSchema = z.object({
  name: z.string(),
  digest: DigestSetSchema,
  annotations: z.record(z.string(), z.unknown()).optional(),
});

export const StatementSchema = z.object({
  _type: z.string(),
  subject: z.array(SubjectSchema).min(1, 'a statement needs at least one subject'),
  predicateType: z.string().min(1),
  predicate: z.unknown(),
});
export type Statement = z.infer<typeof StatementSchema>;

/** Formats a zod error as one line naming the field that is wrong. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  const path = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
  return `${path}: ${issue.message}`;
}

/**
 * Parses a DSSE payload as an in-toto Statement v1. The bytes are the signed ones: callers verify
 * the signature over exactly these bytes before trusting anything parsed here.
 */
export function parseStatement(payload: Uint8Array): Statement {
  if (payload.byteLength > MAX_STATEMENT_BYTES) {
    throw new InputError('STATEMENT_TOO_LARGE', `statement is ${String(payload.byteLength)} bytes, more than the ${String(MAX_STATEMENT_BYTES)} accepted`);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch (error) {
    throw new InputError('STATEMENT_NOT_JSON', `statement payload is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = StatementSchema.safeParse(json);
  if (!parsed.success) throw new InputError('STATEMENT_INVALID', `statement is not an in-toto Statement: ${describeZodError(parsed.error)}`, { cause: parsed.error });
  if (parsed.data._type !== IN_TOTO_STATEMENT_V1) {
    throw new InputError('STATEMENT_INVALID', `statement _type is ${JSON.stringify(parsed.data._type)}, expected ${IN_TOTO_STATEMENT_V1}`);
  }
  return parsed.data;
}
