/**
 * The policy file: who may sign which kind of artifact, and what must be attested about it
 * (DESIGN.md, "Trust" and "Policy"). It is the one piece of configuration that decides whether a
 * deployment goes ahead, so it is read strictly:
 *
 * - Unknown keys are errors. A misspelt `alowedLicenses` silently ignored would turn a licence
 *   gate off while the file still looks right to its reviewer.
 * - Every problem is reported at once, each with its line and column, so a policy can be fixed in
 *   one pass (publint/knip style: problems are data, formatting is separate).
 * - Relations that a schema cannot express are checked too: a role naming an undefined signer,
 *   a signer with two kinds of trust, a licence list with no dataset card to read a licence from.
 *
 * Files are YAML 1.2 or JSON (`.json` files must be JSON). Paths inside a policy are relative to
 * the policy file; they are resolved by `resolve.ts`, which also loads what they point to.
 */
import { stat, readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import { z } from 'zod';
import { InputError, ioErrorFrom } from '../errors.js';
import { ARTIFACT_ROLES, type ArtifactRole } from '../format/artifact-kind.js';
import { licenseProblem } from '../statement/dataset-card.js';
import { sourcePositionOf } from '../statement/source-position.js';
import { FULCIO_EXTENSION_OIDS, type FulcioExtensionName } from '../verify/identity.js';

/** The only policy format version this aiprov reads. */
export const POLICY_VERSION = 1;

/** A policy is a page of YAML; anything this large is not one and is not parsed. */
export const MAX_POLICY_BYTES = 1024 * 1024;

/** How many base-model levels a policy may allow at most (bounds the lineage walk). */
export const MAX_BASE_MODEL_DEPTH = 16;

/**
 * The stable codes of the errors src/policy throws itself (all InputErrors). Files it loads also
 * fail with the codes of their own modules: FILE_NOT_FOUND / FILE_UNREADABLE / IO_ERROR,
 * KEY_INVALID, UNSUPPORTED_KEY_TYPE, CERTIFICATE_INVALID, TRUST_ROOT_INVALID.
 */
export type PolicyErrorCode = 'POLICY_INVALID' | 'POLICY_TOO_LARGE' | 'POLICY_FILE_EXISTS' | 'TRUST_FILE_TOO_LARGE';

/** Attestations a role can require: training provenance (SLSA v1) and the aiprov dataset card. */
export const ATTESTATION_KINDS = ['training-provenance', 'dataset-card'] as const;
export type AttestationKind = (typeof ATTESTATION_KINDS)[number];

/**
 * Properties of a dataset a policy can forbid. `sensitive-personal-information`: the dataset
 * card must state `hasSensitivePersonalInformation: no` (a card that says `yes`, `noAssertion`
 * or nothing is refused: the gate fails closed).
 */
export const DATASET_RESTRICTIONS = ['sensitive-personal-information'] as const;
export type DatasetRestriction = (typeof DATASET_RESTRICTIONS)[number];

/** Sigstore instances whose trusted root aiprov carries; anything else in `trust.sigstore` is a file. */
export const SIGSTORE_INSTANCES = ['public-good', 'staging'] as const;

/** Fulcio claims a keyless signer can pin, by their names in identity.ts (issuer has its own key). */
export type KeylessClaimName = Exclude<FulcioExtensionName, 'issuer' | 'issuerV1'>;
export const KEYLESS_CLAIM_NAMES = (Object.keys(FULCIO_EXTENSION_OIDS) as FulcioExtensionName[]).filter((name): name is KeylessClaimName => name !== 'issuer' && name !== 'issuerV1');

/** Signer names appear in reports and messages: plain words only, no control characters. */
const SIGNER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

function text(): z.ZodString {
  return z.string().min(1);
}

/** A path, or a list of paths (one file may also hold several PEM certificates). */
function pathList(what: string): z.ZodType<string[]> {
  return z.preprocess(
    (value) => (typeof value === 'string' ? [value] : value),
    z.array(text(), { error: (issue) => (issue.input !== undefined ? `must be ${what} or a list of them` : undefined) }).min(1),
  );
}

/** A JavaScript regular expression; it is anchored when used (identity.ts), so `^`/`$` are optional. */
function regexp(): z.ZodType<string> {
  return text().refine(
    (source) => {
      try {
        new RegExp(source, 'u');
        return true;
      } catch {
        return false;
      }
    },
    { error: (issue) => `is not a valid regular expression: ${JSON.stringify(issue.input)}` },
  );
}

const claimShape = Object.fromEntries(KEYLESS_CLAIM_NAMES.map((name) => [name, text().optional()])) as Record<KeylessClaimName, z.ZodOptional<z.ZodString>>;

const KeylessSignerSchema = z.strictObject({
  /** The OIDC issuer, exactly (e.g. https://token.actions.githubusercontent.com). */
  issuer: text().optional(),
  issuerRegexp: regexp().optional(),
  /** The certificate's Subject Alternative Name, exactly: a workflow URI, an email. */
  identity: text().optional(),
  identityRegexp: regexp().optional(),
  ...claimShape,
});

const SignerSchema = z.strictObject({
  keyless: KeylessSignerSchema.optional(),
  /** A PEM public key file (ECDSA P-256/P-384/P-521). */
  key: text().optional(),
  /** PEM CA certificate files; together they must hold the root (model_signing's rule). */
  certificateAuthority: pathList('a PEM file').optional(),
});

const signerNames = z.array(text()).min(1);

const ModelRoleShape = {
  signers: signerNames,
  requireAttestations: z.array(z.enum(['training-provenance'], { error: onlyAttestation('model', 'training-provenance') })).optional(),
  /** Accepted `runDetails.builder.id`s of the training provenance, exactly. */
  builderIds: z.array(text()).min(1).optional(),
};

const ModelRoleSchema = z.strictObject(ModelRoleShape);

const BaseModelRoleSchema = z.strictObject({
  ...ModelRoleShape,
  requireAttestations: z.array(z.enum(['training-provenance'], { error: onlyAttestation('base model', 'training-provenance') })).optional(),
  maxDepth: z.int().min(1).max(MAX_BASE_MODEL_DEPTH).optional(),
});

const DatasetRoleSchema = z.strictObject({
  signers: signerNames,
  requireAttestations: z.array(z.enum(['dataset-card'], { error: onlyAttestation('dataset', 'dataset-card') })).optional(),
  allowedLicenses: z.array(licenseId()).min(1).optional(),
  forbid: z.array(z.enum(DATASET_RESTRICTIONS)).optional(),
});

const RecipeRoleSchema = z.strictObject({ signers: signerNames });

const RolesSchema = z.strictObject({
  model: ModelRoleSchema.optional(),
  dataset: DatasetRoleSchema.optional(),
  recipe: RecipeRoleSchema.optional(),
  'base-model': BaseModelRoleSchema.optional(),
});

const TrustSchema = z.strictObject({
  sigstore: pathList('"public-good", "staging" or a trusted_root.json path').optional(),
});

export const PolicySchema = z.strictObject(
  {
    version: z.literal(POLICY_VERSION, {
      error: (issue) => (issue.input === undefined ? `is required: the first line of a policy is "version: ${String(POLICY_VERSION)}"` : `unsupported policy version ${JSON.stringify(issue.input)}: this aiprov reads version ${String(POLICY_VERSION)}`),
    }),
    trust: TrustSchema.optional(),
    signers: z.record(z.string(), SignerSchema),
    roles: RolesSchema,
  },
  { error: (issue) => (issue.code === 'invalid_type' ? `a policy must be a mapping that starts with "version: ${String(POLICY_VERSION)}"` : undefined) },
);

export type Policy = z.output<typeof PolicySchema>;
export type SignerConfig = z.output<typeof SignerSchema>;
export type KeylessSignerConfig = z.output<typeof KeylessSignerSchema>;
export type RolesConfig = z.output<typeof RolesSchema>;

function onlyAttestation(what: string, kind: AttestationKind): (issue: z.core.$ZodRawIssue) => string | undefined {
  return (issue) => (issue.code === 'invalid_value' ? `${JSON.stringify(issue.input)} cannot be required of a ${what}: only "${kind}" applies` : undefined);
}

/** One SPDX license identifier (or LicenseRef-…, NONE, NOASSERTION), not an expression. */
function licenseId(): z.ZodType<string> {
  return text().superRefine((id, ctx) => {
    if (/\s|[()]/.test(id)) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(id)} is an expression: list single license identifiers (an expression is satisfied when its licenses are listed)` });
      return;
    }
    if (id.endsWith('+')) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(id)}: list the license itself, without "+"` });
      return;
    }
    const problem = licenseProblem(id);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** The keys each mapping of the policy accepts, for "did you mean" hints. */
function knownKeysAt(path: readonly PropertyKey[]): readonly string[] | undefined {
  const [first, , third] = path;
  if (path.length === 0) return Object.keys(PolicySchema.shape);
  if (first === 'trust' && path.length === 1) return Object.keys(TrustSchema.shape);
  if (first === 'roles' && path.length === 1) return ARTIFACT_ROLES;
  if (first === 'roles' && path.length === 2) return isRole(path[1]) ? Object.keys(ROLE_SCHEMAS[path[1]].shape) : undefined;
  if (first === 'signers' && path.length === 2) return Object.keys(SignerSchema.shape);
  if (first === 'signers' && path.length === 3 && third === 'keyless') return Object.keys(KeylessSignerSchema.shape);
  return undefined;
}

const ROLE_SCHEMAS = { model: ModelRoleSchema, dataset: DatasetRoleSchema, recipe: RecipeRoleSchema, 'base-model': BaseModelRoleSchema } as const;

function isRole(value: unknown): value is ArtifactRole {
  return typeof value === 'string' && (ARTIFACT_ROLES as readonly string[]).includes(value);
}

// ---------------------------------------------------------------------------------------------
// Problems and errors
// ---------------------------------------------------------------------------------------------

/** One thing wrong with a policy file, where it is (1-based line and column) and why. */
export interface PolicyProblem {
  /** The key path, e.g. `roles.dataset.allowedLicenses[1]`; '' for the whole document. */
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

/**
 * A policy that does not validate. The message lists every problem, one per line, as
 * `file:line:col: path: message`; `problems` holds the same as data (for `--json` and for
 * renderers that print one problem per line).
 */
export class PolicyValidationError extends InputError {
  constructor(
    readonly fileName: string,
    readonly problems: readonly PolicyProblem[],
    cause?: unknown,
  ) {
    super('POLICY_INVALID', problems.map((problem) => formatPolicyProblem(fileName, problem)).join('\n') || `${fileName}: invalid policy`, { path: fileName, cause });
  }
}

/** `file:line:col: path: message` (position and path left out when unknown or empty). */
export function formatPolicyProblem(fileName: string, problem: PolicyProblem): string {
  const where = problem.line === undefined ? '' : `${String(problem.line)}:${String(problem.column ?? 1)}:`;
  return `${fileName}:${where} ${problem.path === '' ? '' : `${problem.path}: `}${problem.message}`;
}

/** `roles.base-model.signers[0]`: keys joined by dots, quoted only when they need it. */
export function formatPolicyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${String(segment)}]`;
    else {
      const key = String(segment);
      const part = /^[\w-]+$/.test(key) ? key : JSON.stringify(key);
      out += out === '' ? part : `.${part}`;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/**
 * Parses and validates a policy. `.json` files must be JSON; anything else is read as YAML 1.2
 * (of which JSON is a subset). Throws `PolicyValidationError` (POLICY_INVALID) listing every
 * problem, or InputError POLICY_TOO_LARGE.
 */
export function parsePolicy(text: string, fileName: string): Policy {
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES) {
    throw new InputError('POLICY_TOO_LARGE', `${fileName}: a policy is at most ${String(MAX_POLICY_BYTES)} bytes`, { path: fileName });
  }
  const source = text.replace(/^\uFEFF/, '');
  const lineCounter = new LineCounter();
  // Duplicate keys are errors (the yaml default): which of two `signers:` would the reader believe?
  const doc = parseDocument(source, { lineCounter, prettyErrors: false });
  const syntaxProblems = doc.errors.map((error) => syntaxProblem(error, lineCounter));

  let value: unknown;
  if (fileName.toLowerCase().endsWith('.json')) {
    try {
      value = JSON.parse(source);
    } catch (error) {
      const problem = syntaxProblems[0];
      throw new PolicyValidationError(fileName, [{ ...problem, path: '', message: `not JSON: ${error instanceof Error ? error.message : String(error)}` }], error);
    }
    // JSON.parse keeps the last of duplicate keys silently; the YAML reader of the same text refuses them.
    const duplicates = doc.errors.filter((error) => error.code === 'DUPLICATE_KEY').map((error) => syntaxProblem(error, lineCounter));
    if (duplicates.length > 0) throw new PolicyValidationError(fileName, duplicates);
  } else {
    if (syntaxProblems.length > 0) throw new PolicyValidationError(fileName, syntaxProblems);
    // toJS bounds alias expansion (maxAliasCount), which stops "billion laughs" documents.
    value = doc.toJS();
  }

  const locate = (path: readonly PropertyKey[]): Position => positionOf(doc, lineCounter, path);
  const parsed = PolicySchema.safeParse(value, { error: describeIssue, reportInput: true });
  const problems = [...(parsed.success ? [] : schemaProblems(parsed.error.issues)), ...relationProblems(value)].map(({ path, message }) => ({ path: formatPolicyPath(path), ...locate(path), message }));
  if (parsed.success && problems.length === 0) return parsed.data;
  throw new PolicyValidationError(fileName, sortByPosition(problems), parsed.success ? undefined : parsed.error);
}

/** Reads and parses a policy file, refusing an oversized file before reading it. */
export async function readPolicyFile(path: string): Promise<Policy> {
  return parsePolicy(await readPolicyText(path), path);
}

/** Reads a policy file's text: IOError FILE_NOT_FOUND / FILE_UNREADABLE / IO_ERROR, or POLICY_TOO_LARGE. */
export async function readPolicyText(path: string): Promise<string> {
  try {
    const { size } = await stat(path);
    if (size > MAX_POLICY_BYTES) throw new InputError('POLICY_TOO_LARGE', `${path} is ${String(size)} bytes; a policy is at most ${String(MAX_POLICY_BYTES)}`, { path });
    return await readFile(path, 'utf8');
  } catch (error) {
    throw ioErrorFrom(error, path, 'read policy');
  }
}

/**
 * Where the key at `path` is in a policy text (1-based), e.g. to point at the `key:` whose file
 * could not be loaded. Undefined when the path is not in the text.
 */
export function locatePolicyPath(text: string, path: readonly PropertyKey[]): { line: number; column: number } | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter, prettyErrors: false });
  const position = positionOf(doc, lineCounter, path);
  return position.line === undefined ? undefined : { line: position.line, column: position.column ?? 1 };
}

interface RawProblem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

type Position = { line?: number; column?: number };

function syntaxProblem(error: YAMLError, lineCounter: LineCounter): PolicyProblem {
  // prettyErrors is off, so the position is computed here from the offset.
  const { line, col } = lineCounter.linePos(error.pos[0]);
  const message = error.message.split('\n')[0] ?? error.message;
  return { path: '', line, column: col, message };
}

/** Human messages for zod's issue codes (schema-level `error`s take precedence over this map). */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${describeExpected(issue.expected)}, found ${describeValue(issue.input)}${issue.expected === 'string' && (typeof issue.input === 'number' || typeof issue.input === 'boolean') ? ` (quote it: "${String(issue.input)}")` : ''}`;
    case 'invalid_value':
      return `must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((value) => JSON.stringify(value)).join(', ')}, found ${describeValue(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'array') return Number(issue.minimum) === 1 ? 'must not be empty' : `must list at least ${String(issue.minimum)}`;
      if (issue.origin === 'string') return 'must not be empty';
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

/** zod reports all unknown keys of a mapping as one issue: split it, one per key, with a hint. */
function schemaProblems(issues: readonly z.core.$ZodIssue[]): RawProblem[] {
  const problems: RawProblem[] = [];
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') {
      problems.push({ path: issue.path, message: issue.message });
      continue;
    }
    for (const key of issue.keys) problems.push({ path: [...issue.path, key], message: unknownKeyMessage(issue.path, key) });
  }
  return problems;
}

function unknownKeyMessage(parent: readonly PropertyKey[], key: string): string {
  const known = knownKeysAt(parent) ?? [];
  const head = `unknown key ${JSON.stringify(key)}`;
  const suggestion = closest(key, known);
  if (suggestion !== undefined) return `${head} (did you mean ${JSON.stringify(suggestion)}?)`;
  // A key that belongs to another role: say where it applies rather than just "unknown".
  if (parent[0] === 'roles' && parent.length === 2) {
    const elsewhere = ARTIFACT_ROLES.filter((role) => Object.hasOwn(ROLE_SCHEMAS[role].shape, key));
    if (elsewhere.length > 0) return `${head}: it applies to role ${elsewhere.join(', ')}, not ${String(parent[1])}`;
  }
  return known.length === 0 ? head : `${head} (expected ${known.map((name) => JSON.stringify(name)).join(', ')})`;
}

/** The known key nearest to a misspelt one (edit distance ≤ 2, or equal ignoring case and dashes). */
function closest(key: string, known: readonly string[]): string | undefined {
  const fold = (word: string): string => word.toLowerCase().replace(/[-_]/g, '');
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = fold(name) === fold(key) ? 0 : editDistance(key.toLowerCase(), name.toLowerCase());
    if (distance <= Math.min(2, Math.floor(name.length / 3)) && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Optimal string alignment distance: Levenshtein plus swaps of adjacent letters (`modle`). */
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

/**
 * Rules that relate keys to each other. They run on the raw value, whatever the schema said, so
 * that one pass reports every problem; each rule looks only at what has the expected shape.
 */
function relationProblems(value: unknown): RawProblem[] {
  const problems: RawProblem[] = [];
  if (!isRecord(value)) return problems;
  const signers = isRecord(value['signers']) ? value['signers'] : undefined;

  if (signers !== undefined && Object.keys(signers).length === 0) problems.push({ path: ['signers'], message: 'define at least one signer' });
  for (const [name, signer] of Object.entries(signers ?? {})) {
    if (!SIGNER_NAME.test(name)) problems.push({ path: ['signers', name], message: `signer name ${JSON.stringify(name)} must be letters, digits, ".", "_" or "-" (at most 64, starting with a letter or digit)` });
    if (!isRecord(signer)) continue;
    problems.push(...exactlyOne(signer, ['keyless', 'key', 'certificateAuthority'], ['signers', name], 'a signer'));
    const keyless = signer['keyless'];
    if (isRecord(keyless)) {
      problems.push(...exactlyOne(keyless, ['identity', 'identityRegexp'], ['signers', name, 'keyless'], 'a keyless signer'));
      problems.push(...exactlyOne(keyless, ['issuer', 'issuerRegexp'], ['signers', name, 'keyless'], 'a keyless signer'));
    }
  }

  const roles = isRecord(value['roles']) ? value['roles'] : undefined;
  for (const [role, config] of Object.entries(roles ?? {})) {
    // An unknown role was reported by the schema; its contents mean nothing.
    if (!isRole(role) || !isRecord(config)) continue;
    const names = config['signers'];
    if (Array.isArray(names)) {
      names.forEach((name: unknown, index) => {
        // Signers are looked up by name: a role naming an undefined one would trust nobody (or,
        // after a later edit, somebody unintended). Refuse the reference outright.
        if (typeof name === 'string' && name !== '' && (signers === undefined || !Object.hasOwn(signers, name))) {
          problems.push({ path: ['roles', role, 'signers', index], message: `role ${role} names signer ${JSON.stringify(name)}, which is not defined under signers` });
        }
      });
    }
    // Licences and personal data are read from the dataset card, builder ids from the training
    // provenance: checking them without requiring the attestation would pass an artifact that has none.
    const required = Array.isArray(config['requireAttestations']) ? (config['requireAttestations'] as unknown[]) : [];
    for (const [key, attestation] of [['allowedLicenses', 'dataset-card'], ['forbid', 'dataset-card'], ['builderIds', 'training-provenance']] as const) {
      // A key this role does not take was reported as unknown by the schema.
      if (config[key] !== undefined && Object.hasOwn(ROLE_SCHEMAS[role].shape, key) && !required.includes(attestation)) {
        problems.push({ path: ['roles', role, key], message: `${key} is read from the ${attestation} attestation: add "${attestation}" to requireAttestations` });
      }
    }
  }
  return problems;
}

function exactlyOne(object: Record<string, unknown>, keys: readonly string[], path: readonly PropertyKey[], what: string): RawProblem[] {
  const present = keys.filter((key) => object[key] !== undefined);
  if (present.length > 1) return [{ path, message: `${what} takes only one of ${keys.join(', ')}; found ${present.join(' and ')}` }];
  // With an unknown key present the schema already reported it (probably this very key, misspelt).
  const known = new Set(knownKeysAt(path) ?? []);
  const hasUnknown = Object.keys(object).some((key) => !known.has(key));
  if (present.length === 0 && !hasUnknown) return [{ path, message: `${what} needs one of ${keys.join(', ')}` }];
  return [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sortByPosition(problems: PolicyProblem[]): PolicyProblem[] {
  const key = (problem: PolicyProblem): number => (problem.line ?? Number.MAX_SAFE_INTEGER) * 1e6 + (problem.column ?? 0);
  return problems.map((problem, index) => ({ problem, index })).sort((a, b) => key(a.problem) - key(b.problem) || a.index - b.index).map(({ problem }) => problem);
}

function positionOf(doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[]): Position {
  const position = sourcePositionOf(doc, lineCounter, path);
  return position === undefined ? {} : { line: position.line, column: position.col };
}
