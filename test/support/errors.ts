import { expect } from 'vitest';
import { AiprovError } from '../../src/errors.js';

/** The AiprovError a promise rejects with (fails the test if it resolves or throws anything else). */
export async function rejectionOf(promise: Promise<unknown>): Promise<AiprovError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AiprovError);
  return error as AiprovError;
}
