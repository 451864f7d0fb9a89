/**
 * Turns a parsed policy into trust material: public keys, CA certificates, keyless identity
 * policies and Sigstore trusted roots, loaded from the files the policy names (relative to the
 * policy file). Everything is loaded up front, before any artifact is looked at, so that a
 * missing key is a usage problem reported once, not a verification failure reported per artifact.
 */
import { createHash, type KeyObject, type X509Certificate } from 'node:crypto';
import { dirname, isAbsolute, join } from 'node:path';
import parseSpdxExpression from 'spdx-expression-parse';
import { asAiprovError, InputError, type AiprovError, type ErrorCode } from '../errors.js';
import { ARTIFACT_ROLES, type ArtifactRole } from '../format/artifact-kind.js';
import { parsePublicKey } from '../format/keys.js';
import { certificateName, parseCertificates } from '../format/certificates.js';
import { problemAt, type Problem } from '../input/problem.js';
import { readBoundedText } from '../input/read-bounded.js';
import { refuseSigstoreCertificateAuthorities } from '../verify/fulcio-ca.js';
import { extendedKeyUsageOid, type CertificatePins } from '../verify/certificate-pins.js';
import { compileIdentityPolicy, type IdentityPolicy } from '../verify/identity.js';
import { timestampAuthoritiesOfRoot, timestampAuthorityFromChain, type TimestampAuthorities } from '../verify/timestamps.js';
import { loadTrustRoot, type SigstoreTrustRoot, type TrustRootChoice } from '../verify/trust.js';
import { KEYLESS_CLAIM_NAMES, parsePolicy, parsePolicyDocument, PolicyValidationError, readPolicyBytes, readPolicyText, type AttestationKind, type DatasetRestriction, type KeylessSignerConfig, type PolicyDocument, type Policy, type SignerConfig } from './schema.js';

/** Key and certificate files are a few kilobytes; anything this large is refused unread. */
export const MAX_TRUST_FILE_BYTES = 1024 * 1024;

/**
 * The TSAs a key or certificate signer's RFC 3161 timestamps must come from (`timestampAuthority`,
 * `trustedRoot`); absent when the policy names none, and a timestamped bundle is then refused.
 */
interface SignerTimestampAuthorities {
  readonly timestampAuthorities?: TimestampAuthorities;
}

export type ResolvedSigner =
  | ({ readonly name: string; readonly kind: 'key'; readonly publicKey: KeyObject; /** The key file, resolved. */ readonly source: string } & SignerTimestampAuthorities)
  | ({ readonly name: string; readonly kind: 'certificate'; readonly trustedCertificates: X509Certificate[]; /** The CA files, resolved. */ readonly sources: readonly string[]; /** The leaf's subject, SAN and EKU the policy pins. */ readonly pins?: CertificatePins } & SignerTimestampAuthorities)
  | { readonly name: string; readonly kind: 'keyless'; readonly identity: IdentityPolicy };

/**
 * What the policy requires of one role, with defaults applied. A role the policy leaves out has
 * no signers: nothing of that role is acceptable.
 */
export interface ResolvedRolePolicy {
  /** Names of the signers (keys of `ResolvedPolicy.signers`) trusted for this role. */
  readonly signers: string[];
  readonly requireAttestations: AttestationKind[];
  /** SPDX ids; undefined: any license. Check with `licenseAllowed`. */
  readonly allowedLicenses?: string[];
  readonly forbid: DatasetRestriction[];
  /** Accepted training-provenance builder ids, exactly; undefined: any builder. */
  readonly builderIds?: string[];
  /** base-model only: how many base-model levels may be followed (default 1; 0 when the role is left out). 0 for other roles. */
  readonly maxDepth: number;
  /** Inputs of this role must be on disk and re-hashed; evidence alone does not do (default false). */
  readonly requireOnDisk: boolean;
}

export interface ResolvedPolicy {
  readonly signers: Map<string, ResolvedSigner>;
  /** The Sigstore trusted roots keyless signatures may chain to (public-good when the policy names none). */
  readonly trustRoots: SigstoreTrustRoot[];
  readonly roles: Record<ArtifactRole, ResolvedRolePolicy>;
}

/** How files are read; injected by tests, with real defaults. */
export interface PolicyLoaders {
  /** Reads a key or certificate file (an absolute path). */
  readonly readText: (path: string, what: string) => Promise<string>;
  readonly loadTrustRoot: (choice: TrustRootChoice) => Promise<SigstoreTrustRoot>;
}

export const DEFAULT_POLICY_LOADERS: PolicyLoaders = { readText: readTrustFile, loadTrustRoot };

/** One reference of the policy that could not be loaded, with the policy key it came from. */
export interface PolicyResolveFailure {
  /** The key path in the policy, e.g. `['signers', 'data-team', 'key']`. */
  readonly path: readonly (string | number)[];
  readonly error: AiprovError;
}

export type PolicyResolution = { readonly ok: true; readonly policy: ResolvedPolicy } | { readonly ok: false; readonly failures: readonly PolicyResolveFailure[] };

/**
 * Loads everything the policy refers to. Throws the first failure, in policy order, unchanged:
 * FILE_NOT_FOUND / FILE_UNREADABLE / IO_ERROR (IOError) for a file that cannot be read,
 * KEY_INVALID, UNSUPPORTED_KEY_TYPE, CERTIFICATE_INVALID, TRUST_ROOT_INVALID (InputError) for
 * one that cannot be used.
 */
export async function resolvePolicy(policy: Policy, baseDir: string, loaders: PolicyLoaders = DEFAULT_POLICY_LOADERS): Promise<ResolvedPolicy> {
  const resolution = await tryResolvePolicy(policy, baseDir, loaders);
  if (resolution.ok) return resolution.policy;
  throw resolution.failures[0]?.error ?? new InputError('POLICY_INVALID', 'the policy cannot be resolved');
}

/** Reads, validates and resolves a policy file; its paths are relative to its own directory. */
export async function loadPolicy(path: string, loaders: PolicyLoaders = DEFAULT_POLICY_LOADERS): Promise<ResolvedPolicy> {
  return (await loadPolicyWithDigest(path, loaders)).policy;
}

/**
 * A policy and the SHA-256 of the exact bytes it was parsed from (read once), for a verification
 * summary that names the policy it applied.
 */
export async function loadPolicyWithDigest(path: string, loaders: PolicyLoaders = DEFAULT_POLICY_LOADERS): Promise<{ readonly policy: ResolvedPolicy; readonly sha256: string }> {
  const bytes = await readPolicyBytes(path);
  return { policy: await resolvePolicy(parsePolicy(bytes.toString('utf8'), path), dirname(path), loaders), sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * `aiprov policy digest FILE`: the SHA-256 of the policy file's bytes, as `verify lineage`
 * records it in a verification summary, for a gate to pin with `verify vsa --policy-digest`.
 * The file is read as a policy (bounded, a regular file) but not validated: the digest is of
 * exactly the bytes, whatever they say.
 */
export async function policyFileDigest(path: string): Promise<string> {
  return `sha256:${createHash('sha256').update(await readPolicyBytes(path)).digest('hex')}`;
}

/**
 * A path written in the policy, relative to the policy file's directory. Joined, not resolved
 * against the process's working directory: the library never reads `process`, and messages
 * then show the path the way the user wrote the policy's own path.
 */
export function policyRelativePath(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : join(baseDir, path);
}

/** Like `resolvePolicy`, but tries every reference and returns every failure (for `policy check`). */
export async function tryResolvePolicy(policy: Policy, baseDir: string, loaders: PolicyLoaders = DEFAULT_POLICY_LOADERS): Promise<PolicyResolution> {
  const failures: PolicyResolveFailure[] = [];
  const attempt = async <T>(path: readonly (string | number)[], load: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await load();
    } catch (error) {
      failures.push({ path, error: asAiprovError(error) });
      return undefined;
    }
  };

  const signerEntries = Object.entries(policy.signers);
  const [signers, trustRoots] = await Promise.all([
    Promise.all(signerEntries.map(([name, config]) => resolveSigner(name, config, baseDir, loaders, attempt))),
    Promise.all((policy.trust?.sigstore ?? ['public-good']).map((entry, index) => attempt(['trust', 'sigstore', index], () => loaders.loadTrustRoot(trustRootChoice(entry, baseDir))))),
  ]);
  if (failures.length > 0) {
    // Concurrent loads finish in any order; report in the order of the file.
    const order = (failure: PolicyResolveFailure): number => (failure.path[0] === 'signers' ? signerEntries.findIndex(([name]) => name === failure.path[1]) : 1e6 + Number(failure.path[2] ?? 0));
    return { ok: false, failures: failures.sort((a, b) => order(a) - order(b)) };
  }

  const byName = new Map<string, ResolvedSigner>();
  for (const signer of signers) if (signer !== undefined) byName.set(signer.name, signer);
  return {
    ok: true,
    policy: {
      signers: byName,
      trustRoots: distinctRoots(trustRoots),
      roles: Object.fromEntries(ARTIFACT_ROLES.map((role) => [role, resolveRole(policy, role)])) as Record<ArtifactRole, ResolvedRolePolicy>,
    },
  };
}

/** The same root named twice (e.g. `staging` and a copy of it in a file) counts once, first name kept. */
function distinctRoots(roots: readonly (SigstoreTrustRoot | undefined)[]): SigstoreTrustRoot[] {
  const seen = new Set<string>();
  const distinct: SigstoreTrustRoot[] = [];
  for (const root of roots) {
    if (root === undefined || seen.has(root.sha256)) continue;
    seen.add(root.sha256);
    distinct.push(root);
  }
  return distinct;
}

type Attempt = <T>(path: readonly (string | number)[], load: () => Promise<T>) => Promise<T | undefined>;

async function resolveSigner(name: string, config: SignerConfig, baseDir: string, loaders: PolicyLoaders, attempt: Attempt): Promise<ResolvedSigner | undefined> {
  // The schema guarantees exactly one kind; the order here only picks which one it is.
  if (config.keyless !== undefined) {
    const identity = identityPolicyOf(config.keyless);
    return attempt(['signers', name, 'keyless'], () => {
      compileIdentityPolicy(identity);
      return Promise.resolve({ name, kind: 'keyless' as const, identity });
    });
  }
  if (config.key !== undefined) {
    const source = policyRelativePath(baseDir, config.key);
    const [publicKey, timestamps] = await Promise.all([
      attempt(['signers', name, 'key'], async () => parsePublicKey(await loaders.readText(source, 'public key'), source)),
      resolveTimestampAuthorities(name, config, baseDir, loaders, attempt),
    ]);
    if (publicKey === undefined || timestamps === undefined) return undefined;
    return { name, kind: 'key', publicKey, source, ...timestamps };
  }
  if (config.certificateAuthority !== undefined) {
    const sources = config.certificateAuthority.map((path) => policyRelativePath(baseDir, path));
    const [loaded, timestamps] = await Promise.all([
      Promise.all(sources.map((source, index) => attempt(['signers', name, 'certificateAuthority', ...(sources.length > 1 ? [index] : [])], async () => {
        const certificates = parseCertificates(await loaders.readText(source, 'CA certificates'), source);
        refuseSigstoreCertificateAuthorities(certificates, source);
        return certificates;
      }))),
      resolveTimestampAuthorities(name, config, baseDir, loaders, attempt),
    ]);
    if (loaded.some((certificates) => certificates === undefined) || timestamps === undefined) return undefined;
    const pins = certificatePinsOf(config);
    return { name, kind: 'certificate', trustedCertificates: loaded.flatMap((certificates) => certificates ?? []), sources, ...(pins === undefined ? {} : { pins }), ...timestamps };
  }
  throw new InputError('POLICY_INVALID', `signer ${name} has no kind of trust (keyless, key or certificateAuthority)`);
}

/** A certificateAuthority signer's pins, EKU names as OIDs (the schema accepted only known names and OIDs). */
function certificatePinsOf(config: SignerConfig): CertificatePins | undefined {
  const { subject, subjectAlternativeName, extendedKeyUsage } = config;
  if (subject === undefined && subjectAlternativeName === undefined && extendedKeyUsage === undefined) return undefined;
  return {
    ...(subject === undefined ? {} : { subject }),
    ...(subjectAlternativeName === undefined ? {} : { subjectAlternativeName }),
    ...(extendedKeyUsage === undefined ? {} : { extendedKeyUsage: extendedKeyUsage.map((usage) => extendedKeyUsageOid(usage) ?? usage) }),
  };
}

/**
 * A signer's `timestampAuthority` chains and `trustedRoot` timestamp authorities, loaded as
 * `verify --timestamp-authority` and `--trusted-root` load them (`resolveArtifactTrust`): each
 * file one TSA's chain, signing certificate first. Undefined when one could not be loaded.
 */
async function resolveTimestampAuthorities(name: string, config: SignerConfig, baseDir: string, loaders: PolicyLoaders, attempt: Attempt): Promise<SignerTimestampAuthorities | undefined> {
  if (config.timestampAuthority === undefined && config.trustedRoot === undefined) return {};
  const paths = config.timestampAuthority ?? [];
  const chains = await Promise.all(paths.map((path, index) => {
    const source = policyRelativePath(baseDir, path);
    return attempt(['signers', name, 'timestampAuthority', ...(paths.length > 1 ? [index] : [])], async () => timestampAuthorityFromChain(parseCertificates(await loaders.readText(source, 'timestamp authority certificates'), source)));
  }));
  const { trustedRoot } = config;
  const ofRoot = trustedRoot === undefined ? [] : await attempt(['signers', name, 'trustedRoot'], async () => timestampAuthoritiesOfRoot(await loaders.loadTrustRoot({ trustedRoot: policyRelativePath(baseDir, trustedRoot) })));
  if (chains.some((chain) => chain === undefined) || ofRoot === undefined) return undefined;
  return { timestampAuthorities: [...chains.flatMap((chain) => chain ?? []), ...ofRoot] };
}

/** Maps a keyless signer onto identity.ts's policy: exact strings stay exact, regexps get anchored there. */
export function identityPolicyOf(config: KeylessSignerConfig): IdentityPolicy {
  const extensions = Object.fromEntries(KEYLESS_CLAIM_NAMES.flatMap((name) => (config[name] === undefined ? [] : [[name, config[name]]])));
  return {
    ...(config.identity === undefined ? {} : { certificateIdentity: config.identity }),
    ...(config.identityRegexp === undefined ? {} : { certificateIdentityRegExp: config.identityRegexp }),
    ...(config.issuer === undefined ? {} : { certificateOidcIssuer: config.issuer }),
    ...(config.issuerRegexp === undefined ? {} : { certificateOidcIssuerRegExp: config.issuerRegexp }),
    ...(Object.keys(extensions).length === 0 ? {} : { extensions }),
  };
}

/** `public-good` and `staging` are the built-in roots; anything else is a file next to the policy. */
function trustRootChoice(entry: string, baseDir: string): TrustRootChoice {
  if (entry === 'public-good') return {};
  if (entry === 'staging') return { staging: true };
  return { trustedRoot: policyRelativePath(baseDir, entry) };
}

function resolveRole(policy: Policy, role: ArtifactRole): ResolvedRolePolicy {
  const none: ResolvedRolePolicy = { signers: [], requireAttestations: [], forbid: [], maxDepth: 0, requireOnDisk: false };
  switch (role) {
    case 'model': {
      const config = policy.roles.model;
      if (config === undefined) return none;
      return { ...none, signers: unique(config.signers), requireAttestations: unique(config.requireAttestations ?? []), ...(config.builderIds === undefined ? {} : { builderIds: unique(config.builderIds) }) };
    }
    case 'base-model': {
      const config = policy.roles['base-model'];
      if (config === undefined) return none;
      return { ...none, signers: unique(config.signers), requireAttestations: unique(config.requireAttestations ?? []), ...(config.builderIds === undefined ? {} : { builderIds: unique(config.builderIds) }), maxDepth: config.maxDepth ?? 1, requireOnDisk: config.requireOnDisk ?? false };
    }
    case 'dataset': {
      const config = policy.roles.dataset;
      if (config === undefined) return none;
      return { ...none, signers: unique(config.signers), requireAttestations: unique(config.requireAttestations ?? []), ...(config.allowedLicenses === undefined ? {} : { allowedLicenses: unique(config.allowedLicenses) }), forbid: unique(config.forbid ?? []), requireOnDisk: config.requireOnDisk ?? false };
    }
    case 'recipe': {
      const config = policy.roles.recipe;
      return config === undefined ? none : { ...none, signers: unique(config.signers), requireOnDisk: config.requireOnDisk ?? false };
    }
  }
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** A key or certificate file a policy names: TRUST_FILE_TOO_LARGE, TRUST_FILE_NOT_A_FILE, or an IOError. */
async function readTrustFile(path: string, what: string): Promise<string> {
  return readBoundedText(path, { maxBytes: MAX_TRUST_FILE_BYTES, kind: 'TRUST_FILE', what });
}

// ---------------------------------------------------------------------------------------------
// Checking a policy file (`aiprov policy check`)
// ---------------------------------------------------------------------------------------------

export interface PolicySignerSummary {
  readonly name: string;
  readonly kind: ResolvedSigner['kind'];
  /** The key or CA files, or the keyless identity and issuer. */
  readonly detail: string;
}

export interface PolicyCheckResult {
  readonly valid: boolean;
  readonly file: string;
  /** Every problem, in file order, each at the key it is about: a schema problem (POLICY_INVALID) or a file that cannot be loaded. Empty when valid. */
  readonly problems: readonly Problem<ErrorCode>[];
  /** Present when valid. */
  readonly summary?: {
    readonly signers: readonly PolicySignerSummary[];
    /** Roles the policy defines, with their signers (a role left out accepts nothing). */
    readonly roles: Readonly<Partial<Record<ArtifactRole, ResolvedRolePolicy>>>;
    readonly trustRoots: readonly { readonly source: string; readonly sha256: string }[];
  };
}

/**
 * Validates a policy file and loads every file it refers to, collecting every problem with its
 * line. Throws only when the policy file itself cannot be read (IOError), is too large or is not a
 * regular file.
 */
export async function checkPolicyFile(path: string, loaders: PolicyLoaders = DEFAULT_POLICY_LOADERS): Promise<PolicyCheckResult> {
  let parsed: PolicyDocument;
  try {
    parsed = parsePolicyDocument(await readPolicyText(path), path);
  } catch (error) {
    if (!(error instanceof PolicyValidationError)) throw error;
    return { valid: false, file: path, problems: error.problems };
  }
  const { policy, document } = parsed;
  const resolution = await tryResolvePolicy(policy, dirname(path), loaders);
  if (!resolution.ok) {
    const problems = resolution.failures.map(({ path: keyPath, error }) => problemAt(keyPath, error.message, error.code, { locate: document.positionOf }));
    return { valid: false, file: path, problems };
  }
  const resolved = resolution.policy;
  return {
    valid: true,
    file: path,
    problems: [],
    summary: {
      signers: [...resolved.signers.values()].map((signer) => ({ name: signer.name, kind: signer.kind, detail: describeSigner(signer) })),
      roles: Object.fromEntries(ARTIFACT_ROLES.filter((role) => policy.roles[role] !== undefined).map((role) => [role, resolved.roles[role]])),
      trustRoots: resolved.trustRoots.map((root) => ({ source: root.source, sha256: root.sha256 })),
    },
  };
}

function describeSigner(signer: ResolvedSigner): string {
  switch (signer.kind) {
    case 'key':
      return signer.source;
    case 'certificate':
      return `${signer.sources.join(', ')} (${signer.trustedCertificates.map(certificateName).join(', ')})`;
    case 'keyless': {
      const { certificateIdentity, certificateIdentityRegExp, certificateOidcIssuer, certificateOidcIssuerRegExp, extensions } = signer.identity;
      const identity = certificateIdentity ?? `/${certificateIdentityRegExp ?? ''}/`;
      const issuer = certificateOidcIssuer ?? `/${certificateOidcIssuerRegExp ?? ''}/`;
      const claims = Object.entries(extensions ?? {}).map(([name, value]) => `${name}=${value}`);
      return `${identity} from ${issuer}${claims.length === 0 ? '' : `, ${claims.join(', ')}`}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Licenses
// ---------------------------------------------------------------------------------------------

/** SPDX's "no license" and "not stated" (SPDX 2.3 §7.13): acceptable only when listed. */
const SPECIAL_LICENSE_VALUES = new Set(['NONE', 'NOASSERTION']);

/**
 * True when the SPDX license expression can be satisfied using only `allowed` licenses:
 * `A OR B` needs one of them, `A AND B` both, `A WITH exception` needs A, `A+` needs A.
 * Identifiers compare case-insensitively (SPDX 2.3 Annex D). An expression that does not parse
 * is never allowed: the gate fails closed.
 */
export function licenseAllowed(expression: string, allowed: readonly string[]): boolean {
  const permitted = new Set(allowed.map((id) => id.toLowerCase()));
  const trimmed = expression.trim();
  if (SPECIAL_LICENSE_VALUES.has(trimmed.toUpperCase())) return permitted.has(trimmed.toLowerCase());
  let tree: parseSpdxExpression.Info;
  try {
    tree = parseSpdxExpression(trimmed);
  } catch {
    return false;
  }
  return satisfiable(tree, permitted);
}

function satisfiable(node: parseSpdxExpression.Info, permitted: ReadonlySet<string>): boolean {
  if ('conjunction' in node) {
    const left = satisfiable(node.left, permitted);
    const right = satisfiable(node.right, permitted);
    return node.conjunction === 'and' ? left && right : left || right;
  }
  return permitted.has(node.license.toLowerCase());
}
