/**
 * Parsing an OIDC identity token, a JWT (RFC 7519), far enough to name its issuer and subject.
 * The signature is not checked here: Fulcio does that against the issuer's keys. The point is to
 * fail early and clearly, without echoing the token (which @sigstore/sign's own parse error would
 * do): the token is a bearer credential.
 */
import { InputError } from '../../errors.js';
import { isJsonObject } from '../../input/json-object.js';

export interface IdentityTokenClaims {
  readonly issuer: string;
  readonly subject: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Generous for any real JWT (GitHub's are ~1.5 kB); bounds what we decode. */
const MAX_TOKEN_BYTES = 64 * 1024;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Checks that a token is a JWT (RFC 7519 §7.2: three base64url parts, the second a JSON object)
 * naming an issuer and a subject.
 */
export function parseIdentityToken(token: string): IdentityTokenClaims {
  const invalid = (why: string): InputError => new InputError('IDENTITY_TOKEN_INVALID', `the identity token is not a usable JWT: ${why}`);
  if (token.length === 0) throw invalid('it is empty');
  if (token.length > MAX_TOKEN_BYTES) throw invalid(`it is longer than ${MAX_TOKEN_BYTES} bytes`);
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid(`it has ${parts.length} dot-separated parts, not 3`);
  // An unsecured JWT (RFC 7519 §6) has an empty signature part; the header and payload never are.
  const [header = '', payload = ''] = parts;
  if (header === '' || payload === '' || !parts.every((part) => BASE64URL.test(part))) throw invalid('its parts are not base64url');

  const decode = (part: string): unknown => {
    try {
      return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
  };
  if (!isJsonObject(decode(header))) throw invalid('its header is not a JSON object');
  const claims = decode(payload);
  if (!isJsonObject(claims)) throw invalid('its payload is not a JSON object');

  const issuer = claims['iss'];
  if (typeof issuer !== 'string' || issuer === '') throw invalid('it has no "iss" claim');
  // Fulcio certifies the email when the token has one, else the subject.
  const email = claims['email'];
  const sub = claims['sub'];
  const subject = typeof email === 'string' && email !== '' ? email : typeof sub === 'string' && sub !== '' ? sub : undefined;
  if (subject === undefined) throw invalid('it has neither a "sub" nor an "email" claim');
  return { issuer, subject, claims };
}
