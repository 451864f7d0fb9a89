import { inspect } from 'node:util';
import { AiprovError, isAiprovError, InputError, InternalError, IOError, PolicyError, VerificationError, type ErrorCategory, type ErrorCodeOf } from '../errors.js';
import type { HashJob, HashProgress, StreamTotals } from './hash-jobs.js';
import type { HashType } from './hash-type.js';
import type { WalkOptions } from './walk.js';

/**
 * The messages between the pool (main thread) and its hashing workers. Everything crosses the
 * thread boundary by structured clone, so only plain data is sent: no class instances, no
 * functions, and errors as their fields (see `toTransferredError`).
 */

/** `workerData` of a hashing worker. */
export interface HashWorkerConfig {
  readonly hashType: HashType;
}

/** A job and its position in the caller's job list (digests are returned in that order). */
export interface IndexedJob {
  readonly index: number;
  readonly job: HashJob;
}

/** Main thread -> worker: hash these jobs, in this order. */
export interface BatchMessage {
  readonly type: 'batch';
  readonly jobs: readonly IndexedJob[];
}

/**
 * Worker -> main thread. `bytes` counts bytes hashed since the previous message, so the sum over
 * all messages is the total work and the main thread can report progress inside large jobs.
 */
export type WorkerMessage =
  | { readonly type: 'progress'; readonly bytes: number }
  | {
      readonly type: 'done';
      readonly bytes: number;
      readonly indices: readonly number[];
      /** The batch's digests back to back, `digestLength` bytes each, in `indices` order. */
      readonly digests: Uint8Array;
      readonly digestLength: number;
    }
  | { readonly type: 'failed'; readonly error: TransferredError };

/** `workerData` of the listing worker (`listing-worker.ts`). */
export interface ListingWorkerConfig {
  readonly artifactPath: string;
  readonly walkOptions: WalkOptions;
  readonly hashType: HashType;
  readonly shardSize: number | undefined;
  /** Whether to send progress (only when someone shows it). */
  readonly progress: boolean;
  /** Send digests only, not the names and ranges (a root digest needs nothing else). */
  readonly digestsOnly: boolean;
}

/** Listing worker -> main thread: resources in OMS order, in batches. */
export type ListingWorkerMessage =
  | {
      readonly type: 'resources';
      readonly count: number;
      /** Empty when `digestsOnly`. */
      readonly files: readonly string[];
      readonly starts: readonly number[];
      readonly ends: readonly number[];
      /** The digests back to back, `digestLength` bytes each, in `files` order. */
      readonly digests: Uint8Array;
      readonly digestLength: number;
    }
  | { readonly type: 'progress'; readonly progress: HashProgress & StreamTotals }
  | { readonly type: 'done' }
  | { readonly type: 'failed'; readonly error: TransferredError };

/** An error as plain data: what survives a structured clone and lets the main thread re-create it. */
export interface TransferredError {
  readonly category?: ErrorCategory;
  readonly code?: string;
  readonly message: string;
  readonly path?: string;
  /** The original cause's message and errno code (ENOENT, EACCES, …), if there was one. */
  readonly cause?: { readonly message: string; readonly code?: string };
}

/** Packs a thrown value for `postMessage`. */
export function toTransferredError(error: unknown): TransferredError {
  const cause = error instanceof Error ? describeCause(error.cause) : undefined;
  const withCause = cause === undefined ? {} : { cause };
  if (isAiprovError(error)) {
    return { category: error.category, code: error.code, message: error.message, ...(error.path === undefined ? {} : { path: error.path }), ...withCause };
  }
  return { message: error instanceof Error ? error.message : String(error), ...withCause };
}

function describeCause(cause: unknown): TransferredError['cause'] {
  if (cause === undefined) return undefined;
  if (!(cause instanceof Error)) return { message: inspect(cause) };
  const code = (cause as NodeJS.ErrnoException).code;
  return { message: cause.message, ...(typeof code === 'string' ? { code } : {}) };
}

/**
 * Re-creates a worker's error on the main thread with the same class (the category decides the
 * class, hence the exit status), code, message and path, so a caller cannot tell whether a file
 * was hashed on a worker or on the main thread. Anything that was not an AiprovError is a bug in
 * the worker and becomes HASH_WORKER_FAILED.
 */
export function fromTransferredError(transferred: TransferredError): AiprovError {
  const details = {
    ...(transferred.path === undefined ? {} : { path: transferred.path }),
    ...(transferred.cause === undefined ? {} : { cause: Object.assign(new Error(transferred.cause.message), transferred.cause.code === undefined ? {} : { code: transferred.cause.code }) }),
  };
  if (transferred.category === undefined || transferred.code === undefined) {
    return new InternalError('HASH_WORKER_FAILED', `a hashing worker failed: ${transferred.message}`, details);
  }
  const { code, message } = transferred;
  // The worker sent this pair from a real AiprovError of that category (toTransferredError):
  // the code is one of the category's codes.
  switch (transferred.category) {
    case 'input':
      return new InputError(code as ErrorCodeOf['input'], message, details);
    case 'verification':
      return new VerificationError(code as ErrorCodeOf['verification'], message, details);
    case 'policy':
      return new PolicyError(code as ErrorCodeOf['policy'], message, details);
    case 'io':
      return new IOError(code as ErrorCodeOf['io'], message, details);
    case 'internal':
      return new InternalError(code as ErrorCodeOf['internal'], message, details);
  }
}
