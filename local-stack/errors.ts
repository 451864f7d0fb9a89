/**
 * The local stack's one error class. It is test infrastructure, outside `src/`, so it does not use
 * the library's error hierarchy: a stable code and a message are all its callers need.
 */
export class LocalStackError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  override get name(): string {
    return 'LocalStackError';
  }
}
