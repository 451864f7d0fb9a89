/**
 * The policy file: who may sign which kind of artifact, and what must be attested about it
 * (README, "aiprov policy init and aiprov policy check"). It is the one piece of configuration
 * that decides whether a deployment goes ahead, so it is read strictly:
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
import { z } from 'zod';
import { InputError } from '../errors.js';
import { ARTIFACT_ROLES, type ArtifactRole } from '../format/artifact-kind.js';
import { isJsonObject } from '../input/json-object.js';
import { parseDocument, type ParsedDocument } from '../input/document.js';
import { issueMessage, problemAt, problemMessage, ProblemsError, problemsFromZod, type Problem, type ProblemOptions } from '../input/problem.js';
import { readBounded } from '../input/read-bounded.js';
import { licenseProblem } from '../statement/dataset-card.js';
import { EXTENDED_KEY_USAGE_OIDS, extendedKeyUsageOid } from '../verify/certificate-pins.js';
import { compileUserRegExp, FULCIO_EXTENSION_OIDS, type FulcioExtensionName } from '../verify/identity.js';

/** The only policy format version this aiprov reads. */
export const POLICY_VERSION = 1;

/** A policy is a page of YAML; anything this large is not one and is not parsed. */
export const MAX_POLICY_BYTES = 1024 * 1024;

/** How many base-model levels a policy may allow at most (bounds the lineage walk). */
export const MAX_BASE_MODEL_DEPTH = 16;

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

/** An RE2 regular expression; it matches whole values (identity.ts), so `^`/`$` are optional. */
function regexp(): z.ZodType<string> {
  return text().refine(
    (source) => {
      try {
        compileUserRegExp(source, 'regexp');
        return true;
      } catch {
        return false;
      }
    },
    { error: (issue) => `is not a valid RE2 regular expression (no lookaround or backreferences): ${JSON.stringify(issue.input)}` },
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
  // certificateAuthority only: which of the CA's leaves are accepted, each exactly (certificate-pins.ts).
  /** The leaf's subject as aiprov prints it, e.g. `O=Acme\, Inc., CN=release`. */
  subject: text().optional(),
  /** One of the leaf's SANs: `email:…`, `URI:…`, `DNS:…`, or a plain value. */
  subjectAlternativeName: text().optional(),
  /** Extended key usages the leaf must all carry: names (codeSigning…) or OIDs. */
  extendedKeyUsage: z
    .preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(text().refine((usage) => extendedKeyUsageOid(usage) !== undefined, { error: (issue) => `is not an extended key usage name (${Object.keys(EXTENDED_KEY_USAGE_OIDS).join(', ')}) or an OID: ${JSON.stringify(issue.input)}` })).min(1))
    .optional(),
  /**
   * key and certificateAuthority only: the RFC 3161 timestamp authorities whose timestamps this
   * signer's bundles may carry (`sign --tsa-url`), as `verify --timestamp-authority`: each file a
   * TSA's certificate chain, signing certificate first.
   */
  timestampAuthority: pathList('a PEM file').optional(),
  /** key and certificateAuthority only: a trusted_root.json lending its timestampAuthorities, as `verify --trusted-root`. */
  trustedRoot: text().optional(),
});

/** Keys that pin a certificateAuthority signer's leaf. */
const CERTIFICATE_PIN_KEYS = ['subject', 'subjectAlternativeName', 'extendedKeyUsage'] as const;

const signerNames = z.array(text()).min(1);

/**
 * Inputs of this role must be on the verifying host and re-hashed (`verify lineage --evidence`
 * otherwise accepts an input's signed digest from the evidence file). Meaningless for the top
 * model, which is always re-hashed.
 */
const requireOnDisk = z.boolean().optional();

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
  requireOnDisk,
});

const DatasetRoleSchema = z.strictObject({
  signers: signerNames,
  requireAttestations: z.array(z.enum(['dataset-card'], { error: onlyAttestation('dataset', 'dataset-card') })).optional(),
  allowedLicenses: z.array(licenseId()).min(1).optional(),
  forbid: z.array(z.enum(DATASET_RESTRICTIONS)).optional(),
  requireOnDisk,
});

const RecipeRoleSchema = z.strictObject({ signers: signerNames, requireOnDisk });

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

const ROLE_SCHEMAS = { model: ModelRoleSchema, dataset: DatasetRoleSchema, recipe: RecipeRoleSchema, 'base-model': BaseModelRoleSchema } as const;

function isRole(value: unknown): value is ArtifactRole {
  return typeof value === 'string' && (ARTIFACT_ROLES as readonly string[]).includes(value);
}

// ---------------------------------------------------------------------------------------------
// Errors and parsing
// ---------------------------------------------------------------------------------------------

/**
 * A policy that does not validate. The message lists every problem, separated by `; `, as
 * `file:line:col: path: message` (one line: human output escapes newlines); `problems` holds the same as data (for `--json` and for
 * renderers that print one problem per line).
 */
export class PolicyValidationError extends ProblemsError {
  constructor(
    readonly fileName: string,
    problems: readonly [Problem, ...Problem[]],
    cause?: unknown,
  ) {
    super(problems, { source: fileName, path: fileName, cause }, problems.map((problem) => problemMessage(problem, fileName)).join('; '));
  }
}

/** A valid policy, and its source (to point at the key a later problem is about). */
export interface PolicyDocument {
  readonly policy: Policy;
  readonly document: ParsedDocument;
}

/**
 * Parses and validates a policy. `.json` files must be JSON; anything else is read as YAML 1.2
 * (of which JSON is a subset). Throws `PolicyValidationError` (POLICY_INVALID) listing every
 * problem, or InputError POLICY_TOO_LARGE.
 */
export function parsePolicy(text: string, fileName: string): Policy {
  return parsePolicyDocument(text, fileName).policy;
}

/** `parsePolicy`, keeping the parsed document. */
export function parsePolicyDocument(text: string, fileName: string): PolicyDocument {
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES) {
    throw new InputError('POLICY_TOO_LARGE', `${fileName}: a policy is at most ${String(MAX_POLICY_BYTES)} bytes`, { path: fileName });
  }
  let document: ParsedDocument;
  try {
    document = parseDocument(text, { source: fileName, errorCode: 'POLICY_INVALID' });
  } catch (error) {
    if (error instanceof ProblemsError) throw new PolicyValidationError(fileName, error.problems, error);
    throw error;
  }
  const parsed = PolicySchema.safeParse(document.value, { error: issueMessage });
  const options: ProblemOptions = { code: 'POLICY_INVALID', schema: PolicySchema, locate: document.positionOf, unknownKeyHint: roleKeyHint };
  const problems = [...(parsed.success ? [] : problemsFromZod(parsed.error, options)), ...relationProblems(document.value).map(({ path, message }) => problemAt(path, message, options.code, options))];
  const [first, ...others] = sortByPosition(problems);
  if (first === undefined && parsed.success) return { policy: parsed.data, document };
  throw new PolicyValidationError(fileName, [first ?? problemAt([], 'is invalid', options.code), ...others], parsed.error);
}

/**
 * Reads a policy file's text: IOError FILE_NOT_FOUND / FILE_UNREADABLE / IO_ERROR, or InputError
 * POLICY_TOO_LARGE / POLICY_NOT_A_FILE (a FIFO or a device is refused, never read).
 */
export async function readPolicyText(path: string): Promise<string> {
  return (await readPolicyBytes(path)).toString('utf8');
}

/** The policy file's bytes, bounded: what a verification summary's `policy.digest` is the SHA-256 of. */
export async function readPolicyBytes(path: string): Promise<Buffer> {
  return readBounded(path, { maxBytes: MAX_POLICY_BYTES, kind: 'POLICY', what: 'policy' });
}

interface RawProblem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** A key that belongs to another role: say where it applies rather than just "unknown". */
function roleKeyHint(parent: readonly PropertyKey[], key: string): string | undefined {
  if (parent[0] !== 'roles' || parent.length !== 2) return undefined;
  const elsewhere = ARTIFACT_ROLES.filter((role) => Object.hasOwn(ROLE_SCHEMAS[role].shape, key));
  return elsewhere.length === 0 ? undefined : `it applies to role ${elsewhere.join(', ')}, not ${String(parent[1])}`;
}

/**
 * Rules that relate keys to each other. They run on the raw value, whatever the schema said, so
 * that one pass reports every problem; each rule looks only at what has the expected shape.
 */
function relationProblems(value: unknown): RawProblem[] {
  const problems: RawProblem[] = [];
  if (!isJsonObject(value)) return problems;
  const signers = isJsonObject(value['signers']) ? value['signers'] : undefined;

  if (signers !== undefined && Object.keys(signers).length === 0) problems.push({ path: ['signers'], message: 'define at least one signer' });
  for (const [name, signer] of Object.entries(signers ?? {})) {
    if (!SIGNER_NAME.test(name)) problems.push({ path: ['signers', name], message: `signer name ${JSON.stringify(name)} must be letters, digits, ".", "_" or "-" (at most 64, starting with a letter or digit)` });
    if (!isJsonObject(signer)) continue;
    problems.push(...exactlyOne(signer, ['keyless', 'key', 'certificateAuthority'], ['signers', name], 'a signer', SignerSchema));
    if (signer['certificateAuthority'] === undefined) {
      for (const key of CERTIFICATE_PIN_KEYS) if (signer[key] !== undefined) problems.push({ path: ['signers', name, key], message: `${key} pins a certificateAuthority signer's certificate; this signer has none` });
    }
    const keyless = signer['keyless'];
    // Keyless bundles are timestamped by the Sigstore instance's own TSAs (trust.sigstore).
    for (const key of ['timestampAuthority', 'trustedRoot'] as const) {
      if (keyless !== undefined && signer[key] !== undefined) problems.push({ path: ['signers', name, key], message: `${key} applies to key and certificateAuthority signers; a keyless signer's timestamps are checked against the trust.sigstore roots` });
    }
    if (isJsonObject(keyless)) {
      problems.push(...exactlyOne(keyless, ['identity', 'identityRegexp'], ['signers', name, 'keyless'], 'a keyless signer', KeylessSignerSchema));
      problems.push(...exactlyOne(keyless, ['issuer', 'issuerRegexp'], ['signers', name, 'keyless'], 'a keyless signer', KeylessSignerSchema));
    }
  }

  const roles = isJsonObject(value['roles']) ? value['roles'] : undefined;
  for (const [role, config] of Object.entries(roles ?? {})) {
    // An unknown role was reported by the schema; its contents mean nothing.
    if (!isRole(role) || !isJsonObject(config)) continue;
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

function exactlyOne(object: Record<string, unknown>, keys: readonly string[], path: readonly PropertyKey[], what: string, schema: z.ZodObject): RawProblem[] {
  const present = keys.filter((key) => object[key] !== undefined);
  if (present.length > 1) return [{ path, message: `${what} takes only one of ${keys.join(', ')}; found ${present.join(' and ')}` }];
  // With an unknown key present the schema already reported it (probably this very key, misspelt).
  const hasUnknown = Object.keys(object).some((key) => !Object.hasOwn(schema.shape, key));
  if (present.length === 0 && !hasUnknown) return [{ path, message: `${what} needs one of ${keys.join(', ')}` }];
  return [];
}


function sortByPosition(problems: readonly Problem[]): Problem[] {
  const key = (problem: Problem): number => (problem.line ?? Number.MAX_SAFE_INTEGER) * 1e6 + (problem.column ?? 0);
  return problems.map((problem, index) => ({ problem, index })).sort((a, b) => key(a.problem) - key(b.problem) || a.index - b.index).map(({ problem }) => problem);
}
