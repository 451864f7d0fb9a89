/**
 * How to sign, from the files and services a user names: a key (alone or with its certificate
 * chain), or keyless Sigstore services. Where the identity token comes from is the caller's
 * business (`sign/identity-token.ts`): it may need the terminal or the environment.
 */
import { InputError } from '../errors.js';
import { parsePrivateKey } from '../format/keys.js';
import { readBoundedText } from '../input/read-bounded.js';
import { loadSigningConfig, PUBLIC_GOOD_SERVICES, STAGING_SERVICES, type SigningServices } from '../sign/keyless.js';
import type { KeySigningMethod } from '../sign/signer.js';
import { readCertificateFiles, readKeyFile } from './artifact-trust.js';
import { MAX_SIGNING_CONFIG_BYTES } from './limits.js';

export interface KeySigningOptions {
  readonly keyPath: string;
  readonly passphrase?: string;
  /** The key's certificate: the bundle then carries an x509CertificateChain. */
  readonly certificatePath?: string;
  /** Intermediate (and root) certificates written after the leaf. */
  readonly certificateChainPaths?: readonly string[];
}

/** The private key's PEM text, so a caller can see whether it is encrypted before asking for a passphrase. */
export const readPrivateKeyFile = readKeyFile;

export async function loadKeySigningMethod(options: KeySigningOptions, keyPem?: string): Promise<KeySigningMethod> {
  const privateKey = parsePrivateKey(keyPem ?? (await readKeyFile(options.keyPath)), options.keyPath, options.passphrase);
  if (options.certificatePath === undefined) {
    if (options.certificateChainPaths !== undefined) throw new InputError('USAGE', '--certificate-chain needs --certificate');
    return { kind: 'key', privateKey };
  }
  const [leaf] = await readCertificateFiles([options.certificatePath]);
  const chain = await readCertificateFiles(options.certificateChainPaths ?? []);
  return { kind: 'certificate', privateKey, certificateChain: [...(leaf === undefined ? [] : [leaf]), ...chain] };
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
