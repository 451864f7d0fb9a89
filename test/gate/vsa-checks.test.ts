import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli, type CliRun } from '../support/cli.js';
import { writeModel } from '../support/fixtures.js';
import { legacyVsaStatement, signStatementFile } from '../support/vsa.js';

async function ok(args: readonly string[]): Promise<CliRun> {
  const run = await runCli(args);
  expect(run.status, `${args.join(' ')}\n${run.stderr}`).toBe(0);
  return run;
}

/** The statement inside a one-line bundle file. */
async function statementOf(path: string): Promise<{ predicate: Record<string, unknown> }> {
  const bundle = JSON.parse((await readFile(path, 'utf8')).trim()) as { dsseEnvelope: { payload: string } };
  return JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as { predicate: Record<string, unknown> };
}

/**
 * The checks of `verify vsa` beyond the lineage gate's (test/gate/gate.test.ts): what it hashes
 * with, the kind, the levels, who signed, and where `--vsa-out` and `--evidence-out` may write.
 * Key-signed, built with the CLI.
 */
describe('verify vsa: what it hashes with, kinds, levels and signers', () => {
  let root: string;
  let key: string;
  let pub: string;
  let otherPub: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'aiprov-vsa-'));
    await ok(['keygen', '--output-prefix', join(root, 'release')]);
    await ok(['keygen', '--output-prefix', join(root, 'other')]);
    key = join(root, 'release.key');
    pub = join(root, 'release.pub');
    otherPub = join(root, 'other.pub');
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('a summary written before summaries recorded serialization and names is refused (VSA_INCOMPLETE, exit 2), never checked with model.sig\'s ignore_paths', async () => {
    const model = await writeModel(join(root, 'legacy', 'm'), { 'weights.bin': 'w', 'notes.txt': 'n' });
    await ok(['sign', model, '--key', key, '--ignore-paths', 'notes.txt', '--quiet']);
    const { rootDigest } = JSON.parse((await ok(['verify', model, '--key', pub, '--json'])).stdout) as { rootDigest: string };
    const legacy = join(root, 'legacy', 'legacy.vsa.jsonl');
    await signStatementFile(legacyVsaStatement('m', rootDigest), key, legacy);
    // Its root binds the contents in order but not the names, and it says nothing of what was left out.
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', legacy, '--key', pub]), 2, 'VSA_INCOMPLETE');
    await rm(join(model, 'notes.txt'));
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', legacy, '--key', pub]), 2, 'VSA_INCOMPLETE');
  });

  it('a summary written by verify records the serialization it verified with, and the gate hashes with exactly that', async () => {
    const model = await writeModel(join(root, 'recorded', 'm'), { 'weights.bin': 'w', 'notes.txt': 'n' });
    await ok(['sign', model, '--key', key, '--method', 'shards', '--shard-size', '4', '--ignore-paths', 'notes.txt', '--quiet']);
    const summary = join(root, 'recorded', 'm.vsa.jsonl');
    await ok(['verify', model, '--key', pub, '--vsa-out', summary, '--vsa-key', key]);
    const { predicate } = await statementOf(summary);
    expect(predicate['kind']).toBe('model');
    expect(predicate['serialization']).toMatchObject({ method: 'shards', shardSize: 4, ignorePaths: expect.arrayContaining(['model.sig', 'notes.txt']) as unknown });
    expect(predicate['resourcesDigest']).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown });
    const run = await ok(['verify', 'vsa', model, '--vsa', summary, '--key', pub, '--json']);
    expect(JSON.parse(run.stdout)).toMatchObject({ serialization: { method: 'shards', shardSize: 4 } });
    // A file the verifier never saw is an extra file: the root changes.
    await writeFile(join(model, 'chat_template.jinja'), '{{ evil }}');
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', summary, '--key', pub]), 1, 'VSA_SUBJECT_MISMATCH');
  });

  it('a dataset\'s summary never passes for a model (VSA_KIND_MISMATCH, exit 3); it passes with --kind dataset', async () => {
    const dataset = await writeModel(join(root, 'kinds', 'd'), { 'part-0.jsonl': '{}\n' });
    await ok(['sign', dataset, '--kind', 'dataset', '--key', key, '--quiet']);
    const summary = join(root, 'kinds', 'd.vsa.jsonl');
    await ok(['verify', dataset, '--kind', 'dataset', '--key', pub, '--vsa-out', summary, '--vsa-key', key]);
    expect((await statementOf(summary)).predicate['kind']).toBe('dataset');
    expectOneLineError(await runCli(['verify', 'vsa', dataset, '--vsa', summary, '--key', pub]), 3, 'VSA_KIND_MISMATCH');
    await ok(['verify', 'vsa', dataset, '--kind', 'dataset', '--vsa', summary, '--key', pub]);
  });

  it('--verified-level: every level given must be asserted (VSA_LEVEL_MISMATCH, exit 3); without it PASSED is enough', async () => {
    const model = await writeModel(join(root, 'levels', 'm'), { 'weights.bin': 'w' });
    await ok(['sign', model, '--key', key, '--quiet']);
    const summary = join(root, 'levels', 'm.vsa.jsonl');
    await ok(['verify', model, '--key', pub, '--vsa-out', summary, '--vsa-key', key]);
    await ok(['verify', 'vsa', model, '--vsa', summary, '--key', pub]);
    await ok(['verify', 'vsa', model, '--vsa', summary, '--key', pub, '--verified-level', 'AIPROV_SIGNATURE_VERIFIED']);
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', summary, '--key', pub, '--verified-level', 'AIPROV_LINEAGE_VERIFIED']), 3, 'VSA_LEVEL_MISMATCH');
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', summary, '--key', pub, '--verified-level', 'AIPROV_SIGNATURE_VERIFIED', '--verified-level', 'AIPROV_LINEAGE_VERIFIED']), 3, 'VSA_LEVEL_MISMATCH');
  });

  it('a summary by an untrusted key is denied (VSA_UNTRUSTED_SIGNER, exit 3); an altered one fails (SIGNATURE_INVALID, exit 1); verify --key keeps KEY_MISMATCH (exit 1)', async () => {
    const model = await writeModel(join(root, 'signers', 'm'), { 'weights.bin': 'w' });
    await ok(['sign', model, '--key', key, '--quiet']);
    const summary = join(root, 'signers', 'm.vsa.jsonl');
    await ok(['verify', model, '--key', pub, '--vsa-out', summary, '--vsa-key', key]);
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', summary, '--key', otherPub]), 3, 'VSA_UNTRUSTED_SIGNER');
    const bundle = JSON.parse((await readFile(summary, 'utf8')).trim()) as { dsseEnvelope: { payload: string } };
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as { predicate: { verifiedLevels: string[] } };
    statement.predicate.verifiedLevels = ['AIPROV_LINEAGE_VERIFIED'];
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    const altered = join(root, 'signers', 'altered.vsa.jsonl');
    await writeFile(altered, `${JSON.stringify(bundle)}\n`);
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', altered, '--key', pub, '--verified-level', 'AIPROV_LINEAGE_VERIFIED']), 1, 'SIGNATURE_INVALID');
    expectOneLineError(await runCli(['verify', model, '--key', otherPub]), 1, 'KEY_MISMATCH');
  });

  it('policy digest prints sha256:<hex> of the file\'s bytes alone on stdout; a missing file is one error line', async () => {
    const policy = join(root, 'policy.yaml');
    const bytes = Buffer.from('version: 1\n# caf\xe9 in Latin-1, not UTF-8\n', 'latin1');
    await writeFile(policy, bytes);
    const run = await ok(['policy', 'digest', policy]);
    expect(run.stdout).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}\n`);
    expectOneLineError(await runCli(['policy', 'digest', join(root, 'absent.yaml')]), 4, 'FILE_NOT_FOUND');
    expectOneLineError(await runCli(['policy', 'digest', root]), 2, 'POLICY_NOT_A_FILE');
  });
});

describe('--vsa-out and --evidence-out never write into the artifact or over an input', () => {
  let root: string;
  let model: string;
  let policy: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'aiprov-outputs-'));
    await ok(['keygen', '--output-prefix', join(root, 'ci')]);
    model = await writeModel(join(root, 'm'), { 'weights.bin': 'w' });
    await ok(['sign', model, '--key', join(root, 'ci.key'), '--quiet']);
    policy = join(root, 'policy.yaml');
    await writeFile(policy, 'version: 1\nsigners:\n  ci:\n    key: ./ci.pub\nroles:\n  model:\n    signers: [ci]\n');
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('verify --vsa-out inside the artifact, or over the key, the signature or the VSA key, is refused (OUTPUT_PATH_INVALID, exit 2) and nothing is written', async () => {
    const pub = join(root, 'ci.pub');
    const before = await readFile(pub, 'utf8');
    for (const target of [join(model, 'model.vsa.jsonl'), join(model, 'sub', '..', 'x.jsonl'), model, pub, join(model, 'model.sig'), join(root, 'ci.key')]) {
      const run = await runCli(['verify', model, '--key', pub, '--vsa-out', target, '--vsa-key', join(root, 'ci.key')]);
      expectOneLineError(run, 2, 'OUTPUT_PATH_INVALID');
    }
    await expect(readFile(join(model, 'model.vsa.jsonl'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(pub, 'utf8')).toBe(before);
    await ok(['verify', model, '--key', pub]);
  });

  it('verify lineage: --evidence-out only as model.evidence.jsonl at the top of the model; never over the policy, a key it names, or the evidence it reads', async () => {
    await ok(['verify', 'lineage', model, '--policy', policy, '--evidence-out', join(model, 'model.evidence.jsonl')]);
    await ok(['verify', model, '--key', join(root, 'ci.pub')]);
    const refused: string[][] = [
      ['--evidence-out', join(model, 'evidence.jsonl')],
      ['--evidence-out', policy],
      ['--evidence-out', join(root, 'ci.pub')],
      ['--evidence', join(model, 'model.evidence.jsonl'), '--evidence-out', join(model, 'model.evidence.jsonl')],
      ['--vsa-out', join(model, 'model.evidence.jsonl'), '--vsa-key', join(root, 'ci.key')],
      ['--vsa-out', policy, '--vsa-key', join(root, 'ci.key')],
      ['--evidence-out', join(root, 'same.jsonl'), '--vsa-out', join(root, 'same.jsonl'), '--vsa-key', join(root, 'ci.key')],
    ];
    for (const flags of refused) expectOneLineError(await runCli(['verify', 'lineage', model, '--policy', policy, ...flags]), 2, 'OUTPUT_PATH_INVALID');
    expect(await readFile(policy, 'utf8')).toContain('signers:');
    const copy = join(root, 'copy');
    await mkdir(copy);
    await cp(model, join(copy, 'm'), { recursive: true });
    await ok(['verify', 'lineage', join(copy, 'm'), '--policy', policy, '--evidence-out', join(root, 'beside.evidence.jsonl'), '--vsa-out', join(root, 'beside.vsa.jsonl'), '--vsa-key', join(root, 'ci.key')]);
  });
});
