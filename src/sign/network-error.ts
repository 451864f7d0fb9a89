/** Errno-style codes (ECONNREFUSED, EAI_AGAIN, ERR_TLS_…): Node's constants, safe to print. */
const ERRNO = /^E[A-Z_]+$/;

/**
 * Why a request got no HTTP answer, in words safe to print: the failure's code (ECONNREFUSED,
 * ENOTFOUND, …), "timed out", or "network error". Never the error's message, which can carry the
 * URL with its query, or a header.
 *
 * Two HTTP clients fail in different shapes. Node's fetch (undici), used for the OIDC endpoints,
 * rejects with TypeError('fetch failed') whose `cause` is the socket or TLS error, or, when an
 * `AbortSignal.timeout()` fires, with a DOMException named TimeoutError. make-fetch-happen, inside
 * @sigstore/sign, rejects with a FetchError that copies the system error's `code` onto itself
 * ('FETCH_ERROR' when there is none, so only an errno-style code says anything) and tells its
 * timeouts apart by `type`.
 */
export function networkReason(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? (error.cause as NodeJS.ErrnoException) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof error !== 'object' || error === null) return 'network error';
  const { code, name, type } = error as { code?: unknown; name?: unknown; type?: unknown };
  if (typeof code === 'string' && ERRNO.test(code)) return code;
  if (name === 'TimeoutError' || type === 'request-timeout' || type === 'body-timeout') return 'timed out';
  return 'network error';
}
