import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AiprovError } from '../../../src/errors.js';
import { startLocalOidcProvider, type LocalOidcProvider } from '../../../local-stack/index.js';
import { parseIdentityToken } from '../../../src/sign/identity/jwt.js';
import { base64urlJson, unsignedJwt } from '../../support/jwt.js';

let oidc: LocalOidcProvider;

beforeAll(async () => {
  oidc = await startLocalOidcProvider();
});

afterAll(async () => {
  await oidc.close();
});

function thrown(fn: () => unknown): AiprovError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AiprovError);
    return error as AiprovError;
  }
  throw new Error('expected a throw');
}

describe('parseIdentityToken', () => {
  it('accepts a JWT with iss and sub, and prefers email as the subject', () => {
    expect(parseIdentityToken(unsignedJwt({ iss: 'https://i.example', sub: 's' }))).toMatchObject({ issuer: 'https://i.example', subject: 's' });
    expect(parseIdentityToken(unsignedJwt({ iss: 'https://i.example', sub: 's', email: 'e@example.com' })).subject).toBe('e@example.com');
    expect(parseIdentityToken(oidc.mintIdentityToken('x@example.com')).issuer).toBe(oidc.issuer);
  });

  it.each([
    ['empty', ''],
    ['one part', 'abcdef'],
    ['two parts', `${base64urlJson({ alg: 'none' })}.${base64urlJson({ iss: 'i', sub: 's' })}`],
    ['four parts', `${base64urlJson({ alg: 'none' })}.${base64urlJson({ iss: 'i', sub: 's' })}.sig.extra`],
    ['not base64url', `${base64urlJson({ alg: 'none' })}.${base64urlJson({ iss: 'i', sub: 's' })}+/=.sig`],
    ['payload not JSON', `${base64urlJson({ alg: 'none' })}.${Buffer.from('nope').toString('base64url')}.sig`],
    ['payload an array', `${base64urlJson({ alg: 'none' })}.${base64urlJson(['iss'])}.sig`],
    ['header not JSON', `${Buffer.from('nope').toString('base64url')}.${base64urlJson({ iss: 'i', sub: 's' })}.sig`],
    ['no iss', unsignedJwt({ sub: 's' })],
    ['no sub or email', unsignedJwt({ iss: 'https://i.example' })],
  ])('rejects a token with %s as IDENTITY_TOKEN_INVALID, without echoing it', (_why, token) => {
    const error = thrown(() => parseIdentityToken(token));
    expect(error.category).toBe('input');
    expect(error.code).toBe('IDENTITY_TOKEN_INVALID');
    if (token.length > 0) expect(error.message).not.toContain(token);
  });
});
