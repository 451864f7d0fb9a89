/**
 * Who signed a keyless bundle, and whether that is who the verifier expects.
 *
 * A Fulcio certificate binds the signing key to an OIDC identity: the Subject Alternative Name
 * (an email, a URI such as a CI workflow, or a username otherName), the OIDC issuer that vouched
 * for it, and, for CI tokens, claims about the build (source repository, ref, commit, workflow,
 * runner), each in its own extension under Sigstore's OID arc 1.3.6.1.4.1.57264.1
 * (sigstore/fulcio docs/oid-info.md). These are read here from the verified leaf certificate.
 *
 * The policy is matched here, exactly, and never by `@sigstore/verify`: its SAN match is an
 * unanchored regular expression, so a policy `https://github.com/org/repo/` would accept a
 * certificate for `https://github.com/org/repo-evil/…`. A regular expression is used only when the
 * verifier asks for one, and it is always anchored.
 */
import { ASN1Obj, type X509Certificate } from '@sigstore/core';
import { RE2JS } from 're2js';
import { InputError, PolicyError, VerificationError } from '../errors.js';

/** Fulcio extensions aiprov reads, by name (sigstore/fulcio docs/oid-info.md). */
export const FULCIO_EXTENSION_OIDS = {
  /** 1.1: raw string, deprecated by `issuer` (1.8); read only when 1.8 is absent. */
  issuerV1: '1.3.6.1.4.1.57264.1.1',
  githubWorkflowTrigger: '1.3.6.1.4.1.57264.1.2',
  githubWorkflowSha: '1.3.6.1.4.1.57264.1.3',
  githubWorkflowName: '1.3.6.1.4.1.57264.1.4',
  githubWorkflowRepository: '1.3.6.1.4.1.57264.1.5',
  githubWorkflowRef: '1.3.6.1.4.1.57264.1.6',
  issuer: '1.3.6.1.4.1.57264.1.8',
  buildSignerUri: '1.3.6.1.4.1.57264.1.9',
  buildSignerDigest: '1.3.6.1.4.1.57264.1.10',
  runnerEnvironment: '1.3.6.1.4.1.57264.1.11',
  sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryDigest: '1.3.6.1.4.1.57264.1.13',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
  sourceRepositoryIdentifier: '1.3.6.1.4.1.57264.1.15',
  sourceRepositoryOwnerUri: '1.3.6.1.4.1.57264.1.16',
  sourceRepositoryOwnerIdentifier: '1.3.6.1.4.1.57264.1.17',
  buildConfigUri: '1.3.6.1.4.1.57264.1.18',
  buildConfigDigest: '1.3.6.1.4.1.57264.1.19',
  buildTrigger: '1.3.6.1.4.1.57264.1.20',
  runInvocationUri: '1.3.6.1.4.1.57264.1.21',
  sourceRepositoryVisibilityAtSigning: '1.3.6.1.4.1.57264.1.22',
  deploymentEnvironment: '1.3.6.1.4.1.57264.1.23',
} as const;
export type FulcioExtensionName = keyof typeof FULCIO_EXTENSION_OIDS;

/** OIDs 1.1 to 1.6 hold the raw string as the extension value; 1.8 and later a DER UTF8String. */
const RAW_STRING_EXTENSIONS: ReadonlySet<FulcioExtensionName> = new Set(['issuerV1', 'githubWorkflowTrigger', 'githubWorkflowSha', 'githubWorkflowName', 'githubWorkflowRepository', 'githubWorkflowRef']);

/** Human names for messages. */
const EXTENSION_LABELS: Readonly<Record<FulcioExtensionName, string>> = {
  issuerV1: 'OIDC issuer (v1)',
  githubWorkflowTrigger: 'GitHub workflow trigger',
  githubWorkflowSha: 'GitHub workflow SHA',
  githubWorkflowName: 'GitHub workflow name',
  githubWorkflowRepository: 'GitHub workflow repository',
  githubWorkflowRef: 'GitHub workflow ref',
  issuer: 'OIDC issuer',
  buildSignerUri: 'build signer URI',
  buildSignerDigest: 'build signer digest',
  runnerEnvironment: 'runner environment',
  sourceRepositoryUri: 'source repository URI',
  sourceRepositoryDigest: 'source repository digest',
  sourceRepositoryRef: 'source repository ref',
  sourceRepositoryIdentifier: 'source repository identifier',
  sourceRepositoryOwnerUri: 'source repository owner URI',
  sourceRepositoryOwnerIdentifier: 'source repository owner identifier',
  buildConfigUri: 'build config URI',
  buildConfigDigest: 'build config digest',
  buildTrigger: 'build trigger',
  runInvocationUri: 'run invocation URI',
  sourceRepositoryVisibilityAtSigning: 'source repository visibility',
  deploymentEnvironment: 'deployment environment',
};

const OID_SUBJECT_ALT_NAME = '2.5.29.17';
/** Fulcio's username SAN: an otherName with this type-id holding a UTF8String. */
const OID_OTHERNAME_USERNAME = '1.3.6.1.4.1.57264.1.7';

export type SubjectAlternativeName =
  | { readonly type: 'email'; readonly value: string }
  | { readonly type: 'uri'; readonly value: string }
  | { readonly type: 'dns'; readonly value: string }
  | { readonly type: 'username'; readonly value: string };

/** The identity claims of a signing certificate. */
export interface CertificateIdentity {
  /** The SAN Fulcio set (the first URI, email or username SAN); undefined when there is none. */
  readonly subjectAlternativeName: string | undefined;
  /** Every SAN the certificate carries, in order. */
  readonly subjectAlternativeNames: readonly SubjectAlternativeName[];
  /** The OIDC issuer: extension 1.8, else the deprecated 1.1. */
  readonly issuer: string | undefined;
  /** Every Fulcio extension present, by name. */
  readonly extensions: Readonly<Partial<Record<FulcioExtensionName, string>>>;
}

/**
 * What a verifier requires of the signer. Every given field must match; absent fields are not
 * checked. Exact fields compare strings exactly; `…RegExp` fields are RE2 regular expressions
 * matched against the whole value (as if wrapped in `^(?:…)$`; see `compileUserRegExp`).
 */
export interface IdentityPolicy {
  readonly certificateIdentity?: string;
  readonly certificateIdentityRegExp?: string;
  readonly certificateOidcIssuer?: string;
  readonly certificateOidcIssuerRegExp?: string;
  /** Exact values required of Fulcio extensions, e.g. `{ sourceRepositoryRef: 'refs/tags/v1.0.0' }`. */
  readonly extensions?: Readonly<Partial<Record<FulcioExtensionName, string>>>;
}

/** A policy with its regular expressions compiled (and so known to be valid). */
export interface CompiledIdentityPolicy {
  readonly policy: IdentityPolicy;
  readonly identityPattern: UserRegExp | undefined;
  readonly issuerPattern: UserRegExp | undefined;
}

/** A user-supplied regular expression, compiled for whole-value matches in linear time. */
export interface UserRegExp {
  readonly source: string;
  /** True when the whole of `value` matches. */
  readonly test: (value: string) => boolean;
}

/**
 * Validates a policy before any bundle is looked at, so that a typo is a usage error (exit 2)
 * and not a failed verification. An exact value and a regex for the same claim are refused:
 * which one wins would be a guess.
 */
export function compileIdentityPolicy(policy: IdentityPolicy): CompiledIdentityPolicy {
  if (policy.certificateIdentity !== undefined && policy.certificateIdentityRegExp !== undefined) {
    throw new InputError('POLICY_INVALID', 'give either a certificate identity or a certificate identity regexp, not both');
  }
  if (policy.certificateOidcIssuer !== undefined && policy.certificateOidcIssuerRegExp !== undefined) {
    throw new InputError('POLICY_INVALID', 'give either a certificate OIDC issuer or a certificate OIDC issuer regexp, not both');
  }
  for (const [name, value] of Object.entries(policy.extensions ?? {})) {
    if (!Object.hasOwn(FULCIO_EXTENSION_OIDS, name)) throw new InputError('POLICY_INVALID', `unknown certificate extension ${JSON.stringify(name)}`);
    if (value === '') throw new InputError('POLICY_INVALID', `certificate extension ${name} must not be empty`);
  }
  for (const [name, value] of [['certificate identity', policy.certificateIdentity], ['certificate OIDC issuer', policy.certificateOidcIssuer]] as const) {
    if (value === '') throw new InputError('POLICY_INVALID', `${name} must not be empty`);
  }
  return {
    policy,
    identityPattern: policy.certificateIdentityRegExp === undefined ? undefined : compileUserRegExp(policy.certificateIdentityRegExp, 'certificate identity regexp'),
    issuerPattern: policy.certificateOidcIssuerRegExp === undefined ? undefined : compileUserRegExp(policy.certificateOidcIssuerRegExp, 'certificate OIDC issuer regexp'),
  };
}

/**
 * A keyless signature proves nothing until both the identity and the OIDC issuer that vouched
 * for it are pinned: anyone can get a Fulcio certificate for their own identity, from any issuer
 * Fulcio trusts (cosign's `--certificate-identity` / `--certificate-oidc-issuer` rule). The one
 * place this rule lives; every keyless verification path calls it.
 */
export function requireKeylessIdentity(policy: IdentityPolicy): CompiledIdentityPolicy {
  if (policy.certificateIdentity === undefined && policy.certificateIdentityRegExp === undefined) {
    throw new InputError('IDENTITY_REQUIRED', 'keyless verification needs the signer\'s identity: --certificate-identity (or --certificate-identity-regexp)');
  }
  if (policy.certificateOidcIssuer === undefined && policy.certificateOidcIssuerRegExp === undefined) {
    throw new InputError('IDENTITY_REQUIRED', 'keyless verification needs the identity\'s OIDC issuer: --certificate-oidc-issuer (or --certificate-oidc-issuer-regexp)');
  }
  return compileIdentityPolicy(policy);
}

/** True when the policy constrains anything at all. */
export function isEmptyPolicy(policy: IdentityPolicy): boolean {
  return policy.certificateIdentity === undefined && policy.certificateIdentityRegExp === undefined && policy.certificateOidcIssuer === undefined && policy.certificateOidcIssuerRegExp === undefined && Object.keys(policy.extensions ?? {}).length === 0;
}

/**
 * Compiles a regular expression that a user or a policy file supplied, on RE2 (`re2js`), never on
 * the JavaScript engine: the signer chooses the identity string a pattern runs against, and a
 * backtracking engine runs `(([a-z]|[a-z@.])*)*!` for minutes on an 18-character identity
 * (ReDoS). RE2 matches in time linear in the input, and refuses at compile time what it cannot
 * do in linear time (lookaround, backreferences): a syntax error, reported when the flag or the
 * policy is loaded (exit 2), never at match time.
 *
 * Matches are whole-value (`RE2JS.matches`), as if the source were wrapped in `^(?:…)$`. The
 * source is compiled on its own, so a pattern such as `a)|(b` is a syntax error rather than
 * something that could close a group of ours and escape the anchoring.
 */
export function compileUserRegExp(source: string, what: string): UserRegExp {
  if (source === '') throw new InputError('POLICY_INVALID', `${what} must not be empty`);
  let pattern: RE2JS;
  try {
    pattern = RE2JS.compile(source);
  } catch (error) {
    throw new InputError('POLICY_INVALID', `${what} ${JSON.stringify(source)} is not a valid regular expression (RE2 syntax: no lookaround or backreferences)`, { cause: error });
  }
  return { source, test: (value) => pattern.matches(value) };
}

/**
 * Checks a verified certificate's identity against the policy. Call it only after the
 * certificate chain, the signature and the transparency evidence have been verified: before
 * that, the claims are just bytes an attacker wrote.
 */
export function checkIdentityPolicy(compiled: CompiledIdentityPolicy, identity: CertificateIdentity): void {
  const { policy, identityPattern, issuerPattern } = compiled;
  const sans = identity.subjectAlternativeNames.map((san) => san.value);
  const found = sans.length === 0 ? 'none' : sans.map(quote).join(', ');
  if (policy.certificateIdentity !== undefined && !sans.includes(policy.certificateIdentity)) {
    throw new PolicyError('IDENTITY_MISMATCH', `certificate identity (SAN) differs: expected ${quote(policy.certificateIdentity)}, found ${found}`);
  }
  if (identityPattern !== undefined && !sans.some((san) => identityPattern.test(san))) {
    throw new PolicyError('IDENTITY_MISMATCH', `certificate identity (SAN) differs: expected a match of ${identityPattern.source}, found ${found}`);
  }
  const issuer = identity.issuer === undefined ? 'none' : quote(identity.issuer);
  if (policy.certificateOidcIssuer !== undefined && identity.issuer !== policy.certificateOidcIssuer) {
    throw new PolicyError('ISSUER_MISMATCH', `certificate OIDC issuer differs: expected ${quote(policy.certificateOidcIssuer)}, found ${issuer}`);
  }
  if (issuerPattern !== undefined && (identity.issuer === undefined || !issuerPattern.test(identity.issuer))) {
    throw new PolicyError('ISSUER_MISMATCH', `certificate OIDC issuer differs: expected a match of ${issuerPattern.source}, found ${issuer}`);
  }
  for (const [name, expected] of Object.entries(policy.extensions ?? {}) as [FulcioExtensionName, string | undefined][]) {
    if (expected === undefined) continue;
    const actual = identity.extensions[name];
    if (actual !== expected) {
      throw new PolicyError('CERTIFICATE_EXTENSION_MISMATCH', `certificate ${EXTENSION_LABELS[name]} (${FULCIO_EXTENSION_OIDS[name]}) differs: expected ${quote(expected)}, found ${actual === undefined ? 'none' : quote(actual)}`);
    }
  }
}

/**
 * Claims read from a certificate are attacker-chosen bytes until proven otherwise: quote them as
 * JSON (which escapes control characters, so no terminal escape reaches the user) and cut them.
 */
function quote(value: string): string {
  return JSON.stringify(value.length > 512 ? `${value.slice(0, 512)}…` : value);
}


/** Reads the SANs, the issuer and every Fulcio extension of a (verified) leaf certificate. */
export function readCertificateIdentity(certificate: X509Certificate): CertificateIdentity {
  const seen = new Set<string>();
  for (const extension of certificate.extensions) {
    const oid = extension.subs[0]?.toOID();
    // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular
    // extension." A repeated identity extension would be ambiguous: refuse it rather than pick one.
    if (oid !== undefined && seen.has(oid)) throw new VerificationError('CERTIFICATE_INVALID', `the signing certificate repeats extension ${oid}`);
    if (oid !== undefined) seen.add(oid);
  }

  const extensions: Partial<Record<FulcioExtensionName, string>> = {};
  for (const name of Object.keys(FULCIO_EXTENSION_OIDS) as FulcioExtensionName[]) {
    const extension = certificate.extension(FULCIO_EXTENSION_OIDS[name]);
    if (extension === undefined) continue;
    extensions[name] = RAW_STRING_EXTENSIONS.has(name) ? decodeText(extension.value, FULCIO_EXTENSION_OIDS[name]) : decodeDerUtf8String(extension.value, FULCIO_EXTENSION_OIDS[name]);
  }
  const subjectAlternativeNames = readSubjectAlternativeNames(certificate);
  const primary = subjectAlternativeNames.find((san) => san.type !== 'dns');
  return {
    subjectAlternativeName: primary?.value,
    subjectAlternativeNames,
    issuer: extensions.issuer ?? extensions.issuerV1,
    extensions,
  };
}

function readSubjectAlternativeNames(certificate: X509Certificate): SubjectAlternativeName[] {
  const extension = certificate.extension(OID_SUBJECT_ALT_NAME);
  if (extension === undefined) return [];
  const generalNames = parseDer(extension.value, OID_SUBJECT_ALT_NAME);
  const names: SubjectAlternativeName[] = [];
  // GeneralName ::= CHOICE { otherName [0], rfc822Name [1] IA5String, dNSName [2] IA5String,
  // …, uniformResourceIdentifier [6] IA5String, … } (RFC 5280 §4.2.1.6); others are skipped.
  for (const name of generalNames.subs) {
    if (name.tag.isContextSpecific(1)) names.push({ type: 'email', value: decodeIa5(name.value) });
    else if (name.tag.isContextSpecific(2)) names.push({ type: 'dns', value: decodeIa5(name.value) });
    else if (name.tag.isContextSpecific(6)) names.push({ type: 'uri', value: decodeIa5(name.value) });
    else if (name.tag.isContextSpecific(0)) {
      // otherName ::= SEQUENCE { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY }
      const [typeId, explicit] = name.subs;
      const inner = explicit?.subs[0];
      if (typeId?.toOID() === OID_OTHERNAME_USERNAME && inner !== undefined && isUtf8String(inner)) {
        names.push({ type: 'username', value: decodeText(inner.value, OID_OTHERNAME_USERNAME) });
      }
    }
  }
  return names;
}

function parseDer(bytes: Buffer, oid: string): ASN1Obj {
  try {
    return ASN1Obj.parseBuffer(Buffer.from(bytes));
  } catch (error) {
    throw new VerificationError('CERTIFICATE_INVALID', `the signing certificate's extension ${oid} is not valid DER`, { cause: error });
  }
}

/** UTF8String is universal tag 12 (X.680), primitive. */
function isUtf8String(object: ASN1Obj): boolean {
  return object.tag.isUniversal() && object.tag.number === 12 && !object.tag.constructed;
}

/** Fulcio 1.8+: "formatted as DER-encoded strings; the ASN.1 tag is UTF8String". */
function decodeDerUtf8String(bytes: Buffer, oid: string): string {
  const object = parseDer(bytes, oid);
  if (!isUtf8String(object)) throw new VerificationError('CERTIFICATE_INVALID', `the signing certificate's extension ${oid} is not a UTF8String`);
  return decodeText(object.value, oid);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeText(bytes: Uint8Array, oid: string): string {
  try {
    return utf8.decode(bytes);
  } catch (error) {
    throw new VerificationError('CERTIFICATE_INVALID', `the signing certificate's extension ${oid} is not valid UTF-8`, { cause: error });
  }
}

function decodeIa5(bytes: Uint8Array): string {
  if (bytes.some((byte) => byte > 0x7f)) throw new VerificationError('CERTIFICATE_INVALID', 'the signing certificate has a subject alternative name that is not ASCII (IA5String)');
  return Buffer.from(bytes).toString('ascii');
}
