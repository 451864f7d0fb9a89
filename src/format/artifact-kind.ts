import { lstat, realpath, stat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { ioErrorFrom, isAiprovError } from '../errors.js';
import { HUB_LOCAL_DIR_METADATA, hubSnapshotBlobs } from '../hashing/hub-cache.js';
import { entryExists } from './atomic-write.js';
import { readAttestations } from './attestation-file.js';
import { readBundleFile, type BundleJson } from './bundle.js';
import { parseStatement } from '../statement/parse.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../statement/statement.js';

/** What an artifact is. It names the default signature and attestation files. */
export const ARTIFACT_KINDS = ['model', 'dataset', 'recipe'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/**
 * Every kind's own files inside a directory artifact: its signature, attestations and evidence
 * file (see `ArtifactFiles`). Never content: `sign` and `digest` leave out those present, and
 * `verify` those that really are files of bundles (`metadataFileState`).
 */
export const KIND_METADATA_NAMES: readonly string[] = ARTIFACT_KINDS.flatMap((kind) => [`${kind}.sig`, `${kind}.intoto.jsonl`, `${kind}.evidence.jsonl`]);

/** The roles an artifact plays in a model's lineage (policy sections and provenance roles). */
export const ARTIFACT_ROLES = ['model', 'dataset', 'recipe', 'base-model'] as const;
export type ArtifactRole = (typeof ARTIFACT_ROLES)[number];

/** The kind of artifact that plays each role: a base model is a model. */
export const KIND_OF_ROLE: Readonly<Record<ArtifactRole, ArtifactKind>> = { model: 'model', 'base-model': 'model', dataset: 'dataset', recipe: 'recipe' };

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
  /**
   * `<kind>.evidence.jsonl` inside a directory, `<file>.evidence.jsonl` beside a file: the bundles a
   * lineage verdict rested on (`verify lineage --evidence-out`), shipped with the artifact.
   */
  readonly evidencePath: string;
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
    ? { isDirectory, signaturePath: resolve(base, `${kind}.sig`), attestationsPath: resolve(base, `${kind}.intoto.jsonl`), evidencePath: resolve(base, `${kind}.evidence.jsonl`) }
    : { isDirectory, signaturePath: `${base}.sig`, attestationsPath: `${base}.intoto.jsonl`, evidencePath: `${base}.evidence.jsonl` };
}

/** The path of `file` relative to a directory artifact, when it lies inside it. */
export function pathInsideArtifact(artifactPath: string, file: string): string | undefined {
  const rel = relative(resolve(artifactPath), resolve(file));
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || resolve(rel) === rel) return undefined;
  return rel.split(sep).join('/');
}

/**
 * The files beside the content that are never part of it: the signature, the attestations file
 * and the evidence file. All are recorded in `ignore_paths` (even before the attestations and
 * evidence files exist), so that attesting or writing evidence later, or verifying, never hashes
 * them.
 */
export function metadataIgnorePaths(artifactPath: string, signaturePath: string, ...metadataPaths: readonly string[]): string[] {
  return [signaturePath, ...metadataPaths].map((path) => pathInsideArtifact(artifactPath, path)).filter((path): path is string => path !== undefined);
}

/**
 * Everything `metadataIgnorePaths` leaves out for this kind and signature, and besides that every
 * other kind's signature and attestations file present in the directory (a model that also holds
 * a `dataset.sig`, or a `model.sig` left behind when signing with `--signature` elsewhere): no
 * signature or attestation file ever becomes signed content, so re-signing it later cannot break
 * a signature over the directory. Likewise a Hugging Face `--local-dir` download's metadata.
 */
export async function artifactMetadataIgnores(artifactPath: string, kind: ArtifactKind, signaturePath?: string): Promise<string[]> {
  const own = await artifactFiles(artifactPath, kind);
  const ignores = new Set(metadataIgnorePaths(artifactPath, signaturePath ?? own.signaturePath, own.attestationsPath, own.evidencePath));
  if (!own.isDirectory) return [...ignores];
  for (const name of [own.signaturePath, ...KIND_METADATA_NAMES, HUB_LOCAL_DIR_METADATA]) {
    const path = resolve(artifactPath, name);
    const inside = pathInsideArtifact(artifactPath, path);
    if (inside === undefined || ignores.has(inside)) continue;
    if (name === own.signaturePath || (await entryExists(path))) ignores.add(inside);
  }
  return [...ignores];
}


/**
 * What is at a metadata name, for a verifier deciding whether to leave it out: `bundles` only for a
 * regular file (not a link, a directory or a special file) that holds one Sigstore bundle (a
 * `.sig`) or JSON Lines of bundles (`.intoto.jsonl`, `.evidence.jsonl`). Anything else under such
 * a name is `other`, content like any file: were a name left out for its name alone, anything
 * could be smuggled into a verified artifact under it. In a Hugging Face snapshot every file is a
 * link into the repository's `blobs/` (`hubSnapshotBlobs` of the artifact's real path): there
 * such a link to such a file counts as the file.
 */
export async function metadataFileState(path: string, hubBlobs?: string): Promise<'absent' | 'bundles' | 'other'> {
  let info;
  try {
    info = await lstat(path);
    if (info.isSymbolicLink() && hubBlobs !== undefined && (await realpath(path)).startsWith(hubBlobs)) info = await stat(path);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : 'other';
  }
  if (!info.isFile()) return 'other';
  try {
    const bundles = path.endsWith('.sig') ? [await readBundleFile(path)] : (await readAttestations(path)).map(({ bundle }) => bundle);
    // What aiprov and model_signing write there: bundles, each a DSSE envelope of an in-toto
    // statement, or nothing yet (an empty file). Blank lines, or bundles carrying other bytes as
    // their payload, are not, however well-formed: nobody signed those bytes, and they would ride along.
    if (bundles.length === 0) return info.size === 0 ? 'bundles' : 'other';
    return bundles.every(carriesStatement) ? 'bundles' : 'other';
  } catch (error) {
    if (isAiprovError(error) && error.category !== 'internal') return 'other';
    throw error;
  }
}

function carriesStatement(bundle: BundleJson): boolean {
  const envelope = bundle.dsseEnvelope;
  if (envelope?.payloadType !== IN_TOTO_PAYLOAD_TYPE) return false;
  try {
    parseStatement(Buffer.from(envelope.payload, 'base64'));
    return true;
  } catch (error) {
    if (isAiprovError(error)) return false;
    throw error;
  }
}

/** The real path of a snapshot's repository `blobs/` when `artifactPath` is a hub snapshot. */
export async function artifactHubBlobs(artifactPath: string): Promise<string | undefined> {
  try {
    return hubSnapshotBlobs(await realpath(artifactPath));
  } catch {
    return undefined;
  }
}
