/**
 * One error hierarchy for the whole library. Every failure aiprov reports carries a stable
 * SCREAMING_SNAKE code and belongs to exactly one category; the category alone decides the
 * process exit status (see `exitStatusFor`). Errors from `@sigstore/*`, zod and node:fs are
 * re-coded at the boundary where they are caught, with the original kept as `cause`.
 */

export type ErrorCategory = 'input' | 'verification' | 'policy' | 'io' | 'internal';

/** Exit statuses (README, "Exit statuses"); the only place they are defined. */
const EXIT_STATUS: Readonly<Record<ErrorCategory, number>> = {
  verification: 1,
  input: 2,
  policy: 3,
  io: 4,
  internal: 70,
};

export const EXIT_OK = 0;

/**
 * The readers of `input/read-bounded.ts`, by the role of the file they read: each reader's errors
 * are `<KIND>_TOO_LARGE` and `<KIND>_NOT_A_FILE`, so a message names the file's role.
 */
export type InputFileKind =
  | 'BUNDLE'
  | 'HUB_REF'
  | 'ATTESTATIONS_FILE'
  | 'POLICY'
  | 'TRUST_FILE'
  | 'TRUSTED_ROOT'
  | 'KEY'
  | 'CERTIFICATE'
  | 'DATASET_CARD'
  | 'HYPERPARAMETERS'
  | 'SIGNING_CONFIG'
  | 'IDENTITY_TOKEN'
  | 'EVIDENCE'
  | 'VSA'
  | 'ARTIFACT'
  // A part of a partitioned digest or verification (`digest --partition`, `verify --partition`).
  | 'PART'
  // A manifest merged from parts, to sign (`sign --manifest`).
  | 'MANIFEST';

/**
 * Every code, by category: `new InputError('CODE', …)` compiles only with a code of its
 * category (as sigstore-js's `BaseError<Code>`). A code in two unions means the same condition
 * seen from two sides (a malformed certificate is bad input in a key file and a failed
 * verification inside a bundle).
 */
export type InputErrorCode =
  | `${InputFileKind}_TOO_LARGE`
  | `${InputFileKind}_NOT_A_FILE`
  | 'ARTIFACT_NOT_FILE'
  | 'ARTIFACT_REQUIRED'
  | 'BAD_IGNORE_PATH'
  | 'BAD_RESOURCE_NAME'
  | 'BAD_SHARD_SIZE'
  | 'BUNDLE_INVALID'
  | 'BUNDLE_NOT_JSON'
  | 'BUNDLE_UNSUPPORTED'
  | 'BUNDLE_UNSUPPORTED_MEDIA_TYPE'
  | 'BUNDLE_UNSUPPORTED_VERSION'
  | 'CERTIFICATE_CHAIN_EMPTY'
  // sign: the signing certificate is not valid now (or at its RFC 3161 timestamp).
  | 'CERTIFICATE_EXPIRED'
  | 'CERTIFICATE_INVALID'
  | 'CERTIFICATE_KEY_MISMATCH'
  | 'DATASET_CARD_INVALID'
  | 'DEPENDENCY_ROLE_INVALID'
  | 'DEPENDENCY_WITHOUT_DIGEST'
  | 'DIGEST_INVALID'
  | 'DIGEST_MODE_UNSUPPORTED'
  | 'DUPLICATE_RESOURCE'
  | 'EMPTY_ARTIFACT'
  // verify lineage --evidence: more bundles than an evidence file may hold (MAX_EVIDENCE_LINES).
  | 'EVIDENCE_TOO_MANY_LINES'
  // A Fulcio CA (or a leaf it issued) given as certificate trust, which checks no identity.
  | 'FULCIO_CERTIFICATE_AS_CA'
  | 'HYPERPARAMETERS_INVALID'
  | 'IDENTITY_REQUIRED'
  | 'IDENTITY_TOKEN_INVALID'
  | 'IDENTITY_TOKEN_MISSING'
  | 'IDENTITY_TOKEN_REJECTED'
  | 'IDENTITY_TOKEN_UNAVAILABLE'
  | 'HUB_NOT_CACHED'
  | 'HUB_URI_INVALID'
  // GOOGLE_IAM_CREDENTIALS_URL is not an https:// URL: it would receive the metadata server's access token.
  | 'IAM_CREDENTIALS_URL_INVALID'
  | 'IGNORE_PATH_NOT_FOUND'
  // sign --incremental where no digest cache can be kept (no cache directory, no file owners).
  | 'INCREMENTAL_UNAVAILABLE'
  | 'KEY_FILE_EXISTS'
  | 'KEY_PREFIX_INVALID'
  | 'KEY_INVALID'
  | 'KEY_IS_PRIVATE'
  | 'KEY_PASSPHRASE_REQUIRED'
  | 'KEY_PASSPHRASE_WRONG'
  | 'KEY_REQUIRED'
  // A BOM asked of a lineage that did not verify (the library call; the CLI reports the verdict's own category).
  | 'LINEAGE_NOT_VERIFIED'
  | 'LICENSE_INVALID'
  | 'MANIFEST_EMPTY'
  | 'MANIFEST_INVALID'
  // sign --manifest: the manifest names the artifact otherwise, or was hashed with other flags.
  | 'MANIFEST_NAME_MISMATCH'
  | 'MANIFEST_SERIALIZATION_MISMATCH'
  // digest --merge: the parts given are not the N parts of one listing (a usage mistake).
  | 'PART_DUPLICATE'
  | 'PART_FOREIGN'
  | 'PART_INVALID'
  | 'PART_MISSING'
  | 'PASSPHRASE_EMPTY'
  | 'PASSPHRASE_MISMATCH'
  | 'PASSPHRASE_UNAVAILABLE'
  | 'POLICY_FILE_EXISTS'
  | 'POLICY_INVALID'
  | 'PREDICATE_INVALID'
  | 'PROVENANCE_INVALID'
  | 'RESOURCE_DESCRIPTOR_INVALID'
  | 'RESOURCE_PATH_ESCAPES'
  | 'RESOURCES_OUT_OF_ORDER'
  | 'SERIAL_NUMBER_INVALID'
  | 'OUTPUT_PATH_INVALID'
  | 'SIGNATURE_PATH_INVALID'
  | 'SIGNING_CONFIG_INVALID'
  | 'SIGNING_CONFIG_UNSUPPORTED'
  | 'SIGNING_SERVICE_URL_INVALID'
  | 'STATEMENT_INVALID'
  | 'STATEMENT_INVALID_TYPE'
  | 'STATEMENT_NO_PREDICATE'
  | 'STATEMENT_NO_PREDICATE_TYPE'
  | 'STATEMENT_NO_SUBJECT'
  | 'STATEMENT_DUPLICATE_KEY'
  | 'STATEMENT_NOT_JSON'
  | 'STATEMENT_NOT_UTF8'
  | 'STATEMENT_SUBJECT_WITHOUT_DIGEST'
  | 'STATEMENT_TOO_LARGE'
  | 'SYMLINK_CYCLE'
  | 'SYMLINK_ESCAPES_ARTIFACT'
  | 'SYMLINK_REFUSED'
  | 'TIMESTAMP_AUTHORITY_REQUIRED'
  | 'TIMESTAMP_INVALID'
  | 'TRUST_ROOT_INVALID'
  | 'TRUST_ROOT_UNAVAILABLE'
  | 'UNSUPPORTED_BUILD_TYPE'
  | 'UNSUPPORTED_FILE_TYPE'
  | 'UNSUPPORTED_KEY_TYPE'
  | 'UNSUPPORTED_PREDICATE_TYPE'
  | 'USAGE'
  | 'VSA_INCOMPLETE'
  | 'VSA_INVALID';

export type VerificationErrorCode =
  | 'CERTIFICATE_CHAIN_INVALID'
  | 'CERTIFICATE_EXPIRED'
  | 'CERTIFICATE_INVALID'
  | 'CERTIFICATE_USAGE_INVALID'
  | 'DIGEST_MISMATCH'
  // A Hugging Face hub-cache snapshot's link resolves outside its repository's blobs/.
  | 'HUB_LINK_OUTSIDE_BLOBS'
  | 'KEY_MISMATCH'
  | 'LINEAGE_NOT_VERIFIED'
  // sign --manifest: the artifact on disk is not what the manifest lists.
  | 'MANIFEST_FILE_EXTRA'
  | 'MANIFEST_FILE_MISSING'
  | 'MANIFEST_SHARDS_MISMATCH'
  | 'MANIFEST_SIZE_MISMATCH'
  // digest --merge and verify --merge: the parts do not add up to one whole. verify --merge also
  // reports a missing, duplicate or foreign part, or a part that failed, as a failed verification.
  | 'PART_ASSIGNMENT_MISMATCH'
  | 'PART_DUPLICATE'
  | 'PART_FAILED'
  | 'PART_FOREIGN'
  | 'PART_MISSING'
  | 'PART_OVERLAP'
  | 'PARTS_UNION_MISMATCH'
  | 'PUBLIC_KEY_INVALID'
  | 'PUBLIC_KEY_MISMATCH'
  | 'PUBLIC_KEY_NOT_FOUND'
  | 'SIGNATURE_INVALID'
  | 'SUBJECT_DIGEST_MISMATCH'
  | 'SUBJECT_MISMATCH'
  | 'TIMESTAMP_INVALID'
  | 'TIMESTAMP_MISSING'
  | 'TLOG_DUPLICATE_ENTRY'
  | 'TLOG_INVALID'
  | 'TLOG_THRESHOLD_NOT_MET'
  | 'VERIFICATION_FAILED'
  | 'VERIFICATION_MATERIAL_MISMATCH'
  // verify vsa: the summary is about another model, or says the verification failed.
  | 'VSA_SUBJECT_MISMATCH'
  | 'VSA_FAILED';

export type PolicyErrorCode =
  | 'CERTIFICATE_EXTENSION_MISMATCH'
  // A policy certificateAuthority signer's subject, SAN or extended key usage pin not met.
  | 'CERTIFICATE_IDENTITY_MISMATCH'
  | 'IDENTITY_MISMATCH'
  | 'ISSUER_MISMATCH'
  | 'LINEAGE_NOT_VERIFIED'
  // verify vsa: authentic, but not what this gate accepts.
  | 'VSA_POLICY_MISMATCH'
  | 'VSA_TOO_OLD'
  | 'VSA_VERIFIER_MISMATCH'
  | 'VSA_RESOURCE_MISMATCH'
  | 'VSA_KIND_MISMATCH'
  | 'VSA_LEVEL_MISMATCH'
  | 'VSA_UNTRUSTED_SIGNER';

export type IOErrorCode =
  | 'FILE_CHANGED_WHILE_HASHING'
  | 'FILE_NOT_FOUND'
  | 'FILE_UNREADABLE'
  | 'IDENTITY_TOKEN_UNAVAILABLE'
  | 'INTERRUPTED'
  | 'IO_ERROR'
  | 'OFFLINE_NETWORK_BLOCKED'
  | 'OIDC_PROVIDER_UNREACHABLE'
  | 'OIDC_SIGN_IN_FAILED'
  | 'OIDC_SIGN_IN_TIMEOUT'
  | 'SIGNING_SERVICE_ERROR'
  | 'SIGNING_SERVICE_UNREACHABLE';

export type InternalErrorCode = 'HASH_WORKER_FAILED' | 'INTERNAL' | 'KEYLESS_SIGNING_FAILED';

export type ErrorCode = InputErrorCode | VerificationErrorCode | PolicyErrorCode | IOErrorCode | InternalErrorCode;

/** The codes of one category. */
export interface ErrorCodeOf {
  readonly input: InputErrorCode;
  readonly verification: VerificationErrorCode;
  readonly policy: PolicyErrorCode;
  readonly io: IOErrorCode;
  readonly internal: InternalErrorCode;
}

export interface ErrorDetails {
  /** The file or resource the error is about, relative to the artifact when possible. */
  readonly path?: string;
  readonly cause?: unknown;
}

export abstract class AiprovError<Code extends ErrorCode = ErrorCode> extends Error {
  abstract readonly category: ErrorCategory;
  readonly path: string | undefined;

  constructor(
    readonly code: Code,
    message: string,
    details: ErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.path = details.path;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** The user gave something unusable: flags, a malformed bundle, a key that cannot be parsed. */
export class InputError extends AiprovError<InputErrorCode> {
  readonly category = 'input';
}

/** The evidence is there and is wrong: bad signature, tampered file, digest mismatch. */
export class VerificationError extends AiprovError<VerificationErrorCode> {
  readonly category = 'verification';
}

/** The evidence is authentic but not acceptable: untrusted signer, missing attestation. */
export class PolicyError extends AiprovError<PolicyErrorCode> {
  readonly category = 'policy';
}

/** A file could not be read or written, a service could not be reached. */
export class IOError extends AiprovError<IOErrorCode> {
  readonly category = 'io';
}

/** A bug in aiprov. */
export class InternalError extends AiprovError<InternalErrorCode> {
  readonly category = 'internal';
}

/**
 * Whether a value is an aiprov error. Prefer this to `instanceof AiprovError`: TypeScript narrows
 * `instanceof` on a generic class to `AiprovError<any>`, which would let an unchecked code through.
 */
export function isAiprovError(value: unknown): value is AiprovError {
  return value instanceof AiprovError;
}

export function exitStatusFor(category: ErrorCategory): number {
  return EXIT_STATUS[category];
}

/** Wraps anything thrown into an AiprovError so callers deal with exactly one type. */
export function asAiprovError(error: unknown): AiprovError {
  if (isAiprovError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new InternalError('INTERNAL', `unexpected error: ${message}`, { cause: error });
}

/** Re-codes a node:fs error (ENOENT, EACCES, …) as an IOError naming the path. */
export function ioErrorFrom(error: unknown, path: string, action: string): AiprovError {
  if (isAiprovError(error)) return error;
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = errno === 'ENOENT' ? 'no such file or directory' : errno === 'EACCES' || errno === 'EPERM' ? 'permission denied' : errno ?? (error instanceof Error ? error.message : String(error));
  const code = errno === 'ENOENT' ? 'FILE_NOT_FOUND' : errno === 'EACCES' || errno === 'EPERM' ? 'FILE_UNREADABLE' : 'IO_ERROR';
  return new IOError(code, `cannot ${action} ${path}: ${reason}`, { path, cause: error });
}

/**
 * The one escaping function for human output: untrusted text (file names, bundle fields,
 * certificate claims, messages that quote them) made safe to print. Every control character
 * (C0, DEL, C1: ANSI escapes, carriage return, newline), every format character (the bidi
 * overrides of "Trojan Source", CVE-2021-42574, and zero-width characters), lone surrogates (a
 * non-UTF-8 file name's bytes, see walk.ts `fileNameOf`) and the Unicode line
 * and paragraph separators are written as `\uXXXX`, so a file name cannot move the cursor,
 * repaint "FAILED" as "Verified", start a fake line, or look like another name (`a\nb` and `a b`
 * print differently). Long values are cut. JSON output is never passed through it: JSON's own
 * string escaping already keeps control characters out of the terminal, and values stay exact.
 */
export function printable(text: string, limit = 300): string {
  const escaped = text.replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu, (character) => `\\u${(character.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
  return escaped.length > limit ? `${escaped.slice(0, limit)}…` : escaped;
}
