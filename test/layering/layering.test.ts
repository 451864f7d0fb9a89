import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/paths.js';

const run = promisify(execFile);
// The package's exports hide its bin/ from require.resolve; npm installs it here.
const DEPCRUISE = join(REPO_ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** Runs the repository's dependency rules over a small tree of files, as `npm run lint` does. */
async function cruise(files: Readonly<Record<string, string>>): Promise<{ status: number; output: string }> {
  const root = mkdtempSync(join(tmpdir(), 'aiprov-layering-'));
  roots.push(root);
  cpSync(join(REPO_ROOT, '.dependency-cruiser.cjs'), join(root, '.dependency-cruiser.cjs'));
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src'] }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  try {
    const { stdout } = await run(process.execPath, [DEPCRUISE, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: root });
    return { status: 0, output: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { status: failed.code, output: `${failed.stdout}${failed.stderr}` };
  }
}

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('the layering rules of npm run lint', () => {
  it('accept an import that points down', async () => {
    const result = await cruise({ 'src/cli/main.ts': "import { x } from '../format/x.js';\nexport const y = x;\n", 'src/format/x.ts': 'export const x = 1;\n' });
    expect(result).toMatchObject({ status: 0 });
  });

  it('refuse an upward import (format importing the CLI)', async () => {
    const result = await cruise({ 'src/format/x.ts': "import { y } from '../cli/main.js';\nexport const x = y;\n", 'src/cli/main.ts': 'export const y = 1;\n' });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('layer-format');
  });

  it('refuse an import between peers (sign and verify)', async () => {
    const result = await cruise({ 'src/sign/a.ts': "import { b } from '../verify/b.js';\nexport const a = b;\n", 'src/verify/b.ts': 'export const b = 1;\n' });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('peer-sign');
  });

  it('refuse a cycle, even inside one folder', async () => {
    const result = await cruise({
      'src/hashing/a.ts': "import { b } from './b.js';\nexport const a = (): number => b();\n",
      'src/hashing/b.ts': "import { a } from './a.js';\nexport const b = (): number => a();\n",
    });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('no-circular');
  });

  it('refuse verification hashing other than through verify/rehash.ts (no AuthenticatedSerialization)', async () => {
    const result = await cruise({
      'src/use-cases/vsa.ts': "import { computeManifestWith } from '../manifest/compute.js';\nexport const gate = computeManifestWith;\n",
      'src/manifest/compute.ts': 'export const computeManifestWith = (): number => 1;\n',
    });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('verification-hashes-through-rehash');
  });

  it('refuse verification importing identifyArtifact (sign/attest.ts reads model.sig unverified)', async () => {
    const result = await cruise({
      'src/lineage/verify-lineage.ts': "import { identifyArtifact } from '../sign/attest.js';\nexport const a = identifyArtifact;\n",
      'src/sign/attest.ts': 'export const identifyArtifact = (): number => 1;\n',
    });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('verification-never-identifies-unverified');
  });

  it('refuse marking bytes as authenticated anywhere but authenticateDsseBundle', async () => {
    const result = await cruise({
      'src/use-cases/vsa.ts': "import { markAuthenticated } from '../verify/authenticated-payload.js';\nexport const a = markAuthenticated;\n",
      'src/verify/authenticated-payload.ts': 'export const markAuthenticated = (): number => 1;\n',
    });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('only-authentication-marks-payloads');
    const allowed = await cruise({
      'src/verify/verify-artifact.ts': "import { markAuthenticated } from './authenticated-payload.js';\nexport const a = markAuthenticated;\n",
      'src/verify/authenticated-payload.ts': 'export const markAuthenticated = (): number => 1;\n',
    });
    expect(allowed).toMatchObject({ status: 0 });
  });
});
