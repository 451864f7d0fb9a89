/**
 * How to sign, from the files and services a user names: a key (alone or with its certificate
 * chain), or keyless Sigstore services. Where the identity token comes from is the caller's
 * business (`sign/identity-token.ts`): it may need the terminal or the environment.
 */
import { stat } from 'node:fs/promises';
import { platform } from 'node:os';
import { InputError } from '../errors.js';
import type { Finding } from '../findings.js';
import { parsePrivateKey } from '../format/keys.js';
import { readBoundedText } from '../input/read-bounded.js';
import type { SigningServices } from '../sign/keyless.js';
import { requireCertificateValidAt, type KeySigningMethod } from '../sign/signer.js';
import { readCertificateFiles, readKeyFile } from './key-material.js';
import { MAX_SIGNING_CONFIG_BYTES } from './limits.js';

export interface KeySigningOptions {
  readonly keyPath: string;
  readonly passphrase?: string;
  /** The key's certificate: the bundle then carries an x509CertificateChain. */
  readonly certificatePath?: string;
  /** Intermediate (and root) certificates written after the leaf. */
  readonly certificateChainPaths?: readonly string[];
  /** A timestamp authority to timestamp the signature (RFC 3161). */
  readonly tsaUrl?: string;
}

/** The private key's PEM text, so a caller can see whether it is encrypted before asking for a passphrase. */
export const readPrivateKeyFile = readKeyFile;

/**
 * A private key file that group or others may read is warned about, not refused (as `ssh`
 * would): keys reach CI as secret files that runners and orchestrators mount 0644 by default
 * (a Kubernetes secret volume, a file an Actions step wrote), and a refusal there would stop the
 * release while the exposure it reports has already happened. The warning names the mode and
 * says to treat the key as exposed. Windows has no such mode bits: nothing to check.
 */
export async function privateKeyFileFindings(keyPath: string): Promise<Finding[]> {
  if (platform() === 'win32') return [];
  let mode: number;
  try {
    mode = (await stat(keyPath)).mode & 0o777;
  } catch {
    return [];
  }
  if ((mode & 0o077) === 0) return [];
  return [{ code: 'PRIVATE_KEY_READABLE_BY_OTHERS', severity: 'warning', path: keyPath, fields: { value: `0${mode.toString(8).padStart(3, '0')}` } }];
}

export async function loadKeySigningMethod(options: KeySigningOptions, keyPem?: string): Promise<KeySigningMethod> {
  const privateKey = parsePrivateKey(keyPem ?? (await readKeyFile(options.keyPath)), options.keyPath, options.passphrase);
  if (options.certificatePath === undefined) {
    if (options.certificateChainPaths !== undefined) throw new InputError('USAGE', '--certificate-chain needs --certificate');
    return { kind: 'key', privateKey, ...(options.tsaUrl === undefined ? {} : { tsaUrl: options.tsaUrl }) };
  }
  const [leaf] = await readCertificateFiles([options.certificatePath]);
  // Before anything is hashed: without a TSA, the signature is checked at now (see signDssePayload).
  if (leaf !== undefined && options.tsaUrl === undefined) requireCertificateValidAt(leaf, new Date(), 'now');
  const chain = await readCertificateFiles(options.certificateChainPaths ?? []);
  return { kind: 'certificate', privateKey, certificateChain: [...(leaf === undefined ? [] : [leaf]), ...chain], ...(options.tsaUrl === undefined ? {} : { tsaUrl: options.tsaUrl }) };
}

export interface SigningServicesOptions {
  readonly staging?: boolean;
  /** A Sigstore SigningConfig v0.2 file naming Fulcio, Rekor and the TSA. */
  readonly signingConfigPath?: string;
  readonly fulcioUrl?: string;
  readonly rekorUrl?: string;
  readonly tsaUrl?: string;
  readonly oidcIssuer?: string;
}

/** Public-good (or staging) services, replaced by a signing config, then by single URLs. */
export async function loadSigningServices(options: SigningServicesOptions): Promise<SigningServices> {
  // Loaded only here: keyless.js pulls in @sigstore/sign and its HTTP stack (~170 ms of start-up),
  // which signing with a key never needs.
  const { loadSigningConfig, PUBLIC_GOOD_SERVICES, STAGING_SERVICES } = await import('../sign/keyless.js');
  let services = options.staging === true ? STAGING_SERVICES : PUBLIC_GOOD_SERVICES;
  if (options.signingConfigPath !== undefined) {
    const text = await readBoundedText(options.signingConfigPath, { maxBytes: MAX_SIGNING_CONFIG_BYTES, kind: 'SIGNING_CONFIG', what: 'signing config' });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new InputError('SIGNING_CONFIG_INVALID', `${options.signingConfigPath} is not JSON`, { path: options.signingConfigPath, cause: error });
    }
    services = loadSigningConfig(json);
  }
  return {
    ...services,
    ...(options.fulcioUrl === undefined ? {} : { fulcioUrl: options.fulcioUrl }),
    ...(options.rekorUrl === undefined ? {} : { rekorUrl: options.rekorUrl }),
    ...(options.tsaUrl === undefined ? {} : { tsaUrl: options.tsaUrl }),
    ...(options.oidcIssuer === undefined ? {} : { oidcIssuer: options.oidcIssuer }),
  };
}
