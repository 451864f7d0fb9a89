// `npm run bench`: how fast `aiprov digest` hashes, next to the machine's SHA-256 limit, a
// model_signing-style Python peer and b3sum, in one run on generated fixtures (deleted at the
// end); how little memory it needs for a million files; how much faster `sign --incremental`
// re-signs after a small change; and that three `digest --partition K/3` runs merge into the
// single-process root. Every number is the median of several rounds of whole-process wall time,
// page cache warm.
//
// Environment:
//   AIPROV_BENCH_SCALE=0.05   shrink every fixture (sizes and file counts) to iterate quickly
//   AIPROV_BENCH_ROUNDS=5     rounds per measurement
//   AIPROV_BENCH_DIR=/path    generate fixtures there and keep them (reused if the scale matches)
//   AIPROV_BENCH_ONLY=model   only these fixtures (comma separated: model, bigfile, dataset, million, startup,
//                             evidence, merge)
//   AIPROV_BENCH_BIN=/path    measure another build's bin/aiprov.js (to compare before and after)
//   AIPROV_BENCH_OUT=/path    write the results there instead of bench/results/latest.json (a partial run)
//
// `evidence` and `merge` measure untrusted input (bench/untrusted-input.js): `verify lineage
// --evidence` over 1,000 and 10,000 lines, `digest --merge` of 1,000 and 10,000 tiny parts and of
// one part of 120,000 and 1,200,000 resources, each with its time and peak RSS.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, cpus, release, tmpdir, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createEvidenceFixtures, createMergeFixtures, evidenceCases, mergeCases, untrustedInputTargets } from './untrusted-input.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const BIN = process.env.AIPROV_BENCH_BIN ?? join(REPO, 'bin', 'aiprov.js');
const PEER = join(REPO, 'bench', 'peers', 'model_signing_style.py');
const RESULTS = process.env.AIPROV_BENCH_OUT ?? join(REPO, 'bench', 'results', 'latest.json');

const SCALE = Number(process.env.AIPROV_BENCH_SCALE ?? '1');
const ROUNDS = Math.max(1, Number(process.env.AIPROV_BENCH_ROUNDS ?? '5'));
const ONLY = (process.env.AIPROV_BENCH_ONLY ?? 'model,bigfile,dataset,million,startup,evidence,merge').split(',');
const CORES = availableParallelism();
const GiB = 1024 ** 3;
const KiB = 1024;
const SHARD_SIZE = 1_000_000_000;
/**
 * The Python interpreter itself, not a launcher script in front of it (pyenv's `python3` is a
 * shell shim that costs the peer ~50 ms per run).
 */
const PYTHON = available('python3') ? spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim() : undefined;
/** `time -f %M`: the peak resident set of the measured process (KiB), worker threads included. */
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

if (!(SCALE > 0)) throw new Error(`AIPROV_BENCH_SCALE must be a positive number, got ${String(process.env.AIPROV_BENCH_SCALE)}`);

/** @param {string} text */
function log(text) {
  process.stderr.write(`${text}\n`);
}

/** @param {string} command */
function available(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
}

/**
 * @typedef {{ name: string, path: string, files: string[], fileCount: number, bytes: number }} Fixture
 * @typedef {{ fixture: string, name: string, argv: string[], role: 'aiprov' | 'untrusted' | 'peer' | 'b3sum' | 'baseline', times: number[], rssKiB: number[], outputs: string[], status?: number, env?: Record<string, string>, before?: () => void, after?: (stdout: string) => void }} Case
 */

// ---------------------------------------------------------------------------------------------
// Fixtures: random bytes (64 MiB generated once, written at an offset that differs per block, so
// no two blocks of a file are equal), small files cut from the same pool.

const POOL = randomBytes(64 * 1024 * 1024);

/**
 * @param {string} path
 * @param {number} size
 * @param {number} seed
 */
function writeLargeFile(path, size, seed) {
  const block = 16 * 1024 * 1024;
  const fd = openSync(path, 'w');
  try {
    for (let written = 0, index = seed; written < size; index++) {
      const length = Math.min(block, size - written);
      const offset = (index * 7_919 * 4_096) % (POOL.length - block);
      writeSync(fd, POOL, offset, length);
      written += length;
    }
  } finally {
    closeSync(fd);
  }
}

/** A deterministic small-file size in [min, max] bytes. @param {number} index @param {number} min @param {number} max */
function smallSize(index, min, max) {
  return min + ((index * 2_654_435_761) % (max - min + 1));
}

/**
 * @param {string} dir
 * @param {number} count
 * @param {number} min
 * @param {number} max
 * @param {string[]} files
 */
function writeSmallFiles(dir, count, min, max, files) {
  for (let index = 0; index < count; index++) {
    const sub = join(dir, `part-${String(Math.floor(index / 1000)).padStart(3, '0')}`);
    if (index % 1000 === 0) mkdirSync(sub, { recursive: true });
    const path = join(sub, `item-${String(index).padStart(6, '0')}.bin`);
    const size = smallSize(index, min, max);
    const offset = (index * 4_099) % (POOL.length - size);
    writeFileSync(path, POOL.subarray(offset, offset + size));
    files.push(path);
  }
}

/** @param {string} root @returns {Fixture[]} */
function createFixtures(root) {
  const scaled = (/** @type {number} */ value) => Math.max(1, Math.round(value * SCALE));
  /** @type {Fixture[]} */
  const fixtures = [];
  if (ONLY.includes('model')) {
    // A model: 4 weight files of 1 GiB plus 2,000 small files (tokenizer, configs, shards of metadata).
    const path = join(root, 'model');
    mkdirSync(path, { recursive: true });
    const files = [];
    for (let index = 0; index < 4; index++) {
      const file = join(path, `model-0000${String(index + 1)}-of-00004.safetensors`);
      writeLargeFile(file, scaled(GiB), index * 1_000);
      files.push(file);
    }
    writeSmallFiles(join(path, 'extra'), scaled(2_000), 4 * KiB, 64 * KiB, files);
    fixtures.push({ name: 'model', path, files, fileCount: files.length, bytes: 0 });
  }
  if (ONLY.includes('bigfile')) {
    // One 4 GiB file (a GGUF download): one digest in files mode, 5 shards in shards mode.
    const path = join(root, 'model.gguf');
    writeLargeFile(path, scaled(4 * GiB), 77);
    fixtures.push({ name: 'bigfile', path, files: [path], fileCount: 1, bytes: 0 });
  }
  if (ONLY.includes('dataset')) {
    // A dataset of 100,000 small files (1–16 KiB): per-file cost dominates.
    const path = join(root, 'dataset');
    const files = /** @type {string[]} */ ([]);
    writeSmallFiles(path, scaled(100_000), 1 * KiB, 16 * KiB, files);
    fixtures.push({ name: 'dataset', path, files, fileCount: files.length, bytes: 0 });
  }
  if (ONLY.includes('million')) {
    // A listing of 1,000,000 empty files in 1,000 folders: the walk and the bookkeeping per file,
    // not the bytes (which would take 4 GB of disk blocks for nothing the dataset does not show).
    const path = join(root, 'million');
    const count = scaled(1_000_000);
    for (let index = 0; index < count; index++) {
      const sub = join(path, `part-${String(Math.floor(index / 1000)).padStart(4, '0')}`);
      if (index % 1000 === 0) mkdirSync(sub, { recursive: true });
      closeSync(openSync(join(sub, `item-${String(index).padStart(7, '0')}.txt`), 'w'));
    }
    fixtures.push({ name: 'million', path, files: [], fileCount: count, bytes: 0 });
  }
  return fixtures;
}

/** Reads every fixture file once so all tools start from the same warm page cache. @param {Fixture} fixture */
function warm(fixture) {
  if (fixture.name === 'million') {
    // Empty files: listing them once (a digest) warms the kernel's directory and inode caches.
    spawnSync(process.execPath, [BIN, 'digest', fixture.path, '--quiet'], { stdio: 'ignore' });
    return;
  }
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  let bytes = 0;
  for (const file of fixture.files) {
    const fd = openSync(file, 'r');
    try {
      let read;
      while ((read = readSync(fd, buffer, 0, buffer.length, null)) > 0) bytes += read;
    } finally {
      closeSync(fd);
    }
  }
  fixture.bytes = bytes;
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** Blocks for `ms` milliseconds (the benchmark is sequential by design). @param {number} ms */
function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Busy share of all CPUs over `ms` milliseconds, from /proc/stat (undefined off Linux). @param {number} ms */
function cpuBusy(ms) {
  if (!existsSync('/proc/stat')) return undefined;
  const sample = () => (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const before = sample();
  sleep(ms);
  const after = sample();
  const delta = after.map((value, index) => value - (before[index] ?? 0));
  const total = delta.reduce((sum, value) => sum + value, 0);
  // Fields: user nice system idle iowait irq softirq steal …
  const idle = (delta[3] ?? 0) + (delta[4] ?? 0);
  return total > 0 ? 1 - idle / total : undefined;
}

let noisyWaits = 0;
/**
 * On a shared machine another process's burst skews a measurement: before each one, wait (up
 * to 30 s) until the CPUs are nearly idle. Reported, so a noisy run is visible.
 */
function waitForQuietMachine() {
  for (let waited = 0; waited < 30_000; waited += 1_000) {
    const busy = cpuBusy(250);
    if (busy === undefined || busy < 0.1) return;
    sleep(750);
  }
  noisyWaits++;
}

/**
 * Runs a command once; returns wall seconds, peak RSS (KiB, or NaN without /usr/bin/time) and stdout.
 * @param {string[]} argv
 * @param {Record<string, string>} [env] added to this process's environment
 * @param {number} [status] the exit status it must end with (0 unless a case expects a refusal)
 */
function measure(argv, env, status = 0) {
  waitForQuietMachine();
  const [command, ...args] = TIME === undefined ? argv : [TIME, '-f', '%M', ...argv];
  const started = performance.now();
  const run = spawnSync(/** @type {string} */ (command), args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...(env === undefined ? {} : { env: { ...process.env, ...env } }) });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== status) throw new Error(`${argv.join(' ').slice(0, 300)} failed (${String(run.status)}): ${run.stderr.slice(-2000)}`);
  const rssKiB = TIME === undefined ? Number.NaN : Number(run.stderr.trim().split('\n').at(-1));
  return { seconds, rssKiB, stdout: run.stdout.trim() };
}

/** @param {number[]} values */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted.at(middle) ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted.at(middle - 1) ?? Number.NaN) + upper) / 2;
}

/** The SHA-256 limit from OpenSSL (SHA-NI when the CPU has it), in bytes/s. @param {number} processes */
function opensslSha256(processes) {
  const args = ['speed', '-seconds', '2', '-evp', 'sha256', '-bytes', '16384', ...(processes > 1 ? ['-multi', String(processes)] : [])];
  const run = spawnSync('openssl', args, { encoding: 'utf8' });
  const line = run.stdout.split('\n').filter((text) => text.startsWith('sha256')).at(-1) ?? '';
  const match = /([0-9.]+)k\s*$/.exec(line);
  if (match === null) throw new Error(`cannot read openssl speed output: ${run.stdout.slice(-500)}`);
  return Number(match[1]) * 1000;
}

/** @param {Fixture} fixture @returns {Case[]} */
function casesFor(fixture) {
  /** @type {(name: string, role: Case['role'], argv: string[], status?: number) => Case} */
  const item = (name, role, argv, status) => ({ fixture: fixture.name, name, role, argv, times: [], rssKiB: [], outputs: [], ...(status === undefined ? {} : { status }) });
  if (fixture.name.startsWith('evidence-')) return evidenceCases(fixture, BIN, item);
  if (fixture.name.startsWith('merge-')) return mergeCases(fixture, BIN, item);
  const aiprov = [process.execPath, BIN, 'digest', fixture.path];
  const peer = [PYTHON ?? 'python3', PEER, fixture.path];
  /** @type {Case[]} */
  const cases = [item('aiprov files sha256', 'aiprov', aiprov)];
  // A million empty files: aiprov's memory and files/s only (the peer needs minutes for it).
  if (fixture.name === 'million') return cases;
  if (fixture.name === 'model') cases.push(...resigningCases(fixture, item), ...partitionCases(fixture, item));
  if (fixture.name !== 'dataset') {
    cases.push(item('aiprov shards sha256', 'aiprov', [...aiprov, '--method', 'shards', '--shard-size', String(SHARD_SIZE)]));
  }
  cases.push(item('aiprov files blake3', 'aiprov', [...aiprov, '--hash', 'blake3']));
  if (PYTHON !== undefined) {
    cases.push(item('peer files sha256', 'peer', peer));
    if (fixture.name !== 'dataset') cases.push(item('peer shards sha256', 'peer', [...peer, '--method', 'shards', '--shard-size', String(SHARD_SIZE)]));
  }
  if (available('b3sum') && fixture.name !== 'dataset') {
    cases.push(item('b3sum', 'b3sum', ['b3sum', '--no-names', ...fixture.files]));
    cases.push(item('b3sum 1 thread', 'b3sum', ['b3sum', '--no-names', '--num-threads', '1', ...fixture.files]));
  }
  return cases;
}

/** The key `sign` uses, and the digest cache `sign --incremental` keeps, in the fixtures folder. */
const signingSetup = { key: '', cache: '' };

/**
 * Re-signing the model after one small change: a whole `sign` against `sign --incremental`,
 * whose digest cache already holds the model (primed once before the rounds). Before each
 * incremental run, one small file is rewritten in place with other bytes of the same size.
 * @param {Fixture} fixture
 * @param {(name: string, role: Case['role'], argv: string[]) => Case} item
 * @returns {Case[]}
 */
function resigningCases(fixture, item) {
  // The signature is written beside the model, not in it: the peer would hash a model.sig inside.
  const sign = [process.execPath, BIN, 'sign', fixture.path, '--key', signingSetup.key, '--signature', join(fixture.path, '..', 'model.sig'), '--quiet'];
  const changed = fixture.files.find((file) => file.includes(`${'/'}extra${'/'}`)) ?? fixture.files[0] ?? '';
  let round = 0;
  // Both write the same signature file, so both read and replace the previous one.
  const full = { ...item('aiprov sign', 'aiprov', sign), env: { XDG_CACHE_HOME: signingSetup.cache } };
  const original = readFileSync(changed);
  const incremental = {
    ...item('aiprov sign --incremental', 'aiprov', [...sign, '--incremental']),
    env: { XDG_CACHE_HOME: signingSetup.cache },
    before: () => {
      round++;
      const fd = openSync(changed, 'r+');
      try {
        writeSync(fd, Buffer.from(`changed in round ${String(round)} `));
      } finally {
        closeSync(fd);
      }
    },
    // Put back, so every other command of every round hashes the same model (the put-back is
    // newer than the cache's 2 s margin, so the next round re-hashes this one file again).
    after: () => {
      writeFileSync(changed, original);
    },
  };
  return [full, incremental];
}

/**
 * The model hashed in three parts, as three machines would (`digest --partition K/3 --json`),
 * then merged (`digest --merge`): the merged root must be the single-process root.
 * @param {Fixture} fixture
 * @param {(name: string, role: Case['role'], argv: string[]) => Case} item
 * @returns {Case[]}
 */
function partitionCases(fixture, item) {
  const partsDir = join(fixture.path, '..', 'parts');
  mkdirSync(partsDir, { recursive: true });
  const parts = [1, 2, 3].map((index) => join(partsDir, `part-${String(index)}.json`));
  return [
    ...parts.map((path, index) => ({
      ...item(`aiprov digest --partition ${String(index + 1)}/3`, 'aiprov', [process.execPath, BIN, 'digest', fixture.path, '--partition', `${String(index + 1)}/3`, '--json']),
      after: (/** @type {string} */ stdout) => {
        writeFileSync(path, stdout);
      },
    })),
    item('aiprov digest --merge', 'aiprov', [process.execPath, BIN, 'digest', '--merge', ...parts]),
  ];
}

/** Writes the signing key and primes the digest cache (not measured). @param {string} root @param {Fixture[]} fixtures */
function prepareSigning(root, fixtures) {
  const model = fixtures.find((fixture) => fixture.name === 'model');
  if (model === undefined) return;
  signingSetup.key = join(root, 'bench-key.key');
  signingSetup.cache = join(root, 'cache');
  // The cache never stores a file changed less than 2 s before the run (it could still be
  // changing within the file system's timestamp granularity): let fresh fixtures age first.
  sleep(2_500);
  const keygen = spawnSync(process.execPath, [BIN, 'keygen', '--output-prefix', join(root, 'bench-key'), '--force'], { encoding: 'utf8' });
  if (keygen.status !== 0) throw new Error(`keygen failed: ${keygen.stderr}`);
  const prime = spawnSync(process.execPath, [BIN, 'sign', model.path, '--key', signingSetup.key, '--signature', join(model.path, '..', 'model.sig'), '--incremental', '--quiet'], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: signingSetup.cache } });
  if (prime.status !== 0) throw new Error(`priming the digest cache failed: ${prime.stderr}`);
}

// ---------------------------------------------------------------------------------------------
// Reporting

/**
 * @typedef {{ name: string, value: number, target: number, ratio: number, met: boolean, unit: string, note: string }} Target
 */

/**
 * @param {string} name
 * @param {number} value
 * @param {number} target
 * @param {'min' | 'max'} kind  min: value must reach target; max: value must stay below it
 * @param {string} unit
 * @param {string} note
 * @returns {Target}
 */
function target(name, value, target, kind, unit, note) {
  const ratio = kind === 'min' ? value / target : target / value;
  // Rates are measured in bytes/s and shown in GB/s.
  const scale = unit === 'GB/s' ? 1e9 : 1;
  return { name, value: value / scale, target: target / scale, ratio, met: Number.isFinite(ratio) && ratio >= 1, unit, note };
}

/** @param {number} bytesPerSecond */
function gbps(bytesPerSecond) {
  return (bytesPerSecond / 1e9).toFixed(2);
}

/** @param {(string | number)[][]} rows */
function table(rows) {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => String(row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => String(cell).padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n');
}

// ---------------------------------------------------------------------------------------------

const ownDir = process.env.AIPROV_BENCH_DIR;
const root = ownDir ?? mkdtempSync(join(tmpdir(), 'aiprov-bench-'));
let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true;
});

try {
  if (!existsSync(BIN) || !existsSync(join(BIN, '..', '..', 'dist', 'cli', 'main.js'))) throw new Error('build first: npm run build');
  const marker = join(root, 'fixtures.json');
  let fixtures;
  const wanted = JSON.stringify({ scale: SCALE, only: ONLY });
  const saved = ownDir !== undefined && existsSync(marker) ? /** @type {{ key: string, fixtures: Fixture[] }} */ (JSON.parse(readFileSync(marker, 'utf8'))) : undefined;
  if (saved?.key === wanted) {
    fixtures = saved.fixtures;
    log(`reusing fixtures in ${root}`);
  } else {
    log(`generating fixtures in ${root} (scale ${String(SCALE)})`);
    // Only what this script creates: AIPROV_BENCH_DIR may hold other things.
    for (const name of ['model', 'model.gguf', 'dataset', 'million', 'cache', 'parts', 'evidence', 'merge']) rmSync(join(root, name), { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    fixtures = createFixtures(root);
    if (ONLY.includes('evidence')) fixtures.push(...(await createEvidenceFixtures(root, BIN, REPO, SCALE)));
    if (ONLY.includes('merge')) fixtures.push(...(await createMergeFixtures(root, REPO, SCALE)));
  }
  for (const fixture of fixtures) warm(fixture);
  if (ownDir !== undefined) writeFileSync(marker, JSON.stringify({ key: wanted, fixtures }));

  prepareSigning(root, fixtures);
  const cases = fixtures.flatMap(casesFor);
  const startupCases = ONLY.includes('startup')
    ? [
        /** @type {Case} */ ({ fixture: 'startup', name: 'aiprov --version', role: 'aiprov', argv: [process.execPath, BIN, '--version'], times: [], rssKiB: [], outputs: [] }),
        /** @type {Case} */ ({ fixture: 'startup', name: 'node -e 0', role: 'baseline', argv: [process.execPath, '-e', '0'], times: [], rssKiB: [], outputs: [] }),
      ]
    : [];
  const limits = { oneCore: /** @type {number[]} */ ([]), allCores: /** @type {number[]} */ ([]) };
  const haveOpenssl = available('openssl');

  // Rounds interleave every measurement, so a slow moment of the machine hits all of them alike.
  for (let round = 1; round <= ROUNDS && !interrupted; round++) {
    log(`round ${String(round)}/${String(ROUNDS)}`);
    if (haveOpenssl) {
      waitForQuietMachine();
      limits.oneCore.push(opensslSha256(1));
      waitForQuietMachine();
      limits.allCores.push(opensslSha256(CORES));
    }
    for (const item of cases) {
      item.before?.();
      const result = measure(item.argv, item.env, item.status);
      item.after?.(result.stdout);
      item.times.push(result.seconds);
      item.rssKiB.push(result.rssKiB);
      item.outputs.push(item.after === undefined ? result.stdout : '');
      log(`  ${item.fixture.padEnd(8)} ${item.name.padEnd(22)} ${result.seconds.toFixed(3)} s`);
    }
    for (const item of startupCases) {
      // Start-up is short and noisy: many runs per round.
      for (let run = 0; run < 10; run++) {
        const result = measure(item.argv);
        item.times.push(result.seconds);
        item.rssKiB.push(result.rssKiB);
      }
    }
  }

  // Both tools must have hashed the same bytes into the same manifest.
  const mismatches = [];
  for (const fixture of fixtures) {
    for (const method of ['files', 'shards']) {
      const ours = cases.find((item) => item.fixture === fixture.name && item.name === `aiprov ${method} sha256`);
      const theirs = cases.find((item) => item.fixture === fixture.name && item.name === `peer ${method} sha256`);
      if (ours === undefined || theirs === undefined) continue;
      if (new Set([...ours.outputs, ...theirs.outputs]).size !== 1) mismatches.push(`${fixture.name} ${method}: aiprov ${String(ours.outputs[0])} vs peer ${String(theirs.outputs[0])}`);
    }
  }

  const oneCore = limits.oneCore.length > 0 ? median(limits.oneCore) : Number.NaN;
  const allCores = limits.allCores.length > 0 ? median(limits.allCores) : Number.NaN;
  const byName = (/** @type {string} */ fixture, /** @type {string} */ name) => cases.find((item) => item.fixture === fixture && item.name === name);
  const rate = (/** @type {Case | undefined} */ item) => {
    const fixture = fixtures.find((candidate) => candidate.name === item?.fixture);
    return item === undefined || fixture === undefined ? Number.NaN : fixture.bytes / median(item.times);
  };
  const filesRate = (/** @type {Case | undefined} */ item) => {
    const fixture = fixtures.find((candidate) => candidate.name === item?.fixture);
    return item === undefined || fixture === undefined ? Number.NaN : fixture.fileCount / median(item.times);
  };
  // The hashing threads aiprov uses: one per core for several jobs, one for a single file.
  const threadsFor = (/** @type {string} */ fixture) => ((fixtures.find((candidate) => candidate.name === fixture)?.fileCount ?? 0) > 1 ? CORES : 1);

  /** @type {Target[]} */
  const targets = [];
  // The targets of the issue that asked for this benchmark; the rest are informative.
  for (const fixture of ['model', 'bigfile']) {
    if (byName(fixture, 'aiprov files sha256') === undefined) continue;
    if (fixture === 'model') {
      targets.push(target('model files/sha256 vs SHA-256 limit', rate(byName(fixture, 'aiprov files sha256')), 0.85 * allCores, 'min', 'GB/s', `≥ 0.85 × openssl ${String(CORES)} cores`));
      targets.push(target('model files/sha256 vs peer', rate(byName(fixture, 'aiprov files sha256')), rate(byName(fixture, 'peer files sha256')), 'min', 'GB/s', '≥ 1.0 × model_signing-style peer'));
      targets.push(target('model shards/sha256 vs SHA-256 limit', rate(byName(fixture, 'aiprov shards sha256')), 0.85 * allCores, 'min', 'GB/s', `≥ 0.85 × openssl ${String(CORES)} cores (informative)`));
    } else {
      targets.push(target('bigfile shards/sha256 vs SHA-256 limit', rate(byName(fixture, 'aiprov shards sha256')), 0.85 * allCores, 'min', 'GB/s', `≥ 0.85 × openssl ${String(CORES)} cores`));
      targets.push(target('bigfile files/sha256 vs 1-core limit', rate(byName(fixture, 'aiprov files sha256')), 0.85 * oneCore, 'min', 'GB/s', 'one file is one sequential hash: ≥ 0.85 × openssl 1 core (informative)'));
    }
    targets.push(target(`${fixture} shards/sha256 vs peer`, rate(byName(fixture, 'aiprov shards sha256')), rate(byName(fixture, 'peer shards sha256')), 'min', 'GB/s', '≥ peer (informative)'));
    const threads = threadsFor(fixture);
    targets.push(target(`${fixture} blake3 per thread vs b3sum 1 thread`, rate(byName(fixture, 'aiprov files blake3')) / threads, 0.9 * rate(byName(fixture, 'b3sum 1 thread')), 'min', 'GB/s', `${String(threads)} hashing thread(s); ≥ 0.90 × b3sum --num-threads 1 (informative)`));
  }
  if (byName('dataset', 'aiprov files sha256') !== undefined) {
    targets.push(target('dataset files/s vs peer', filesRate(byName('dataset', 'aiprov files sha256')), 3 * filesRate(byName('dataset', 'peer files sha256')), 'min', 'files/s', '≥ 3 × peer'));
  }
  const aiprovRss = Math.max(...cases.filter((item) => item.role === 'aiprov').flatMap((item) => item.rssKiB)) / 1024;
  // Only the hashing fixtures: the untrusted-input cases read a whole evidence file or part.
  if (Number.isFinite(aiprovRss)) targets.push(target('aiprov peak RSS', aiprovRss, 128, 'max', 'MiB', '≤ 128 MiB, every fixture (1,000,000 files too) and command'));
  const fullSign = byName('model', 'aiprov sign');
  const incrementalSign = byName('model', 'aiprov sign --incremental');
  if (fullSign !== undefined && incrementalSign !== undefined) {
    targets.push(target('re-sign after one change, --incremental vs full', median(incrementalSign.times), 0.15 * median(fullSign.times), 'max', 's', '≤ 0.15 × a full sign (whole process)'));
  }
  const merged = byName('model', 'aiprov digest --merge');
  if (merged !== undefined) {
    const single = byName('model', 'aiprov files sha256')?.outputs ?? [];
    const same = merged.outputs.length > 0 && new Set([...merged.outputs, ...single]).size === 1;
    targets.push({ name: '--partition K/3 ×3 + --merge vs one process', value: same ? 1 : 0, target: 1, ratio: same ? 1 : 0, met: same, unit: '', note: 'the merged root is the single-process root' });
  }
  targets.push(...untrustedInputTargets(byName, median));
  if (startupCases.length > 0) {
    const [version, node] = startupCases.map((item) => median(item.times));
    targets.push(target('aiprov --version vs node -e 0', version ?? Number.NaN, 1.5 * (node ?? Number.NaN), 'max', 's', '≤ 1.5 × node -e 0'));
  }

  // -------------------------------------------------------------------------------------------
  const rows = [['fixture', 'command', 'median s', 'GB/s', 'files/s', 'peak RSS MiB']];
  for (const item of [...cases, ...startupCases]) {
    const isStartup = item.fixture === 'startup';
    rows.push([
      item.fixture,
      item.name,
      median(item.times).toFixed(3),
      isStartup ? '' : gbps(rate(item)),
      isStartup ? '' : Math.round(filesRate(item)).toLocaleString('en-US'),
      Number.isNaN(median(item.rssKiB)) ? '?' : (Math.max(...item.rssKiB) / 1024).toFixed(0),
    ]);
  }
  if (haveOpenssl) {
    rows.push(['limit', 'openssl sha256 1 core', '', gbps(oneCore), '', '']);
    rows.push(['limit', `openssl sha256 ${String(CORES)} cores`, '', gbps(allCores), '', '']);
  }
  const machine = {
    cpu: [...new Set(cpus().map((cpu) => cpu.model))].join(', '),
    cores: CORES,
    memoryGiB: Math.round(totalmem() / GiB),
    node: process.version,
    kernel: release(),
    python: PYTHON === undefined ? undefined : spawnSync(PYTHON, ['--version'], { encoding: 'utf8' }).stdout.trim(),
    b3sum: available('b3sum') ? spawnSync('b3sum', ['--version'], { encoding: 'utf8' }).stdout.trim() : undefined,
    openssl: haveOpenssl ? spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout.trim() : undefined,
  };
  const fixtureRows = fixtures.map((fixture) => `${fixture.name}: ${fixture.fileCount.toLocaleString('en-US')} files, ${(fixture.bytes / GiB).toFixed(2)} GiB`);
  console.log(`\naiprov hashing benchmark — ${machine.cpu}, ${String(CORES)} cores, ${String(machine.memoryGiB)} GiB, Node ${machine.node}; scale ${String(SCALE)}, ${String(ROUNDS)} rounds, medians, warm page cache`);
  console.log(fixtureRows.join('; '));
  console.log(`\n${table(rows)}\n`);
  console.log(
    table([
      ['target', 'value', 'target', 'ratio (≥ 1: met)', 'met', 'rule'],
      ...targets.map((item) => [item.name, `${item.value.toFixed(item.unit === 's' ? 3 : 2)} ${item.unit}`, `${item.target.toFixed(item.unit === 's' ? 3 : 2)} ${item.unit}`, item.ratio.toFixed(2), item.met ? 'yes' : 'NO', item.note]),
    ]),
  );
  if (noisyWaits > 0) console.log(`\nWARNING: ${String(noisyWaits)} measurements started while other processes kept the CPUs busy; ratios may be skewed.`);
  if (mismatches.length > 0) console.log(`\nDIGEST MISMATCH between aiprov and the peer:\n${mismatches.join('\n')}`);
  else console.log('\naiprov and the peer printed the same root digests.');

  mkdirSync(join(REPO, 'bench', 'results'), { recursive: true });
  const report = {
    date: new Date().toISOString(),
    machine,
    scale: SCALE,
    rounds: ROUNDS,
    fixtures: fixtures.map((fixture) => ({ name: fixture.name, files: fixture.fileCount, bytes: fixture.bytes })),
    limits: { sha256OneCore: oneCore, sha256AllCores: allCores, samplesOneCore: limits.oneCore, samplesAllCores: limits.allCores },
    cases: [...cases, ...startupCases].map((item) => ({
      fixture: item.fixture,
      name: item.name,
      command: portableCommand(item.argv),
      medianSeconds: median(item.times),
      seconds: item.times,
      bytesPerSecond: item.fixture === 'startup' ? undefined : rate(item),
      filesPerSecond: item.fixture === 'startup' ? undefined : filesRate(item),
      peakRssMiB: Math.max(...item.rssKiB) / 1024,
      output: item.outputs[0] === undefined ? undefined : portableText(item.outputs[0]),
    })),
    targets,
    digestsAgree: mismatches.length === 0,
    measurementsOnBusyMachine: noisyWaits,
  };
  writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);

  /** Text with no path of the machine that ran the bench: fixtures as $FIXTURES, the repository relative. @param {string} text */
  function portableText(text) {
    return text.split(root).join('$FIXTURES').split(REPO.endsWith('/') ? REPO : `${REPO}/`).join('');
  }

  /** The command as anyone could rerun it: no path of the machine that ran the bench. */
  function portableCommand(argv) {
    const shown = argv.slice(0, 12).map((arg, index) => {
      if (index === 0 && arg.includes('/')) return basename(arg);
      return portableText(arg);
    });
    return shown.join(' ') + (argv.length > 12 ? ' …' : '');
  }
  log(`wrote ${RESULTS}`);
} finally {
  if (ownDir === undefined) rmSync(root, { recursive: true, force: true });
}
