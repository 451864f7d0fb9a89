import { InputError } from '../errors.js';
import { parseSignedJson } from '../input/signed-json.js';
import { validateStatement, type StatementV1 } from './in-toto.js';
import { IN_TOTO_STATEMENT_V1, type Statement } from './statement.js';

/** Upper bound on a statement we are willing to parse: a manifest of ~1M resources. */
export const MAX_STATEMENT_BYTES = 256 * 1024 * 1024;

/**
 * Parses a DSSE payload as an in-toto Statement v1. The bytes are the signed ones: callers verify
 * the signature over exactly these bytes before trusting anything parsed here.
 */
export function parseStatement(payload: Uint8Array): Statement {
  if (payload.byteLength > MAX_STATEMENT_BYTES) {
    throw new InputError('STATEMENT_TOO_LARGE', `statement is ${String(payload.byteLength)} bytes, more than the ${String(MAX_STATEMENT_BYTES)} accepted`);
  }
  const statement = validateStatement(parseSignedJson(payload, 'statement payload'));
  // validateStatement also reads the legacy v0.1 type; a signature or attestation aiprov trusts is v1.
  if (statement._type !== IN_TOTO_STATEMENT_V1) {
    throw new InputError('STATEMENT_INVALID_TYPE', `statement _type is ${JSON.stringify(statement._type)}, expected ${IN_TOTO_STATEMENT_V1}`);
  }
  return fromValidated(statement);
}

/** validateStatement guarantees each subject has a digest; an unnamed subject is named "". */
function fromValidated(statement: StatementV1): Statement {
  return {
    _type: statement._type,
    subject: statement.subject.map((subject) => ({ name: subject.name ?? '', digest: subject.digest ?? {} })),
    predicateType: statement.predicateType,
    predicate: statement.predicate,
  };
}
