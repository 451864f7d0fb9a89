import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ioErrorFrom } from '../errors.js';

/** What an artifact is. It names the default signature and attestation files. */
export const ARTIFACT_KINDS = ['model', 'dataset', 'recipe'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/** Where an artifact's signature and attestations live by default. */
export interface ArtifactFiles {
  readonly isDirectory: boolean;
  /** `<kind>.sig` inside a directory (`model.sig` is the OMS default), `<file>.sig` beside a file. */
  readonly signaturePath: string;
  /**
   * `<kind>.intoto.jsonl` inside a directory, `<file>.intoto.jsonl` beside a file: Sigstore
   * bundles one per line, the layout of `gh attestation download`.
   */
  readonly attestationsPath: string;
}

export async function artifactFiles(artifactPath: string, kind: ArtifactKind = 'model'): Promise<ArtifactFiles> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(artifactPath)).isDirectory();
  } catch (error) {
    throw ioErrorFrom(error, artifactPath, 'read artifact');
  }
  const base = resolve(artifactPath);
  return isDirectory
    ? { isDirectory, signaturePath: resolve(base, `${kind}.sig`), attestationsPath: resolve(base, `${kind}.intoto.jsonl`) }
    : { isDirectory, signaturePath: `${base}.sig`, attestationsPath: `${base}.intoto.jsonl` };
}
