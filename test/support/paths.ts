import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const TESTDATA = join(REPO_ROOT, 'testdata');
export const MODEL_SIGNING_VECTORS = join(TESTDATA, 'model-transparency');
