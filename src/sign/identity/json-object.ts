/**
 * A parsed JSON value that is an object (not null, not an array), so its members can be read.
 * The identity code checks every document it receives this way: a JWT's header and claims, and
 * the answers of GitHub Actions and of an OIDC provider.
 */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
