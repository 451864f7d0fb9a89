import { relative, resolve, sep } from 'node:path';
import { computeManifestWith, resolveSerialization, type ManifestOptions } from '../manifest/compute.js';
import { computeRootDigest, type Manifest } from '../manifest/manifest.js';
import { buildOmsStatement } from '../statement/oms.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../statement/statement.js';
import type { BundleJson } from '../verify/bundle.js';
import { artifactFiles, type ArtifactKind } from './artifact-kind.js';
import { writeFileAtomic } from './atomic-write.js';
import { signDssePayload, type SigningMethod } from './signer.js';

/** The path of `file` relative to a directory artifact, when it lies inside it. */
export function pathInsideArtifact(artifactPath: string, file: string): string | undefined {
  const rel = relative(resolve(artifactPath), resolve(file));
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || resolve(rel) === rel) return undefined;
  return rel.split(sep).join('/');
}

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

/**
 * The files beside the content that are never part of it: the signature and the attestations
 * file. Both are recorded in `ignore_paths` (even before the attestations file exists), so that
 * attesting later or verifying never hashes them.
 */
export function metadataIgnorePaths(artifactPath: string, signaturePath: string, attestationsPath: string): string[] {
  return [signaturePath, attestationsPath].map((path) => pathInsideArtifact(artifactPath, path)).filter((path): path is string => path !== undefined);
}

/** hash → manifest → statement → sign → write. */
export async function signArtifact(artifactPath: string, options: SignArtifactOptions): Promise<SignArtifactResult> {
  const files = await artifactFiles(artifactPath, options.kind);
  const signaturePath = options.signaturePath === undefined ? files.signaturePath : resolve(options.signaturePath);
  const serialization = resolveSerialization(options, metadataIgnorePaths(artifactPath, signaturePath, files.attestationsPath));
  const manifest = await computeManifestWith(artifactPath, serialization, options);
  const payload = Buffer.from(JSON.stringify(buildOmsStatement(manifest)), 'utf8');
  const bundle = await signDssePayload(payload, IN_TOTO_PAYLOAD_TYPE, options.signingMethod);
  options.signal?.throwIfAborted();
  await writeFileAtomic(signaturePath, `${JSON.stringify(bundle)}\n`);
  return { signaturePath, manifest, rootDigest: computeRootDigest(manifest.resources), bundle };
}
