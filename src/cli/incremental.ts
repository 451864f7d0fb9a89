import { InputError } from '../errors.js';
import type { DigestCacheOptions } from '../sign/digest-cache/incremental.js';
import type { SignArtifactResult } from '../sign/sign-artifact.js';
import type { CliContext } from './context.js';

/**
 * `sign --incremental`: the digest cache directory from the environment. Refused (exit 2) where
 * no cache can be kept, rather than silently hashing everything: no absolute XDG_CACHE_HOME or
 * HOME, or no file owners to check the cache against (Windows).
 */
export async function incrementalDigestCache(context: CliContext): Promise<DigestCacheOptions> {
  if (typeof process.getuid !== 'function') {
    throw new InputError('INCREMENTAL_UNAVAILABLE', '--incremental needs file owners to check its cache against, which this platform does not have');
  }
  const { digestCacheDirectory } = await import('../sign/digest-cache/store.js');
  const directory = digestCacheDirectory(context.env);
  if (directory === undefined) throw new InputError('INCREMENTAL_UNAVAILABLE', '--incremental keeps its cache in $XDG_CACHE_HOME/aiprov/digests or $HOME/.cache/aiprov/digests: set XDG_CACHE_HOME or HOME to an absolute path');
  return { directory };
}

/** The cache's warnings (ignored, unavailable, not saved), one line each on stderr, unless --quiet. */
export async function writeIncrementalWarnings(context: CliContext, result: SignArtifactResult, quiet: boolean): Promise<void> {
  const findings = result.incremental?.findings ?? [];
  if (quiet || findings.length === 0) return;
  const { renderFinding } = await import('../report/text.js');
  for (const finding of findings) context.stderr.write(`${renderFinding(finding, 'aiprov: ')}\n`);
}
