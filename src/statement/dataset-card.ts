/**
 * The aiprov dataset card: what a dataset is, where it came from and how it may be used, signed as
 * the predicate `https://aiprov.dev/dataset/v1` of a statement whose subject is the dataset's root
 * digest (docs/FORMATS.md, "Dataset card").
 *
 * Field names are those of the SPDX 3 Dataset profile (spdx-3-model, model/Dataset/Classes/
 * DatasetPackage.md) where one exists; `license` stands for SPDX's concluded/declared license and
 * `sources` for the places the data was taken from. The schema is strict: an unknown key is an
 * error, because a misspelt `knownBais` silently dropped from a signed card is worse than a
 * refusal. Errors from a card file name the field and its line.
 */
import parseSpdxExpression from 'spdx-expression-parse';
import deprecatedLicenseIds from 'spdx-license-ids/deprecated.json' with { type: 'json' };
import licenseIds from 'spdx-license-ids/index.json' with { type: 'json' };
import { z } from 'zod';
import { InputError } from '../errors.js';
import { parseDocument } from '../input/document.js';
import { issueMessage, ProblemsError } from '../input/problem.js';
import { DigestSetSchema, digestProblem, fieldErrors, validateStatement, type StatementV1 } from './in-toto.js';
import type { ArtifactRef } from './provenance.js';
import { IN_TOTO_STATEMENT_V1 } from './statement.js';

export const DATASET_CARD_V1 = 'https://aiprov.dev/dataset/v1';

/** A card is prose and a few lists; anything bigger is not a card (and is not parsed). */
export const MAX_DATASET_CARD_BYTES = 1024 * 1024;

/** SPDX 3 `DatasetType` (model/Dataset/Vocabularies/DatasetType.md). */
export const DATASET_TYPES = [
  'audio',
  'categorical',
  'graph',
  'image',
  'noAssertion',
  'numeric',
  'other',
  'sensor',
  'structured',
  'syntactic',
  'text',
  'timeseries',
  'timestamp',
  'video',
] as const;

/** SPDX 3 `PresenceType` (model/Core/Vocabularies/PresenceType.md). */
export const PRESENCE_TYPES = ['yes', 'no', 'noAssertion'] as const;

/** SPDX 3 `DatasetAvailabilityType`. */
export const DATASET_AVAILABILITY_TYPES = ['clickthrough', 'directDownload', 'query', 'registration', 'scrapingScript'] as const;

/** SPDX 3 `ConfidentialityLevelType` (Traffic Light Protocol). */
export const CONFIDENTIALITY_LEVELS = ['red', 'amber', 'green', 'clear'] as const;

// ---------------------------------------------------------------------------------------------
// License expressions
// ---------------------------------------------------------------------------------------------

const KNOWN_LICENSE_IDS = new Set<string>([...licenseIds, ...deprecatedLicenseIds]);
const LICENSE_IDS_BY_LOWERCASE = new Map([...KNOWN_LICENSE_IDS].map((id) => [id.toLowerCase(), id]));

/**
 * SPDX's two special values for "no license" and "not stated" (SPDX 2.3 §7.13; SPDX 3
 * NoneLicense / NoAssertionLicense). Scraped data often has no stated license: saying so is better
 * than inventing one, and a policy can refuse it.
 */
const SPECIAL_LICENSE_VALUES = new Set(['NONE', 'NOASSERTION']);

/**
 * Why `expression` is not a valid SPDX license expression, or undefined when it is. Syntax and
 * identifiers are checked by spdx-expression-parse against the SPDX license list; since its errors
 * only give an offset, the first unknown identifier is named (with the listed spelling when only
 * the case differs, `apache-2.0` → `Apache-2.0`).
 */
export function licenseProblem(expression: string): string | undefined {
  if (SPECIAL_LICENSE_VALUES.has(expression)) return undefined;
  try {
    parseSpdxExpression(expression);
    return undefined;
  } catch (error) {
    const unknown = firstUnknownLicenseId(expression);
    if (unknown !== undefined) {
      const listed = LICENSE_IDS_BY_LOWERCASE.get(unknown.replace(/\+$/, '').toLowerCase());
      const hint = listed === undefined ? ' (see https://spdx.org/licenses/)' : ` (did you mean "${listed}"?)`;
      return `${JSON.stringify(expression)} is not a valid SPDX license expression: unknown license identifier ${JSON.stringify(unknown)}${hint}`;
    }
    return `${JSON.stringify(expression)} is not a valid SPDX license expression: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function firstUnknownLicenseId(expression: string): string | undefined {
  const tokens = expression.split(/[\s()]+/).filter((token) => token !== '');
  for (const [index, token] of tokens.entries()) {
    if (/^(AND|OR|WITH)$/i.test(token)) continue;
    // Exceptions follow WITH and are checked by the parser itself.
    if (/^WITH$/i.test(tokens[index - 1] ?? '')) continue;
    if (/^(DocumentRef-[\w.-]+:)?LicenseRef-[\w.-]+$/.test(token)) continue;
    if (!KNOWN_LICENSE_IDS.has(token.replace(/\+$/, ''))) return token;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

/**
 * A string field. YAML reads `version: 1.0` as the number 1 (and `1.10` as 1.1): converting back
 * would sign a different version than the author wrote, so the author is asked to quote it.
 */
function text(): z.ZodString {
  return z.string({
    error: (issue) => {
      if (issue.input === undefined) return 'is required';
      if (typeof issue.input === 'number' || typeof issue.input === 'boolean') return `must be a string: quote it ("${String(issue.input)}")`;
      return undefined;
    },
  });
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DateTimeSchema = z.iso.datetime({ offset: true });

function isDateOrDateTime(value: string): boolean {
  if (DATE.test(value)) return !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
  return DateTimeSchema.safeParse(value).success;
}

const SourceSchema = z.strictObject(
  {
    uri: text().refine((uri) => URL.canParse(uri), { error: 'must be an absolute URI' }),
    // Optional: not every source is a fixed file (an API, a crawl). When present it must identify
    // something, so an empty set is refused.
    digest: DigestSetSchema.refine((digest) => Object.keys(digest).length > 0, { error: 'names no digest', params: { code: 'DIGEST_INVALID' } }).optional(),
    retrieved: text().refine(isDateOrDateTime, { error: 'must be a date (YYYY-MM-DD) or an RFC 3339 timestamp' }).optional(),
  },
  fieldErrors('a mapping with uri, digest, retrieved'),
);

export const DatasetCardSchema = z.strictObject(
  {
    name: text().min(1, 'is empty'),
    version: text().min(1, 'is empty').optional(),
    description: text().optional(),
    license: text().check((ctx) => {
      const problem = licenseProblem(ctx.value);
      if (problem !== undefined) ctx.issues.push({ code: 'custom', input: ctx.value, message: problem, params: { code: 'LICENSE_INVALID' } });
    }),
    sources: z.array(SourceSchema, fieldErrors('a list')).optional(),
    // SPDX 3 requires at least one (DatasetPackage: datasetType minCount 1); `noAssertion` exists.
    datasetType: z.array(z.enum(DATASET_TYPES), fieldErrors('a list')).min(1, 'needs at least one type (noAssertion if unknown)'),
    dataCollectionProcess: text().optional(),
    dataPreprocessing: z.array(text(), fieldErrors('a list')).optional(),
    hasSensitivePersonalInformation: z.enum(PRESENCE_TYPES).optional(),
    knownBias: z.array(text(), fieldErrors('a list')).optional(),
    intendedUse: text().optional(),
    anonymizationMethodUsed: z.array(text(), fieldErrors('a list')).optional(),
    confidentialityLevel: z.enum(CONFIDENTIALITY_LEVELS).optional(),
    datasetAvailability: z.enum(DATASET_AVAILABILITY_TYPES).optional(),
    datasetNoise: text().optional(),
    datasetSize: z.number(fieldErrors('a number')).int().nonnegative().optional(),
    datasetUpdateMechanism: text().optional(),
  },
  fieldErrors('a mapping of card fields'),
);

export type DatasetCard = z.output<typeof DatasetCardSchema>;
export type DatasetCardInput = z.input<typeof DatasetCardSchema>;

/** Validates a card already parsed (e.g. the predicate at `basePath` of a statement); errors name the field only. */
export function validateDatasetCard(json: unknown, basePath: readonly PropertyKey[] = []): DatasetCard {
  const parsed = DatasetCardSchema.safeParse(json, { error: issueMessage });
  if (!parsed.success) throw ProblemsError.fromZod(parsed.error, { source: 'dataset card', code: 'DATASET_CARD_INVALID', schema: DatasetCardSchema, basePath });
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Card files (YAML or JSON), with line numbers
// ---------------------------------------------------------------------------------------------

/**
 * Parses a dataset card file. `.json` files must be JSON; anything else is read as YAML 1.2 (of
 * which JSON is a subset). Errors are `ProblemsError`s with code DATASET_CARD_INVALID,
 * LICENSE_INVALID or DIGEST_INVALID, `path` = fileName, and a message
 * `<file>:<line>:<col>: <field>: <reason>`.
 */
export function parseDatasetCard(text: string, fileName: string): DatasetCard {
  if (Buffer.byteLength(text, 'utf8') > MAX_DATASET_CARD_BYTES) {
    throw new InputError('DATASET_CARD_INVALID', `${fileName}: a dataset card is at most ${String(MAX_DATASET_CARD_BYTES)} bytes`, { path: fileName });
  }
  const document = parseDocument(text, { source: fileName, errorCode: 'DATASET_CARD_INVALID' });
  const parsed = DatasetCardSchema.safeParse(document.value, { error: issueMessage });
  if (parsed.success) return parsed.data;
  throw ProblemsError.fromZod(parsed.error, { source: fileName, path: fileName, code: 'DATASET_CARD_INVALID', schema: DatasetCardSchema, locate: document.positionOf });
}

// ---------------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------------

export interface DatasetCardStatement {
  readonly _type: typeof IN_TOTO_STATEMENT_V1;
  readonly subject: [{ readonly name: string; readonly digest: { readonly sha256: string } }];
  readonly predicateType: typeof DATASET_CARD_V1;
  readonly predicate: DatasetCard;
}

/** The statement to sign for a card: subject = the dataset (name, sha256 root digest). */
export function buildDatasetCardStatement(card: DatasetCardInput, dataset: ArtifactRef): DatasetCardStatement {
  if (dataset.name === '') throw new InputError('DATASET_CARD_INVALID', 'dataset card statement: dataset name is empty');
  const problem = digestProblem('sha256', dataset.rootDigest);
  if (problem !== undefined) throw new InputError('DIGEST_INVALID', `dataset card statement: rootDigest: sha256 digest ${problem}`);
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: dataset.name, digest: { sha256: dataset.rootDigest } }],
    predicateType: DATASET_CARD_V1,
    predicate: validateDatasetCard(card),
  };
}

export interface ParsedDatasetCardStatement {
  readonly dataset: ArtifactRef;
  readonly card: DatasetCard;
  readonly statement: StatementV1;
}

/** Reads a dataset card attestation's statement: one subject with a sha256 root, a valid card. */
export function parseDatasetCardStatement(json: unknown): ParsedDatasetCardStatement {
  const statement = validateStatement(json);
  // Only ever written as Statement v1 (see parseTrainingProvenance).
  if (statement._type !== IN_TOTO_STATEMENT_V1) throw new InputError('STATEMENT_INVALID_TYPE', `statement: _type: must be ${IN_TOTO_STATEMENT_V1}`);
  if (statement.predicateType !== DATASET_CARD_V1) {
    throw new InputError('UNSUPPORTED_PREDICATE_TYPE', `statement: predicateType: is ${JSON.stringify(statement.predicateType)}, expected ${DATASET_CARD_V1}`);
  }
  // One subject: a card vouching for several datasets could be replayed onto any of them.
  const [subject, ...others] = statement.subject;
  const rootDigest = subject?.digest?.sha256;
  if (subject === undefined || others.length > 0 || rootDigest === undefined) {
    throw new InputError('DATASET_CARD_INVALID', 'statement: subject: a dataset card has exactly one subject, with a sha256 digest (the dataset root digest)');
  }
  const card = validateDatasetCard(statement.predicate, ['predicate']);
  return { dataset: { name: subject.name ?? '', rootDigest }, card, statement };
}
