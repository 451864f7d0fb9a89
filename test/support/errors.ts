import { expect } from 'vitest';
import { AiprovError, isAiprovError } from '../../src/errors.js';

/** The AiprovError a promise rejects with (fails the test if it resolves or throws anything else). */
export async function rejectionOf(promise: Promise<unknown>): Promise<AiprovError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AiprovError);
  return error as AiprovError;
}

/** The AiprovError `run` throws, or undefined when it returns (anything else is rethrown). */
export function errorOf(run: () => unknown): AiprovError | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (isAiprovError(error)) return error;
    throw error;
  }
}
