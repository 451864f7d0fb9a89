/**
 * A parsed JSON value that is an object (not null, not an array), so its members can be read.
 * Every untyped document is checked this way before a member is read: a JWT's header and claims,
 * the answers of GitHub Actions and of an OIDC provider, a policy before its relations are checked.
 */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
