import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CURVE_NAMES = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' } as const;

export interface Pki {
  /** root (CA) → intermediate (CA) → leaf (code signing): `<name>.pem` and `<name>.key`. */
  readonly root: string;
  readonly intermediate: string;
  readonly leaf: string;
  readonly leafKey: string;
  /** A self-signed code-signing certificate and its key. */
  readonly selfSigned: string;
  readonly selfSignedKey: string;
}

/** A small PKI made with openssl (PKCS#8 keys, as model_signing reads them). */
export function makePki(dir: string, curve: keyof typeof CURVE_NAMES = 'P-256'): Pki {
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  const issue = (name: string, issuer: string | undefined, extensions: string): void => {
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${CURVE_NAMES[curve]}`, '-out', `${name}.key`);
    writeFileSync(join(dir, `${name}.ext`), `[req]\ndistinguished_name=dn\n[dn]\n[v3]\n${extensions}\n`);
    if (issuer === undefined) {
      openssl('req', '-new', '-x509', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-days', '30', '-out', `${name}.pem`, '-extensions', 'v3', '-config', `${name}.ext`);
      return;
    }
    openssl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`, '-config', `${name}.ext`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-days', '30', '-out', `${name}.pem`, '-extfile', `${name}.ext`, '-extensions', 'v3');
  };
  const ca = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign';
  const signing = 'keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning';
  issue('root', undefined, ca);
  issue('intermediate', 'root', ca);
  issue('leaf', 'intermediate', signing);
  issue('selfsigned', undefined, signing);
  const path = (name: string): string => join(dir, name);
  return { root: path('root.pem'), intermediate: path('intermediate.pem'), leaf: path('leaf.pem'), leafKey: path('leaf.key'), selfSigned: path('selfsigned.pem'), selfSignedKey: path('selfsigned.key') };
}

/** openssl extension lines of a CA and of a code-signing leaf. */
export const CA_EXTENSIONS = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign';
export const SIGNING_EXTENSIONS = 'keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning';

export interface CertificateRequest {
  /** `<issuer>.pem` and `<issuer>.key` in `dir`; self-signed when absent. */
  readonly issuer?: string;
  /** An openssl `-subj` value; `/` for an empty subject (RFC 5280 §4.1.2.6). Default `/CN=<name>`. */
  readonly subject?: string;
  /** openssl v3 extension lines. */
  readonly extensions: string;
  /** Validity bounds as openssl writes them (`YYYYMMDDHHMMSSZ`); default now for 30 days. */
  readonly startDate?: string;
  readonly endDate?: string;
}

/** An openssl time (`YYYYMMDDHHMMSSZ`) `days` from now (negative: in the past). */
export function opensslTime(days: number): string {
  return `${new Date(Date.now() + days * 86_400_000).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/**
 * One certificate with its own key, `<name>.pem` and `<name>.key` in `dir`, issued with
 * `openssl ca` so that its subject, extensions and validity dates (also in the past) are exactly
 * the ones asked for. Returns the certificate's path.
 */
export function issueCertificate(dir: string, name: string, request: CertificateRequest): string {
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', `${name}.key`);
  writeFileSync(join(dir, `${name}.db`), '');
  writeFileSync(join(dir, `${name}.cnf`), [
    '[req]', 'distinguished_name=dn', 'prompt=no', '[dn]',
    '[ca]', 'default_ca=this', '[this]', `database=${name}.db`, 'new_certs_dir=.', 'default_md=sha256', 'policy=anything', 'unique_subject=no', 'email_in_dn=no', 'rand_serial=yes',
    // `openssl ca` drops every subject field its policy does not name.
    '[anything]', 'commonName=optional', 'organizationName=optional', 'organizationalUnitName=optional', 'countryName=optional', '[v3]', request.extensions, '',
  ].join('\n'));
  openssl('req', '-new', '-key', `${name}.key`, '-subj', request.subject ?? `/CN=${name}`, '-out', `${name}.csr`, '-config', `${name}.cnf`);
  const signer = request.issuer === undefined ? ['-selfsign', '-keyfile', `${name}.key`] : ['-cert', `${request.issuer}.pem`, '-keyfile', `${request.issuer}.key`];
  openssl('ca', '-batch', '-notext', '-config', `${name}.cnf`, '-extensions', 'v3', ...signer, '-in', `${name}.csr`, '-out', `${name}.pem`, '-startdate', request.startDate ?? opensslTime(0), '-enddate', request.endDate ?? opensslTime(30));
  return join(dir, `${name}.pem`);
}
