import { resolve } from 'node:path';
import { computeManifestWith, resolveSerialization, type ManifestOptions } from '../manifest/compute.js';
import { computeRootDigest, type Manifest } from '../manifest/manifest.js';
import { buildOmsStatement } from '../statement/oms.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../statement/statement.js';
import type { BundleJson } from '../format/bundle.js';
import { artifactFiles, metadataIgnorePaths, type ArtifactKind } from '../format/artifact-kind.js';
import { writeFileAtomic } from '../format/atomic-write.js';
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
  const serialization = resolveSerialization(options, metadataIgnorePaths(artifactPath, signaturePath, files.attestationsPath, files.evidencePath));
  const manifest = await computeManifestWith(artifactPath, serialization, options);
  const payload = Buffer.from(JSON.stringify(buildOmsStatement(manifest)), 'utf8');
  const bundle = await signDssePayload(payload, IN_TOTO_PAYLOAD_TYPE, options.signingMethod);
  options.signal?.throwIfAborted();
  await writeFileAtomic(signaturePath, `${JSON.stringify(bundle)}\n`);
  return { signaturePath, manifest, rootDigest: computeRootDigest(manifest.resources), bundle };
}
