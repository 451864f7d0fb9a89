// `npm run demo`: an end-to-end run of aiprov on a small generated model, in a temporary
// directory, using only this machine (no network). Each step prints the command it runs.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repo, 'bin', 'aiprov.js');
const work = mkdtempSync(join(tmpdir(), 'aiprov-demo-'));

/** Runs one aiprov command, prints it and its output, and checks its exit status. */
function aiprov(args, expectedStatus = 0) {
  const shown = args.map((arg) => (arg.startsWith(work) ? relative(work, arg) || '.' : arg)).join(' ');
  console.log(`\n$ aiprov ${shown}`);
  const run = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8' });
  process.stdout.write(run.stdout);
  process.stdout.write(run.stderr);
  console.log(`(exit ${String(run.status)})`);
  if (run.status !== expectedStatus) {
    throw new Error(`expected exit ${String(expectedStatus)} from: aiprov ${shown}`);
  }
  return run;
}

function section(title) {
  console.log(`\n## ${title}`);
}

try {
  const model = join(work, 'tiny-llm');
  mkdirSync(join(model, 'weights'), { recursive: true });
  writeFileSync(join(model, 'config.json'), JSON.stringify({ architecture: 'tiny-llm', layers: 2, hidden: 64 }, null, 2));
  writeFileSync(join(model, 'tokenizer.json'), JSON.stringify({ vocab: ['<s>', '</s>', 'hello', 'world'] }));
  for (let layer = 0; layer < 2; layer++) writeFileSync(join(model, 'weights', `layer-${String(layer)}.safetensors`), randomBytes(256 * 1024));
  console.log(`Demo model written to ${model}`);

  section('1. Sign a model with a key (OpenSSF Model Signing v1.0 bundle)');
  aiprov(['keygen', '--curve', 'P-384', '--output-prefix', join(work, 'publisher')]);
  aiprov(['digest', model]);
  aiprov(['sign', model, '--key', join(work, 'publisher.key')]);
  aiprov(['inspect', join(model, 'model.sig')]);

  section('2. Verify the download');
  aiprov(['verify', model, '--key', join(work, 'publisher.pub')]);

  section('3. Tamper with it: change a weight, add a file, and verify again');
  appendFileSync(join(model, 'weights', 'layer-1.safetensors'), Buffer.from([0]));
  writeFileSync(join(model, 'backdoor.py'), 'import os\n');
  aiprov(['verify', model, '--key', join(work, 'publisher.pub')], 1);

  console.log('\nDemo finished: the untouched model verified and the tampered one was caught with its diff.');
} finally {
  rmSync(work, { recursive: true, force: true });
}
