import { readdir } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peekUnverifiedStatement, readBundleFile } from '../format/bundle.js';
import type { ArtifactDependency } from '../statement/provenance.js';

/** How deep search directories are scanned for artifacts (a dataset store is rarely deeper). */
const SEARCH_DEPTH = 3;

/** Index of signed artifacts under the search directories, by the root digest their signature claims. */
export class ArtifactLocator {
  private index: Map<string, string[]> | undefined;

  constructor(private readonly searchDirectories: readonly string[]) {}

  /** Signed artifacts under the search directories whose signature claims the dependency's digest, then same-named ones. */
  async candidatesByDigest(dependency: ArtifactDependency): Promise<string[]> {
    const index = await this.buildIndex();
    return [...new Set([...(index.get(`digest:${dependency.rootDigest}`) ?? []), ...(index.get(`name:${dependency.name}`) ?? [])])];
  }

  /** Candidate paths for a dependency: its `file:` URI, then signed artifacts with that digest, then same-named ones. */
  async candidates(dependency: ArtifactDependency, relativeTo: string): Promise<string[]> {
    const found: string[] = [];
    if (dependency.uri?.startsWith('file:') === true) {
      const path = dependency.uri.startsWith('file://') ? fileURLToPath(dependency.uri) : dependency.uri.slice('file:'.length);
      found.push(isAbsolute(path) ? path : resolve(relativeTo, path));
    }
    const index = await this.buildIndex();
    found.push(...(index.get(`digest:${dependency.rootDigest}`) ?? []), ...(index.get(`name:${dependency.name}`) ?? []));
    return [...new Set(found)];
  }

  private async buildIndex(): Promise<Map<string, string[]>> {
    if (this.index !== undefined) return this.index;
    const index = new Map<string, string[]>();
    const add = (key: string, path: string): void => {
      index.set(key, [...(index.get(key) ?? []), path]);
    };
    const visit = async (directory: string, depth: number): Promise<void> => {
      let entries;
      try {
        entries = await readdir(directory, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const path = join(directory, entry.name);
        if (entry.isDirectory()) {
          add(`name:${entry.name}`, path);
          if (depth < SEARCH_DEPTH) await visit(path, depth + 1);
        } else if (entry.isFile() && entry.name.endsWith('.sig')) {
          // `<kind>.sig` signs its directory; `<file>.sig` signs the file beside it.
          const isKindSignature = ['model.sig', 'dataset.sig', 'recipe.sig'].includes(entry.name);
          const artifact = isKindSignature ? directory : path.slice(0, -'.sig'.length);
          const digest = await claimedRootDigest(path);
          if (digest !== undefined) add(`digest:${digest}`, artifact);
          if (!isKindSignature) add(`name:${basename(artifact)}`, artifact);
        }
      }
    };
    for (const directory of this.searchDirectories) await visit(resolve(directory), 0);
    this.index = index;
    return index;
  }
}

/** The subject digest a signature claims, unverified: only used to find candidates. */
async function claimedRootDigest(signaturePath: string): Promise<string | undefined> {
  try {
    return peekUnverifiedStatement(await readBundleFile(signaturePath))?.subjectDigest;
  } catch {
    return undefined;
  }
}

