import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

/**
 * Compiles src/ to dist/ so process-level tests run the code under test, never a stale build: the
 * old dist/ is removed first, so a module deleted from src/ cannot linger there.
 */
export default function buildDist(): void {
  rmSync(join(REPO_ROOT, 'dist'), { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'inherit' });
}
