/**
 * `aiprov verify-bundle`: verify any Sigstore bundle for a file or a bare SHA-256 digest, the
 * sigstore-conformance client protocol's `verify-bundle` step. Reads the files it is given and
 * verifies; it never prints, never exits and never fetches.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { InputError, ioErrorFrom } from '../errors.js';
import { MAX_BUNDLE_BYTES } from '../format/bundle.js';
import { readBounded } from '../input/read-bounded.js';
import { parseSha256, type ArtifactInput } from '../verify/artifact-binding.js';
import { parsePublicKey } from '../verify/bundle-keys.js';
import { isEmptyPolicy, requireKeylessIdentity, type IdentityPolicy } from '../verify/identity.js';
import { verifySigstoreBundle, type SigstoreBundleVerification } from '../verify/sigstore-bundle.js';
import { loadTrustRoot, toVerifierTrustMaterial, type TrustRootChoice } from '../verify/trust.js';

/** Artifacts up to this size are read and verified as bytes; larger ones are hashed as a stream. */
const MAX_IN_MEMORY_ARTIFACT_BYTES = 256 * 1024 * 1024;
/** A PEM public key is a few hundred bytes. */
const MAX_PUBLIC_KEY_BYTES = 1024 * 1024;

export interface VerifyBundleFileOptions {
  readonly bundlePath: string;
  /** The artifact: a path, or `sha256:<64 hex>`. */
  readonly artifact: string;
  /** Who must have signed a keyless bundle; empty when verifying with a key. */
  readonly identity: IdentityPolicy;
  /** A PEM public key file: verify a key-signed bundle with it. */
  readonly publicKeyPath?: string;
  readonly trustRoot?: TrustRootChoice;
  readonly now?: Date;
}

export interface VerifyBundleFileResult extends SigstoreBundleVerification {
  readonly bundlePath: string;
  readonly artifactArgument: { readonly kind: 'file'; readonly path: string } | { readonly kind: 'digest'; readonly sha256: string };
  readonly trustRoot: { readonly source: string; readonly sha256: string };
}

export async function verifyBundleFile(options: VerifyBundleFileOptions): Promise<VerifyBundleFileResult> {
  const { identity } = options;
  if (options.publicKeyPath !== undefined) {
    if (!isEmptyPolicy(identity)) throw new InputError('USAGE', '--key cannot be combined with certificate identity flags');
  } else {
    requireKeylessIdentity(identity);
  }

  const artifactArgument = parseArtifactArgument(options.artifact);
  const trustRoot = await loadTrustRoot(options.trustRoot ?? {});
  const bundleBytes = await readBounded(options.bundlePath, { maxBytes: MAX_BUNDLE_BYTES, kind: 'BUNDLE', what: 'bundle' });
  const publicKey = options.publicKeyPath === undefined ? undefined : parsePublicKey((await readBounded(options.publicKeyPath, { maxBytes: MAX_PUBLIC_KEY_BYTES, kind: 'KEY', what: 'public key' })).toString('utf8'), options.publicKeyPath);
  const artifact = artifactArgument.kind === 'digest' ? { sha256: artifactArgument.sha256 } : await readArtifact(artifactArgument.path);

  const verification = verifySigstoreBundle({
    bundleJson: bundleBytes,
    artifact,
    trustMaterial: toVerifierTrustMaterial(trustRoot),
    ...(isEmptyPolicy(identity) ? {} : { identity }),
    ...(publicKey === undefined ? {} : { publicKey }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return { ...verification, bundlePath: options.bundlePath, artifactArgument, trustRoot: { source: trustRoot.source, sha256: trustRoot.sha256 } };
}

function parseArtifactArgument(argument: string): VerifyBundleFileResult['artifactArgument'] {
  if (!argument.startsWith('sha256:')) return { kind: 'file', path: argument };
  return { kind: 'digest', sha256: parseSha256(argument.slice('sha256:'.length)) };
}

/** Small files are verified as bytes (any signature algorithm); large ones by streamed SHA-256. */
async function readArtifact(path: string): Promise<ArtifactInput> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new InputError('ARTIFACT_NOT_FILE', `${path} is not a regular file`, { path });
    if (info.size <= MAX_IN_MEMORY_ARTIFACT_BYTES) return await readBounded(path, { maxBytes: MAX_IN_MEMORY_ARTIFACT_BYTES, kind: 'ARTIFACT', what: 'artifact' });
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path, { highWaterMark: 8 * 1024 * 1024 })) hash.update(chunk as Buffer);
    return { sha256: hash.digest('hex') };
  } catch (error) {
    throw ioErrorFrom(error, path, 'read artifact');
  }
}
