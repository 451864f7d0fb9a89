/**
 * The mark of bytes whose signature verified. Only `authenticateDsseBundle`
 * (`verify/verify-artifact.ts`) may make one: `npm run lint` (dependency-cruiser,
 * `only-authentication-marks-payloads`) refuses a value import of this module from anywhere
 * else, so that "authenticated" is never said of bytes nobody checked.
 */
declare const AUTHENTICATED_PAYLOAD: unique symbol;

/** Bytes whose DSSE signature verified against trust the verifier supplied. */
export type AuthenticatedPayload = Buffer & { readonly [AUTHENTICATED_PAYLOAD]: true };

/** Called once the DSSE signature over `payload` has verified, and never otherwise. */
export function markAuthenticated(payload: Buffer): AuthenticatedPayload {
  return payload as AuthenticatedPayload;
}
