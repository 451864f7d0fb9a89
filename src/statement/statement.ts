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

