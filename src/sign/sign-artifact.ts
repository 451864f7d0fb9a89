import { dirname, resolve } from 'node:path';
import { InputError, isAiprovError } from '../errors.js';
import { computeManifestWith, resolveSerialization, type ManifestOptions } from '../manifest/compute.js';
import { computeRootDigest, type Manifest } from '../manifest/manifest.js';
import { buildOmsStatement } from '../statement/oms.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../statement/statement.js';
import { readBounded } from '../input/read-bounded.js';
import { MAX_BUNDLE_BYTES, parseBundle, type BundleJson } from '../format/bundle.js';
import { artifactFiles, metadataIgnorePaths, pathInsideArtifact, type ArtifactFiles, type ArtifactKind } from '../format/artifact-kind.js';
import { entryExists, removeStaleTemporaryFiles, writeFileAtomic } from '../format/atomic-write.js';
import { signDssePayload, type SigningMethod } from './signer.js';

export interface SignArtifactOptions extends ManifestOptions {
  readonly signingMethod: SigningMethod;
  /** Names the default signature file (`<kind>.sig`); default model. */
  readonly kind?: ArtifactKind;
  /** Where to write the bundle; defaults to the kind's signature file (see `artifactFiles`). */
  readonly signaturePath?: string;
}

export interface SignArtifactResult {
  readonly signaturePath: string;
  readonly manifest: Manifest;
  readonly rootDigest: string;
  readonly bundle: BundleJson;
}

/** hash → manifest → statement → sign → write. */
export async function signArtifact(artifactPath: string, options: SignArtifactOptions): Promise<SignArtifactResult> {
  const files = await artifactFiles(artifactPath, options.kind);
  const signaturePath = options.signaturePath === undefined ? files.signaturePath : resolve(options.signaturePath);
  await refuseSignatureOverContent(artifactPath, files, signaturePath);
  // Leftovers of a sign killed before its rename: walks skip them, but they should not pile up.
  await removeStaleTemporaryFiles(dirname(signaturePath));
  const serialization = resolveSerialization(options, metadataIgnorePaths(artifactPath, signaturePath, files.attestationsPath, files.evidencePath));
  const manifest = await computeManifestWith(artifactPath, serialization, options);
  // Verification refuses a manifest without resources (it vouches for nothing); never write one.
  if (manifest.resources.length === 0) throw new InputError('MANIFEST_EMPTY', `nothing to sign in ${artifactPath}: it has no files, or every file is ignored`, { path: artifactPath });
  const payload = Buffer.from(JSON.stringify(buildOmsStatement(manifest)), 'utf8');
  const bundle = await signDssePayload(payload, IN_TOTO_PAYLOAD_TYPE, options.signingMethod);
  options.signal?.throwIfAborted();
  await writeFileAtomic(signaturePath, `${JSON.stringify(bundle)}\n`);
  return { signaturePath, manifest, rootDigest: computeRootDigest(manifest.resources), bundle };
}

/**
 * `--signature` naming a file of the artifact would overwrite that file with the bundle (and,
 * being recorded in `ignore_paths`, leave it out of the signature too). Refused: the artifact
 * itself, its attestations file, and any existing file inside the artifact that is not already a
 * bundle (re-signing over an earlier signature stays possible).
 */
async function refuseSignatureOverContent(artifactPath: string, files: ArtifactFiles, signaturePath: string): Promise<void> {
  const refuse = (why: string): InputError => new InputError('SIGNATURE_PATH_INVALID', `--signature ${signaturePath} ${why}; choose a new file name`, { path: signaturePath });
  if (signaturePath === resolve(artifactPath)) throw refuse('is the artifact itself');
  if (signaturePath === files.attestationsPath) throw refuse('is the attestations file');
  if (!files.isDirectory || pathInsideArtifact(artifactPath, signaturePath) === undefined || !(await entryExists(signaturePath))) return;
  try {
    parseBundle(await readBounded(signaturePath, { maxBytes: MAX_BUNDLE_BYTES, kind: 'BUNDLE', what: 'signature' }), signaturePath);
  } catch (error) {
    if (isAiprovError(error) && error.category === 'input') throw refuse('is a file of the artifact, not a signature');
    throw error;
  }
}
