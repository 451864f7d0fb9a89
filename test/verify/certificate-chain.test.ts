import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerificationError } from '../../src/errors.js';
import { parseCertificates } from '../../src/format/certificates.js';
import { verifyCertificateChain } from '../../src/verify/certificate-chain.js';

/**
 * A small PKI made with openssl: root (pathlen 1) → intermediate (pathlen 0) → leaves of several
 * purposes, and a sub-CA the intermediate was not allowed to issue.
 */
describe('verifyCertificateChain', () => {
  let dir: string;
  const pem = (name: string): ReturnType<typeof parseCertificates>[number] => {
    const [certificate] = parseCertificates(readFileSync(join(dir, `${name}.pem`), 'utf8'), name);
    if (certificate === undefined) throw new Error(`no certificate ${name}`);
    return certificate;
  };

  function issue(name: string, issuer: string | undefined, extensions: string): void {
    const openssl = (...args: string[]): void => {
      execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    };
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`);
    writeFileSync(join(dir, `${name}.ext`), `[v3]\n${extensions}\n`);
    if (issuer === undefined) {
      openssl('req', '-new', '-x509', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-days', '30', '-out', `${name}.pem`, '-extensions', 'v3', '-config', `${name}.ext`);
      return;
    }
    openssl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`, '-config', `${name}.ext`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-days', '30', '-out', `${name}.pem`, '-extfile', `${name}.ext`, '-extensions', 'v3');
  }

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  beforeAll(() => {
    // Shared by every test of this file (not the per-test temporary directory).
    dir = mkdtempSync(join(tmpdir(), 'aiprov-pki-'));
    const ca = (pathlen: number): string => `basicConstraints=critical,CA:TRUE,pathlen:${String(pathlen)}\nkeyUsage=critical,keyCertSign,cRLSign`;
    issue('root', undefined, `${ca(1)}\nsubjectKeyIdentifier=hash`);
    issue('intermediate', 'root', ca(0));
    issue('code', 'intermediate', 'keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning');
    issue('tls', 'intermediate', 'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth');
    issue('encipher', 'intermediate', 'keyUsage=critical,keyEncipherment');
    issue('bare', 'intermediate', 'basicConstraints=CA:FALSE');
    issue('subca', 'intermediate', 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,digitalSignature');
    issue('selfsigned', undefined, 'keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning');
    issue('deep', 'subca', 'keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning');
    now = new Date(Date.now() + 1000);
  });

  // Set after the certificates exist: openssl starts their validity at the second of issue.
  let now: Date;
  const verify = (leaf: string, intermediates: string[]): string[] => verifyCertificateChain(pem(leaf), intermediates.map(pem), [pem('root')], now).map((certificate) => certificate.subject);

  it('accepts a code-signing leaf through the bundle\'s intermediate to the trusted root', () => {
    expect(verify('code', ['intermediate'])).toEqual(['CN=code', 'CN=intermediate', 'CN=root']);
  });

  it.each([
    ['a TLS server certificate (ExtendedKeyUsage without codeSigning)', 'tls'],
    ['a key-encipherment certificate (KeyUsage without digitalSignature)', 'encipher'],
    ['a certificate that declares no usage', 'bare'],
  ])('refuses %s', (_label, leaf) => {
    expect(() => verify(leaf, ['intermediate'])).toThrow(expect.objectContaining({ code: 'CERTIFICATE_USAGE_INVALID' }) as unknown);
  });

  it('refuses a chain longer than an issuer\'s path length constraint', () => {
    expect(() => verify('deep', ['subca', 'intermediate'])).toThrow(VerificationError);
    expect(() => verify('deep', ['subca', 'intermediate'])).toThrow(/allows 0 intermediate/);
  });

  it('refuses a leaf whose intermediate the bundle does not carry, and an expired reference time', () => {
    expect(() => verify('code', [])).toThrow(expect.objectContaining({ code: 'CERTIFICATE_CHAIN_INVALID' }) as unknown);
    expect(() => verifyCertificateChain(pem('code'), [pem('intermediate')], [pem('root')], new Date(now.getTime() + 90 * 24 * 3600 * 1000))).toThrow(expect.objectContaining({ code: 'CERTIFICATE_EXPIRED' }) as unknown);
  });

  it('accepts a self-signed signing leaf given as its own trust anchor (model_signing does), and only then', () => {
    expect(verifyCertificateChain(pem('selfsigned'), [], [pem('selfsigned')], now).map((certificate) => certificate.subject)).toEqual(['CN=selfsigned']);
    expect(() => verifyCertificateChain(pem('selfsigned'), [], [pem('root')], now)).toThrow(expect.objectContaining({ code: 'CERTIFICATE_CHAIN_INVALID' }) as unknown);
  });
});
