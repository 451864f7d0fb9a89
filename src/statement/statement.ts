import type { z } from 'zod';
import { problemMessage, problemsFromZod } from '../input/problem.js';

/** in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md). */
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
/** DSSE payload type of every in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** An in-toto Statement v1 as aiprov builds and reads it: every subject named and digested. */
export interface Statement {
  readonly _type: string;
  readonly subject: { name: string; digest: Record<string, string> }[];
  readonly predicateType: string;
  readonly predicate: unknown;
}

/**
 * The first problem of a zod error as one line naming the field that is wrong. Only
 * verify/sigstore-bundle.ts still builds its message this way; new code throws
 * `ProblemsError.fromZod`, which keeps every problem and the error code.
 */
export function describeZodError(error: z.ZodError): string {
  return problemMessage(problemsFromZod(error, { code: 'INVALID' })[0]);
}
