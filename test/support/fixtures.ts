import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';

const created: string[] = [];

/** A fresh temporary directory, removed after the current test. */
export async function temporaryDirectory(): Promise<string> {
  const path = await mkdtemp(join(tmpdir(), 'aiprov-test-'));
  created.push(path);
  return path;
}

afterEach(async () => {
  await Promise.all(created.splice(0).map((path) => rm(path, { recursive: true, force: true })));
});

/** Writes a small model: files keyed by POSIX relative path. */
export async function writeModel(root: string, files: Readonly<Record<string, string | Uint8Array>>): Promise<string> {
  for (const [name, contents] of Object.entries(files)) {
    const path = join(root, ...name.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, contents);
  }
  return root;
}

export const SMALL_MODEL: Readonly<Record<string, string>> = {
  'config.json': '{"layers": 2}\n',
  'weights/layer-0.bin': 'layer zero weights',
  'weights/layer-1.bin': 'layer one weights',
  '.hidden': 'dotfiles are part of the model',
};
