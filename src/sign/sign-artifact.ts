import { dirname, resolve } from 'node:path';
import { InputError, isAiprovError } from '../errors.js';
import { resolveArtifactPath } from '../hashing/hub-cache.js';
import { computeRootDigest, type Manifest } from '../manifest/manifest.js';
import { buildOmsStatement } from '../statement/oms.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../statement/statement.js';
import { readBounded } from '../input/read-bounded.js';
import { MAX_BUNDLE_BYTES, parseBundle, type BundleJson } from '../format/bundle.js';
import { ARTIFACT_KINDS, artifactFiles, pathInsideArtifact, type ArtifactFiles, type ArtifactKind } from '../format/artifact-kind.js';
import type { Finding } from '../findings.js';
import { entryExists, removeStaleTemporaryFiles, writeFileAtomic } from '../format/atomic-write.js';
import { manifestToSign, requireSomeResource, type ArtifactManifestOptions } from './artifact-manifest.js';
import { IncrementalHashing, type DigestCacheOptions, type IncrementalOutcome } from './digest-cache/incremental.js';
import { signDssePayload, type SigningMethod } from './signer.js';

export interface SignArtifactOptions extends ArtifactManifestOptions {
  readonly signingMethod: SigningMethod;
  /** Where to write the bundle; defaults to the kind's signature file (see `artifactFiles`). */
  readonly signaturePath?: string;
  /**
   * The statement's subject name; defaults to the folder or file name. A Hugging Face snapshot
   * folder is named after its commit, not after the model.
   */
  readonly name?: string;
  /**
   * Reuse the digests of files unchanged since they were last hashed here (`sign --incremental`):
   * the cache directory, e.g. `digestCacheDirectory(env)`. See README, "Incremental signing".
   * Not with `manifestSource`, which hashes nothing.
   */
  readonly digestCache?: DigestCacheOptions;
  /**
   * Produces the manifest instead of hashing the artifact (`sign --manifest`: a manifest merged
   * from parts hashed elsewhere, checked against the artifact first). Everything else about
   * signing, the name, the checks and where the bundle goes, stays as it is.
   */
  readonly manifestSource?: (artifactPath: string, signaturePath: string) => Promise<Manifest>;
}

export interface SignArtifactResult {
  readonly signaturePath: string;
  readonly manifest: Manifest;
  readonly rootDigest: string;
  readonly bundle: BundleJson;
  /** With `digestCache`: how many resources were reused and hashed, and warnings about the cache. */
  readonly incremental?: IncrementalOutcome;
  /** About the artifact, not the signature: another kind's signature already in the folder. */
  readonly warnings: readonly Finding[];
}

/** hash → manifest → statement → sign → write. */
export async function signArtifact(artifactReference: string, options: SignArtifactOptions): Promise<SignArtifactResult> {
  const artifactPath = await resolveArtifactPath(artifactReference, options.hubEnvironment);
  const files = await artifactFiles(artifactPath, options.kind);
  const signaturePath = options.signaturePath === undefined ? files.signaturePath : resolve(options.signaturePath);
  await refuseSignatureOverContent(artifactPath, files, signaturePath);
  const warnings = await otherKindSignatures(artifactPath, files, options.kind ?? 'model', signaturePath);
  // Leftovers of a sign killed before its rename: walks skip them, but they should not pile up.
  await removeStaleTemporaryFiles(dirname(signaturePath));
  if (options.name?.trim() === '') throw new InputError('USAGE', 'the subject name (--name) must not be empty');
  if (options.digestCache !== undefined && options.manifestSource !== undefined) throw new InputError('USAGE', 'a digest cache has nothing to do when the manifest is given (manifestSource): nothing is hashed');
  const incremental = options.digestCache === undefined ? undefined : new IncrementalHashing(options.digestCache, artifactPath);
  const computed = options.manifestSource === undefined ? await manifestToSign(artifactPath, { ...options, signaturePath, ...(incremental === undefined ? {} : { knownDigests: incremental.open }) }) : await options.manifestSource(artifactPath, signaturePath);
  const manifest = options.name === undefined ? computed : { ...computed, name: options.name };
  // A manifest given by `manifestSource` (`sign --manifest`) is checked here too.
  requireSomeResource(artifactPath, manifest.resources.length);
  const payload = Buffer.from(JSON.stringify(buildOmsStatement(manifest)), 'utf8');
  const bundle = await signDssePayload(payload, IN_TOTO_PAYLOAD_TYPE, options.signingMethod);
  options.signal?.throwIfAborted();
  await writeFileAtomic(signaturePath, `${JSON.stringify(bundle)}\n`);
  return { signaturePath, manifest, rootDigest: computeRootDigest(manifest.resources), bundle, ...(incremental === undefined ? {} : { incremental: incremental.outcome() }), warnings };
}

/**
 * A folder that already holds another kind's signature (`model.sig` when signing `--kind
 * dataset`) was most likely signed before under the wrong `--kind`, or is being now. Not an error:
 * a folder may be signed as more than one kind, and each signature leaves the others out.
 */
async function otherKindSignatures(artifactPath: string, files: ArtifactFiles, kind: ArtifactKind, signaturePath: string): Promise<Finding[]> {
  if (!files.isDirectory) return [];
  const warnings: Finding[] = [];
  for (const other of ARTIFACT_KINDS) {
    const path = resolve(artifactPath, `${other}.sig`);
    if (other === kind || path === signaturePath || !(await entryExists(path))) continue;
    warnings.push({ code: 'OTHER_KIND_SIGNATURE', severity: 'warning', path: `${other}.sig`, fields: { value: kind } });
  }
  return warnings;
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
