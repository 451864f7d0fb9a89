// Fixtures and cases of `npm run bench` that measure the cost of input someone else controls
// (issue 18, "bounded work on untrusted input"): what `verify lineage --evidence` costs for a file
// of many lines, and what `digest --merge` costs for many tiny parts or one large part. The
// numbers that matter are time and peak RSS as the input grows, so each case comes with a smaller
// sibling and the report gives the ratio (per-line cost that stays constant keeps it near 10).
//
// Fixture generation signs and lays out parts in this process, with the library and helpers of
// the build in dist/ (the same formats every build reads), so thousands of lines take seconds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * @typedef {{ name: string, path: string, files: string[], fileCount: number, bytes: number }} Fixture
 * @typedef {(name: string, role: 'aiprov' | 'untrusted', argv: string[], status?: number) => object} MakeCase
 */

/** @param {string} repo */
async function library(repo) {
  const url = (/** @type {string} */ path) => pathToFileURL(join(repo, 'dist', path)).href;
  return {
    index: await import(url('index.js')),
    partition: await import(url('manifest/partition.js')),
  };
}

/** @param {string} bin @param {string[]} args */
function run(bin, args) {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`aiprov ${args.join(' ')} failed (${String(result.status)}): ${result.stderr}`);
  return result;
}

/** Evidence line counts: the largest is the documented limit of an evidence file. */
const EVIDENCE_LINES = [1_000, 10_000];

/**
 * A model signed with one key, a policy with three key signers, and evidence files of 1,000 and
 * 10,000 lines: the model's own signature, then genuine signatures by the model's signer of
 * other artifacts (distinct statements), which the verdict does not use. Every line must be
 * authenticated (a forged one fails the verification), so this is the most work a line can ask
 * for; `verify lineage` exits 1 (EVIDENCE_UNUSED).
 * @param {string} root @param {string} bin @param {string} repo @param {number} scale
 * @returns {Promise<Fixture[]>}
 */
export async function createEvidenceFixtures(root, bin, repo, scale) {
  const { index } = await library(repo);
  const dir = join(root, 'evidence');
  mkdirSync(dir, { recursive: true });
  for (const name of ['ci', 'data', 'other']) run(bin, ['keygen', '--output-prefix', join(dir, name), '--force']);
  const model = join(dir, 'chat-1b');
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'config.json'), '{}\n');
  writeFileSync(join(model, 'weights.bin'), 'weights\n');
  run(bin, ['sign', model, '--key', join(dir, 'ci.key'), '--quiet']);
  writeFileSync(
    join(dir, 'policy.yaml'),
    'version: 1\nsigners:\n  ci:\n    key: ./ci.pub\n  data-team:\n    key: ./data.pub\n  other:\n    key: ./other.pub\nroles:\n  model:\n    signers: [ci]\n  dataset:\n    signers: [data-team, other]\n  recipe:\n    signers: [ci]\n',
  );
  const signature = readFileSync(join(model, 'model.sig'), 'utf8').trim();
  const statement = JSON.parse(Buffer.from(JSON.parse(signature).dsseEnvelope.payload, 'base64').toString('utf8'));
  const method = { kind: 'key', privateKey: index.parsePrivateKey(readFileSync(join(dir, 'ci.key'), 'utf8'), 'ci.key') };
  const lines = [signature];
  const most = Math.max(...EVIDENCE_LINES.map((count) => Math.max(2, Math.round(count * scale))));
  for (let line = 1; line < most; line++) {
    const other = { ...statement, subject: [{ name: `other-${String(line)}`, digest: { sha256: createHash('sha256').update(String(line)).digest('hex') } }] };
    lines.push(JSON.stringify(await index.signDssePayload(Buffer.from(JSON.stringify(other), 'utf8'), index.IN_TOTO_PAYLOAD_TYPE, method)));
  }
  return EVIDENCE_LINES.map((count) => {
    const wanted = Math.max(2, Math.round(count * scale));
    const path = join(dir, `evidence-${String(wanted)}.jsonl`);
    const text = `${lines.slice(0, wanted).join('\n')}\n`;
    writeFileSync(path, text);
    return { name: `evidence-${String(count)}`, path, files: [path], fileCount: wanted, bytes: Buffer.byteLength(text) };
  });
}

/** @param {Fixture} fixture @param {string} bin @param {MakeCase} item */
export function evidenceCases(fixture, bin, item) {
  const dir = join(fixture.path, '..');
  return [item('aiprov verify lineage --evidence', 'untrusted', [process.execPath, bin, 'verify', 'lineage', join(dir, 'chat-1b'), '--policy', join(dir, 'policy.yaml'), '--evidence', fixture.path, '--json'], 1)];
}

/**
 * Parts of `digest --merge`, laid out as `digest --partition K/N --json` writes them: 10,000
 * one-file parts (and 1,000, for the ratio), and one part holding 1,200,000 resources (and
 * 120,000), about 226 MB pretty-printed, the size that took 8.6 s and 1.37 GB.
 * @param {string} root @param {string} repo @param {number} scale
 * @returns {Promise<Fixture[]>}
 */
export async function createMergeFixtures(root, repo, scale) {
  const { partition } = await library(repo);
  const serialization = { method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: ['model.sig', 'model.sig.json', 'model.attestations.jsonl', 'model.evidence.jsonl'] };
  /** @param {string} name @param {number} files @param {number} count */
  const write = (name, files, count) => {
    const dir = join(root, 'merge', name);
    mkdirSync(dir, { recursive: true });
    const resources = partition.sortUnits(
      Array.from({ length: files }, (_, at) => ({ name: `shard-${String(Math.floor(at / 1000)).padStart(4, '0')}/file-${String(at).padStart(7, '0')}.bin`, algorithm: 'sha256', digest: createHash('sha256').update(String(at)).digest('hex'), size: 1 + ((at * 2_654_435_761) % 65_536) })),
      'files',
    );
    const listing = partition.summarizeListing(resources);
    const assigned = partition.assignParts(resources, count);
    /** @type {object[][]} */
    const byPart = Array.from({ length: count }, () => []);
    resources.forEach((resource, at) => byPart[(assigned[at] ?? 1) - 1]?.push(resource));
    const paths = byPart.map((held, at) => {
      const path = join(dir, `part-${String(at + 1).padStart(5, '0')}.json`);
      writeFileSync(path, `${JSON.stringify({ partition: { index: at + 1, count }, name: 'model', serialization, listing, resources: held }, null, 2)}\n`);
      return path;
    });
    return { name: `merge-${name}`, path: dir, files: paths, fileCount: files, bytes: 0 };
  };
  const scaled = (/** @type {number} */ value) => Math.max(2, Math.round(value * scale));
  return [write('tiny-1000', scaled(1_000), scaled(1_000)), write('tiny-10000', scaled(10_000), scaled(10_000)), write('large-120000', scaled(120_000), 1), write('large-1200000', scaled(1_200_000), 1)];
}

/** @param {Fixture} fixture @param {string} bin @param {MakeCase} item */
export function mergeCases(fixture, bin, item) {
  return [item('aiprov digest --merge', 'untrusted', [process.execPath, bin, 'digest', '--merge', ...fixture.files])];
}

/**
 * Ratios of the large input's cost to the small one's (10× the lines, files or resources): near
 * 10 when the cost per line is constant, far above it when it grows with the input.
 * @param {(fixture: string, name: string) => { times: number[], rssKiB: number[] } | undefined} byName
 * @param {(values: number[]) => number} median
 */
export function untrustedInputTargets(byName, median) {
  const pairs = [
    ['evidence 10,000 lines vs 1,000 lines', 'evidence-10000', 'evidence-1000', 'aiprov verify lineage --evidence'],
    ['merge 10,000 tiny parts vs 1,000', 'merge-tiny-10000', 'merge-tiny-1000', 'aiprov digest --merge'],
    ['merge one part of 1,200,000 resources vs 120,000', 'merge-large-1200000', 'merge-large-120000', 'aiprov digest --merge'],
  ];
  return pairs.flatMap(([name, large, small, command]) => {
    const big = byName(large, command);
    const little = byName(small, command);
    if (big === undefined || little === undefined) return [];
    const ratio = median(big.times) / median(little.times);
    return [{ name: `${name}, time`, value: ratio, target: 15, ratio: 15 / ratio, met: ratio <= 15, unit: '×', note: '10× the input: ≤ 15× the time (constant cost per line, part or resource; informative)' }];
  });
}
