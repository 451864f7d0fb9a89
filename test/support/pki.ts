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
