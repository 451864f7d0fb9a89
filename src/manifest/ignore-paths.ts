/**
 * Ignore paths: the paths inside an artifact that are not part of it, as a user gives them
 * (relative to the artifact, or absolute inside it, as model_signing takes them) and as a
 * manifest records them (POSIX, relative, whole components).
 */
import { lstat, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputError, ioErrorFrom } from '../errors.js';

/** Normalises a user-given ignore path to the POSIX relative form recorded in the manifest. */
export function normalizeIgnorePath(path: string): string {
  const trimmed = path.replace(/\\/g, '/').replace(/^\.\/+/, '').replace(/\/+$/, '');
  if (trimmed === '' || trimmed.startsWith('/') || trimmed.split('/').includes('..')) {
    throw new InputError('BAD_IGNORE_PATH', `ignore path ${JSON.stringify(path)} must be relative to the artifact and stay inside it`);
  }
  return trimmed;
}

/**
 * Turns user-given ignore paths into paths relative to the artifact, as model_signing takes them:
 * a relative path is joined to the artifact directory, an absolute one must lie inside it (the OMS
 * conformance protocol passes absolute paths). A path outside the artifact, or one that matches
 * nothing in it, is an error: an ignore path that silently does nothing leaves a file signed.
 */
export async function resolveIgnorePaths(artifactPath: string, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  let rootReal: string;
  try {
    // A single file has no paths inside it; model_signing still records the ones it was given.
    if (!(await stat(artifactPath)).isDirectory()) return paths.map(normalizeIgnorePath);
    rootReal = await realpath(artifactPath);
  } catch (error) {
    throw ioErrorFrom(error, artifactPath, 'read artifact');
  }
  const roots = [...new Set([resolve(artifactPath), rootReal])];
  const resolved: string[] = [];
  for (const path of paths) {
    const inside = roots.map((root) => relative(root, isAbsolute(path) ? path : resolve(root, path))).find((rel) => rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
    if (inside === undefined) {
      throw new InputError('BAD_IGNORE_PATH', `ignore path ${JSON.stringify(path)} is not inside the artifact ${artifactPath}; give it relative to the artifact directory or as an absolute path inside it`);
    }
    const normalized = normalizeIgnorePath(inside);
    try {
      await lstat(join(rootReal, ...normalized.split('/')));
    } catch {
      // A path given relative to the working directory is the usual slip: name the one meant.
      const fromWorkingDirectory = isAbsolute(path) ? undefined : relative(resolve(artifactPath), resolve(path));
      const hint = fromWorkingDirectory === undefined || fromWorkingDirectory === '' || fromWorkingDirectory.startsWith('..') || isAbsolute(fromWorkingDirectory) ? '' : ` (did you mean ${JSON.stringify(fromWorkingDirectory.split(sep).join('/'))}?)`;
      throw new InputError('IGNORE_PATH_NOT_FOUND', `ignore path ${JSON.stringify(path)} matches nothing in ${artifactPath}${hint}; ignore paths are relative to the artifact directory (as in model_signing), or absolute inside it`, { path });
    }
    resolved.push(normalized);
  }
  return resolved;
}
