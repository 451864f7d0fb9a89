/**
 * One error hierarchy for the whole library. Every failure aiprov reports carries a stable
 * SCREAMING_SNAKE code and belongs to exactly one category; the category alone decides the
 * process exit status (see `exitStatusFor`). Errors from `@sigstore/*`, zod and node:fs are
 * re-coded at the boundary where they are caught, with the original kept as `cause`.
 */

export type ErrorCategory = 'input' | 'verification' | 'policy' | 'io' | 'internal';

/** Exit statuses of DESIGN.md; the only place they are defined. */
const EXIT_STATUS: Readonly<Record<ErrorCategory, number>> = {
  verification: 1,
  input: 2,
  policy: 3,
  io: 4,
  internal: 70,
};

export const EXIT_OK = 0;

export interface ErrorDetails {
  /** The file or resource the error is about, relative to the artifact when possible. */
  readonly path?: string;
  readonly cause?: unknown;
}

export abstract class AiprovError extends Error {
  abstract readonly category: ErrorCategory;
  readonly path: string | undefined;

  constructor(
    readonly code: string,
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
export class InputError extends AiprovError {
  readonly category = 'input';
}

/** The evidence is there and is wrong: bad signature, tampered file, digest mismatch. */
export class VerificationError extends AiprovError {
  readonly category = 'verification';
}

/** The evidence is authentic but not acceptable: untrusted signer, missing attestation. */
export class PolicyError extends AiprovError {
  readonly category = 'policy';
}

/** A file could not be read or written, a service could not be reached. */
export class IOError extends AiprovError {
  readonly category = 'io';
}

/** A bug in aiprov. */
export class InternalError extends AiprovError {
  readonly category = 'internal';
}

export function exitStatusFor(category: ErrorCategory): number {
  return EXIT_STATUS[category];
}

/** Wraps anything thrown into an AiprovError so callers deal with exactly one type. */
export function asAiprovError(error: unknown): AiprovError {
  if (error instanceof AiprovError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new InternalError('INTERNAL', `unexpected error: ${message}`, { cause: error });
}

/** Re-codes a node:fs error (ENOENT, EACCES, …) as an IOError naming the path. */
export function ioErrorFrom(error: unknown, path: string, action: string): AiprovError {
  if (error instanceof AiprovError) return error;
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = errno === 'ENOENT' ? 'no such file or directory' : errno === 'EACCES' || errno === 'EPERM' ? 'permission denied' : errno ?? (error instanceof Error ? error.message : String(error));
  const code = errno === 'ENOENT' ? 'FILE_NOT_FOUND' : errno === 'EACCES' || errno === 'EPERM' ? 'FILE_UNREADABLE' : 'IO_ERROR';
  return new IOError(code, `cannot ${action} ${path}: ${reason}`, { path, cause: error });
}

/**
 * Untrusted text (file names, bundle fields, certificate claims) made safe to print: control
 * characters are escaped, so a file name cannot move the cursor and repaint "FAILED" as
 * "Verified" on a terminal, and long values are cut.
 */
export function printable(text: string, limit = 300): string {
  const escaped = text.replace(/\p{Cc}/gu, (character) => `\\u${(character.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
  return escaped.length > limit ? `${escaped.slice(0, limit)}…` : escaped;
}
