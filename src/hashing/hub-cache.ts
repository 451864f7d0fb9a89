/**
 * The Hugging Face hub cache, read only (nothing is ever downloaded). huggingface_hub stores a
 * repository as `<cache>/<type>s--<org>--<name>/` with `blobs/` (content by hash), `refs/<ref>`
 * (a file holding a commit hash) and `snapshots/<commit>/` (the repository's files, each a
 * relative symbolic link into `../../blobs/`). See huggingface_hub's "Manage the cache" guide.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { InputError, VerificationError } from '../errors.js';
import { readBoundedText } from '../input/read-bounded.js';

/** A `refs/` file holds one commit hash (40 hex digits); anything else is not a ref. */
const COMMIT_HASH = /^[0-9a-f]{40}$/;
const REPOSITORY_FOLDER = /^(models|datasets|spaces)--[^/\\]+$/;

/**
 * For a snapshot directory (its real path), the real path of the same repository's `blobs/`:
 * links that resolve there are the snapshot's files. `undefined` for any other directory.
 */
export function hubSnapshotBlobs(realSnapshotPath: string): string | undefined {
  const snapshots = dirname(realSnapshotPath);
  const repository = dirname(snapshots);
  if (basename(snapshots) !== 'snapshots' || !REPOSITORY_FOLDER.test(basename(repository))) return undefined;
  return `${join(repository, 'blobs')}${sep}`;
}

/**
 * huggingface_hub makes every file of a snapshot a link into its repository's `blobs/` (the
 * content, stored by hash). A link that resolves anywhere else was not made by the hub: the
 * snapshot was altered after the download, so it is a failed verification (exit 1) whatever the
 * flags, never a link to follow with `--allow-symlinks` or `--allow-external-symlinks`.
 */
export function hubLinkOutsideBlobs(relativePath: string): VerificationError {
  return new VerificationError('HUB_LINK_OUTSIDE_BLOBS', `${relativePath} is a link that leaves the Hugging Face repository's blobs/: the snapshot was altered after its download`, { path: relativePath });
}

/** Environment variables that locate the cache (the CLI passes `process.env`). */
export type HubEnvironment = Readonly<Record<string, string | undefined>>;

/** huggingface_hub's order: HF_HUB_CACHE, then HF_HOME/hub, then XDG_CACHE_HOME or ~/.cache. */
export function hubCacheDirectory(env: HubEnvironment): string {
  const cache = env['HF_HUB_CACHE'];
  if (cache !== undefined && cache !== '') return cache;
  const home = env['HF_HOME'];
  if (home !== undefined && home !== '') return join(home, 'hub');
  const xdg = env['XDG_CACHE_HOME'];
  const base = xdg !== undefined && xdg !== '' ? xdg : join(env['HOME'] ?? env['USERPROFILE'] ?? '', '.cache');
  return join(base, 'huggingface', 'hub');
}

const HUB_URI_PREFIX = 'hf://';

/**
 * `hf://org/name[@revision]` or `hf://datasets/org/name[@revision]` → the snapshot directory in
 * the local cache. A revision is a commit hash or a ref (default `main`) read from `refs/`.
 */
export async function resolveHubUri(uri: string, env: HubEnvironment): Promise<string> {
  const match = /^hf:\/\/(?:(models|datasets)\/)?([A-Za-z0-9][\w.-]*)\/([\w.-]+)(?:@([\w./-]+))?$/.exec(uri);
  if (match === null) {
    throw new InputError('HUB_URI_INVALID', `${uri} is not a Hugging Face reference; use hf://org/name[@revision] or hf://datasets/org/name[@revision]`);
  }
  const [, type = 'models', org = '', name = '', revision = 'main'] = match;
  const cache = hubCacheDirectory(env);
  const repository = join(cache, `${type}--${org}--${name}`);
  let commit = revision;
  if (!COMMIT_HASH.test(revision)) {
    if (revision.split('/').includes('..')) throw new InputError('HUB_URI_INVALID', `${uri} names an invalid revision`);
    try {
      commit = (await readBoundedText(join(repository, 'refs', ...revision.split('/')), { maxBytes: 1024, kind: 'HUB_REF', what: 'hub cache ref' })).trim();
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw notCached(uri, `${type === 'datasets' ? 'hf download --repo-type dataset' : 'hf download'} ${org}/${name}${revision === 'main' ? '' : ` --revision ${revision}`}`, cache);
    }
    if (!COMMIT_HASH.test(commit)) throw new InputError('HUB_URI_INVALID', `the cache's ref ${revision} of ${org}/${name} does not hold a commit hash`);
  }
  const snapshot = join(repository, 'snapshots', commit);
  try {
    if ((await stat(snapshot)).isDirectory()) return snapshot;
  } catch {
    // Reported below with the command that fetches it.
  }
  throw notCached(uri, `${type === 'datasets' ? 'hf download --repo-type dataset' : 'hf download'} ${org}/${name} --revision ${commit}`, cache);
}

function notCached(uri: string, download: string, cache: string): InputError {
  return new InputError('HUB_NOT_CACHED', `${uri} is not in the Hugging Face cache ${cache} (aiprov never downloads; fetch it first with \`${download}\`, or set HF_HUB_CACHE or HF_HOME)`);
}

/** An artifact path as given, or the cached snapshot an `hf://` reference names. */
export async function resolveArtifactPath(path: string, env: HubEnvironment | undefined): Promise<string> {
  return path.startsWith(HUB_URI_PREFIX) ? resolveHubUri(path, env ?? {}) : path;
}

/**
 * What `hf download --local-dir` writes beside the files (per-download metadata that differs
 * between downloads): never part of a model.
 */
export const HUB_LOCAL_DIR_METADATA = '.cache/huggingface';
