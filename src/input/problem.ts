/**
 * One way of saying what is wrong with an input: a `Problem` names the field (and, for a file the
 * user wrote, its line and column) and why. Schema failures of every format aiprov reads (policies,
 * dataset cards, in-toto statements, provenance, bundles, trusted roots) become Problems here, so
 * that a message reads the same whatever file it is about, and `--json` can carry them as data.
 */
import { z } from 'zod';
import { InputError, printable, type ErrorCode, type ErrorDetails, type InputErrorCode } from '../errors.js';

/** A problem of a file's own schema has an input code; one about a file it names may have another (`FILE_NOT_FOUND`). */
export interface Problem<Code extends ErrorCode = InputErrorCode> {
  /** A stable SCREAMING_SNAKE code: the file's own (`POLICY_INVALID`) or a more specific one a schema attached (`LICENSE_INVALID`). */
  readonly code: Code;
  /** The field, e.g. `roles.base-model.signers[0]` or `annotations["a.b"]`; '' for the whole input. */
  readonly path: string;
  /** 1-based, when the input is a text whose source positions are known. */
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

/** A 1-based line and column in a text. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** Names that read as plain words in a path; anything else is quoted: `signers["bad name"]`. */
const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/** `subject[0].digest.sha256`, `roles.base-model`, `annotations["a.b"]`; '' for the root. */
function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${String(segment)}]`;
    else if (typeof segment === 'string' && PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** Long enough for a list of expected keys, short enough that an input cannot flood a terminal. */
const MAX_MESSAGE_LENGTH = 1000;

/**
 * `file:line:col: path: message` on one line, leaving out what is unknown or empty. Control
 * characters of the (untrusted) path and message are escaped, so that printing a problem cannot
 * drive the terminal.
 */
export function problemMessage(problem: Problem<ErrorCode>, source?: string): string {
  const where = source === undefined ? '' : `${source}:${problem.line === undefined ? '' : `${String(problem.line)}:${String(problem.column ?? 1)}:`} `;
  return printable(`${where}${problem.path === '' ? '' : `${problem.path}: `}${problem.message}`, MAX_MESSAGE_LENGTH);
}

/**
 * An input that does not validate, with every problem found in it as data. Its code is the first
 * problem's; its message is the first problem's, with a count of the others.
 */
export class ProblemsError extends InputError {
  constructor(
    readonly problems: readonly [Problem, ...Problem[]],
    details: ErrorDetails & { readonly source?: string } = {},
    message = summarize(problems, details.source),
  ) {
    super(problems[0].code, message, details);
  }

  /** The error for a failed zod parse of an input named `source` (a file name, or what it is: "statement"). */
  static fromZod(error: z.ZodError, options: ProblemOptions & { readonly source: string; readonly path?: string }): ProblemsError {
    return new ProblemsError(problemsFromZod(error, options), { source: options.source, ...(options.path === undefined ? {} : { path: options.path }), cause: error });
  }
}

function summarize(problems: readonly [Problem, ...Problem[]], source: string | undefined): string {
  const others = problems.length - 1;
  return `${problemMessage(problems[0], source)}${others === 0 ? '' : ` (and ${String(others)} more problem${others === 1 ? '' : 's'})`}`;
}

// ---------------------------------------------------------------------------------------------
// zod issues → Problems
// ---------------------------------------------------------------------------------------------

/**
 * Human messages for zod's issue codes, to pass as `error` to `safeParse` (zod's own read "Invalid
 * input: expected string, received undefined"). Schema-level `error`s take precedence.
 */
export function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      // YAML reads `version: 1.10` as the number 1.1: ask for quotes rather than convert it back.
      return `must be ${describeExpected(issue.expected)}, found ${describeValue(issue.input)}${issue.expected === 'string' && (typeof issue.input === 'number' || typeof issue.input === 'boolean') ? ` (quote it: "${String(issue.input)}")` : ''}`;
    case 'invalid_value':
      return `must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((value) => JSON.stringify(value)).join(', ')}, found ${describeValue(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'array') return Number(issue.minimum) === 1 ? 'must not be empty' : `must list at least ${String(issue.minimum)}`;
      if (issue.origin === 'string') return Number(issue.minimum) === 1 ? 'must not be empty' : `must be at least ${String(issue.minimum)} characters`;
      return `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    default:
      return undefined;
  }
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'object':
    case 'record':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'int':
      return 'a whole number';
    default:
      return `a ${expected}`;
  }
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const shown = JSON.stringify(value);
  return `${typeof value === 'string' ? 'the string' : `the ${typeof value}`} ${shown.length > 80 ? `${shown.slice(0, 80)}…` : shown}`;
}

/** One problem with one field, its path still a list (zod prefixes it when re-emitted from a nested schema). */
export interface FieldIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  /** The code a schema attached (as the custom issue's `params.code`), if any. */
  readonly code: InputErrorCode | undefined;
}

export interface FieldIssueOptions {
  /** The schema that was parsed: the keys of its objects are what an unknown key is compared with. */
  readonly schema?: z.core.$ZodType;
  /** Explains an unknown key that no known key is close to (e.g. "it applies to role dataset"). */
  readonly unknownKeyHint?: (parent: readonly PropertyKey[], key: string) => string | undefined;
}

/**
 * zod reports all unknown keys of an object as one issue on the object; this splits it into one
 * issue per key, with the key in the path (so that messages and source positions point at the
 * key itself) and a "did you mean" when a known key is close: a misspelt `alowedLicenses` must
 * not read as a mystery.
 */
export function fieldIssues(issues: readonly z.core.$ZodIssue[], options: FieldIssueOptions = {}): FieldIssue[] {
  const flat: FieldIssue[] = [];
  for (const issue of issues) {
    // Only `withErrorCode` (statement/in-toto.ts) sets `params.code`, and only to an InputErrorCode.
    const code = issue.code === 'custom' && typeof issue.params?.code === 'string' ? (issue.params.code as InputErrorCode) : undefined;
    if (issue.code !== 'unrecognized_keys') {
      flat.push({ path: issue.path, message: issue.message, code });
      continue;
    }
    const known = options.schema === undefined ? [] : knownKeysAt(options.schema, issue.path);
    for (const key of issue.keys) flat.push({ path: [...issue.path, key], message: unknownKeyMessage(key, known, options.unknownKeyHint?.(issue.path, key)), code });
  }
  return flat;
}

export interface ProblemOptions extends FieldIssueOptions {
  /** The code of a problem no schema attached a more specific one to: the input's own (`POLICY_INVALID`). */
  readonly code: InputErrorCode;
  /** Where the parsed value sits inside a larger document, e.g. `['predicate']`. */
  readonly basePath?: readonly PropertyKey[];
  /** The source position of a field, by its whole path (see `ParsedDocument.positionOf`), for inputs the user wrote. */
  readonly locate?: (path: readonly PropertyKey[]) => SourcePosition | undefined;
}

/** The Problems of a failed zod parse, in zod's order (the order of the schema's fields). */
export function problemsFromZod(error: z.ZodError, options: ProblemOptions): [Problem, ...Problem[]] {
  const problems = fieldIssues(error.issues, options).map(({ path, message, code }) => problemAt(path, message, code ?? options.code, options));
  const [first, ...others] = problems;
  return first === undefined ? [{ code: options.code, path: formatFieldPath(options.basePath ?? []), message: 'is invalid' }] : [first, ...others];
}

/** A problem about the field at `path` (relative to `options.basePath`), located when possible. */
export function problemAt<Code extends ErrorCode>(path: readonly PropertyKey[], message: string, code: Code, options: Pick<ProblemOptions, 'basePath' | 'locate'> = {}): Problem<Code> {
  const fullPath = [...(options.basePath ?? []), ...path];
  const position = options.locate?.(fullPath);
  return { code, path: formatFieldPath(fullPath), ...(position === undefined ? {} : { line: position.line, column: position.column }), message };
}

function unknownKeyMessage(key: string, known: readonly string[], hint: string | undefined): string {
  const head = `unknown key ${JSON.stringify(key)}`;
  const suggestion = closest(key, known);
  if (suggestion !== undefined) return `${head} (did you mean ${JSON.stringify(suggestion)}?)`;
  if (hint !== undefined) return `${head}: ${hint}`;
  return known.length === 0 ? head : `${head} (expected ${known.map((name) => JSON.stringify(name)).join(', ')})`;
}

/**
 * The keys the object schema at `path` declares, found by walking the schema the way zod walked
 * the value. Wrappers that hide their inner schema (a transform) end the walk: no hint then.
 */
function knownKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): readonly string[] {
  let current: z.core.$ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    if (current instanceof z.core.$ZodObject && typeof segment === 'string') current = current._zod.def.shape[segment];
    else if (current instanceof z.core.$ZodArray && typeof segment === 'number') current = current._zod.def.element;
    else if (current instanceof z.core.$ZodRecord) current = current._zod.def.valueType;
    else return [];
    current = current === undefined ? undefined : unwrap(current);
  }
  return current instanceof z.core.$ZodObject ? Object.keys(current._zod.def.shape) : [];
}

/** The schema that actually validates the value: without optional/nullable/default wrappers and pipes. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType | undefined {
  let current = schema;
  for (;;) {
    if (current instanceof z.core.$ZodOptional || current instanceof z.core.$ZodNullable || current instanceof z.core.$ZodDefault || current instanceof z.core.$ZodReadonly) {
      current = current._zod.def.innerType;
    } else if (current instanceof z.core.$ZodPipe) {
      // `z.preprocess(f, schema)` is transform → schema; `schema.transform(f)` is schema → transform.
      const { in: input, out: output } = current._zod.def;
      if (output instanceof z.core.$ZodTransform) current = input;
      else if (input instanceof z.core.$ZodTransform) current = output;
      else return undefined;
    } else {
      return current;
    }
  }
}

/** The known key nearest to a misspelt one (edit distance ≤ 2, or equal ignoring case, `-` and `_`). */
function closest(key: string, known: readonly string[]): string | undefined {
  const fold = (word: string): string => word.toLowerCase().replace(/[-_]/g, '');
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = fold(name) === fold(key) ? 0 : editDistance(key.toLowerCase(), name.toLowerCase());
    if (distance <= Math.min(2, Math.floor(name.length / 3)) && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Optimal string alignment distance: Levenshtein plus swaps of adjacent letters (`modle`); 3 stands for "more than 2". */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => rows[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, at(i - 2, j - 2) + 1);
      (rows[i] ?? [])[j] = distance;
    }
  }
  return at(a.length, b.length);
}
