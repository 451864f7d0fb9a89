import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { REPO_ROOT } from './support/paths.js';

// What `npm publish` would ship. The vitest global setup has just compiled src/ to dist/; a stale
// dist/ from an older layout (e.g. dist/local-stack/) fails here until `rm -rf dist`, as it should.

const PackResultSchema = z.array(z.object({ files: z.array(z.object({ path: z.string() })) })).length(1);

/** Files of the package tarball, from `npm pack --dry-run` (no build: --ignore-scripts). */
function packedFiles(): string[] {
  const stdout = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: process.platform === 'win32',
  });
  const [result] = PackResultSchema.parse(JSON.parse(stdout));
  return (result?.files ?? []).map((file) => file.path);
}

/** Every file under `dir`, relative to the repository, with `/` separators. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(REPO_ROOT, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

const ALLOWED = /^(?:(?:bin|dist|schemas|examples)\/.+|package\.json|README\.md|LICENSE[^/]*)$/;

describe('the published package', () => {
  it('contains the library and the command, and neither the local Sigstore stack nor anything else', () => {
    const files = packedFiles();
    expect(files).toEqual(expect.arrayContaining(['package.json', 'bin/aiprov.js', 'dist/index.js', 'dist/cli/main.js']));
    // The JSON Schemas of the --json outputs and the CI, Kubernetes and container examples ship too.
    expect(files).toEqual(expect.arrayContaining(['schemas/verify-lineage.schema.json', 'examples/github/release.yml', 'examples/github/deploy.yml', 'examples/gitlab/.gitlab-ci.yml', 'examples/kubernetes/deployment.yaml', 'examples/container/Containerfile']));
    expect(files.filter((file) => file.includes('local-stack'))).toEqual([]);
    expect(files.filter((file) => !ALLOWED.test(file))).toEqual([]);
  });

  it('compiles no code that loads the devDependency @sigstore/mock', async () => {
    const files = await filesUnder(join(REPO_ROOT, 'dist'));
    expect(files).toContain('dist/index.js');
    const offending: string[] = [];
    for (const file of files) {
      if ((await readFile(join(REPO_ROOT, file), 'utf8')).includes('@sigstore/mock')) offending.push(file);
    }
    expect(offending).toEqual([]);
  });
});
