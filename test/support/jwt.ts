/** A JSON value as one base64url part of a JWT. */
export const base64urlJson = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsecured JWT (RFC 7519 §6, `alg: none`): enough for the checks made before Fulcio. */
export const unsignedJwt = (claims: Record<string, unknown>): string => `${base64urlJson({ alg: 'none', typ: 'JWT' })}.${base64urlJson(claims)}.`;
