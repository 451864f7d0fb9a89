import { stat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { ioErrorFrom } from '../errors.js';
import { computeManifestWith, resolveSerialization, type ManifestOptions } from '../manifest/compute.js';
import { computeRootDigest, type Manifest } from '../manifest/manifest.js';
import { buildOmsStatement } from '../statement/oms.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../statement/statement.js';
import type { BundleJson } from '../verify/bundle.js';
import { writeFileAtomic } from './atomic-write.js';
import { signDsseBundle, type SigningMethod } from './signer.js';

/** The OMS default signature name inside a model directory. */
export const DEFAULT_SIGNATURE_NAME = 'model.sig';

/** `model.sig` inside a directory, `<file>.sig` beside a single file. */
export async function defaultSignaturePath(artifactPath: string): Promise<string> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(artifactPath)).isDirectory();
  } catch (error) {
    throw ioErrorFrom(error, artifactPath, 'read artifact');
  }
  return isDirectory ? resolve(artifactPath, DEFAULT_SIGNATURE_NAME) : `${resolve(artifactPath)}.sig`;
}

/** The path of `file` relative to a directory artifact, when it lies inside it. */
export function pathInsideArtifact(artifactPath: string, file: string): string | undefined {
  const rel = relative(resolve(artifactPath), resolve(file));
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || resolve(rel) === rel) return undefined;
  return rel.split(sep).join('/');
}

export interface SignArtifactOptions extends ManifestOptions {
  readonly signingMethod: SigningMethod;
  /** Where to write the bundle; defaults to `defaultSignaturePath`. */
  readonly signaturePath?: string;
}

export interface SignArtifactResult {
  readonly signaturePath: string;
  readonly manifest: Manifest;
  readonly rootDigest: string;
  readonly bundle: BundleJson;
}

/**
 * hash → manifest → statement → sign → write. The signature file (when inside the artifact) is
 * recorded in `ignore_paths`, so signing again or verifying never hashes the signature itself.
 */
export async function signArtifact(artifactPath: string, options: SignArtifactOptions): Promise<SignArtifactResult> {
  const signaturePath = options.signaturePath === undefined ? await defaultSignaturePath(artifactPath) : resolve(options.signaturePath);
  const signatureInside = pathInsideArtifact(artifactPath, signaturePath);
  const serialization = resolveSerialization(options, signatureInside === undefined ? [] : [signatureInside]);
  const manifest = await computeManifestWith(artifactPath, serialization, options);
  const payload = Buffer.from(JSON.stringify(buildOmsStatement(manifest)), 'utf8');
  const bundle = signDsseBundle(payload, IN_TOTO_PAYLOAD_TYPE, options.signingMethod);
  options.signal?.throwIfAborted();
  await writeFileAtomic(signaturePath, `${JSON.stringify(bundle)}\n`);
  return { signaturePath, manifest, rootDigest: computeRootDigest(manifest.resources), bundle };
}
