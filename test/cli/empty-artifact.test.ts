import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from '../support/cli.js';
import { temporaryDirectory, writeModel } from '../support/fixtures.js';

const CARD = 'name: corpus\nlicense: CC-BY-4.0\ndatasetType: [text]\nhasSensitivePersonalInformation: "no"\n';

/** A key pair, a card, a non-empty recipe and dataset, and two empty folders (one with only ignored files). */
async function setUp(): Promise<{ dir: string; key: string; card: string; recipe: string; dataset: string; empties: string[] }> {
  const dir = await temporaryDirectory();
  expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
  await writeFile(join(dir, 'card.yaml'), CARD);
  const recipe = await writeModel(join(dir, 'recipe'), { 'train.yaml': 'lr: 0.001\n' });
  const dataset = await writeModel(join(dir, 'wiki'), { 'part-0.jsonl': '{"text": "a"}\n' });
  const empty = join(dir, 'empty');
  await mkdir(empty);
  const onlyIgnored = await writeModel(join(dir, 'only-ignored'), { '.gitignore': '*', '.git/HEAD': 'ref: refs/heads/main\n' });
  return { dir, key: join(dir, 'k.key'), card: join(dir, 'card.yaml'), recipe, dataset, empties: [empty, onlyIgnored] };
}

describe('an empty artifact is refused by attest and digest as by sign (EMPTY_ARTIFACT, exit 2)', () => {
  it('attest dataset refuses an empty dataset and writes no attestation', async () => {
    const { key, card, empties } = await setUp();
    for (const empty of empties) {
      const before = await readdir(empty);
      expectOneLineError(await runCli(['attest', 'dataset', empty, '--card', card, '--key', key]), 2, 'EMPTY_ARTIFACT');
      expect(await readdir(empty)).toEqual(before);
    }
  });

  it('attest training refuses an empty --model and writes no attestation', async () => {
    const { key, recipe, dataset, empties } = await setUp();
    for (const empty of empties) {
      const before = await readdir(empty);
      const run = await runCli(['attest', 'training', '--model', empty, '--recipe', recipe, '--dataset', dataset, '--builder-id', 'https://ci.example/builder', '--key', key]);
      expectOneLineError(run, 2, 'EMPTY_ARTIFACT');
      expect(await readdir(empty)).toEqual(before);
    }
  });

  it('digest refuses an empty folder, with and without --json, and a folder whose files are all ignored', async () => {
    const { dir, empties } = await setUp();
    for (const empty of empties) {
      expectOneLineError(await runCli(['digest', empty]), 2, 'EMPTY_ARTIFACT');
      expectOneLineError(await runCli(['digest', empty, '--json']), 2, 'EMPTY_ARTIFACT');
    }
    const model = await writeModel(join(dir, 'model'), { 'weights.bin': 'w' });
    expectOneLineError(await runCli(['digest', model, '--ignore-paths', 'weights.bin']), 2, 'EMPTY_ARTIFACT');
    expect((await runCli(['digest', model])).status).toBe(0);
  });
});
