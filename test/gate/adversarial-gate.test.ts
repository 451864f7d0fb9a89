import { link, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli, type CliRun } from '../support/cli.js';
import { writeModel } from '../support/fixtures.js';
import { legacyVsaStatement, signStatementFile } from '../support/vsa.js';

/**
 * The adversarial second look at the deployment gate (`verify vsa`, `verify lineage --evidence`,
 * and the outputs `--vsa-out` / `--evidence-out`): each test is an attack, and asserts the safe
 * outcome. Those named "was a hole" passed the gate before the fix named in them.
 */

async function ok(args: readonly string[], cwd?: string): Promise<CliRun> {
  const run = await runCli(args, cwd === undefined ? {} : { cwd });
  expect(run.status, `${args.join(' ')}\n${run.stderr}`).toBe(0);
  return run;
}

interface Statement {
  subject: { name: string; digest: { sha256: string } }[];
  predicate: Record<string, unknown> & { serialization?: Record<string, unknown> };
}

function statementOfBundle(text: string): Statement {
  const bundle = JSON.parse(text.trim()) as { dsseEnvelope: { payload: string } };
  return JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as Statement;
}

describe('adversarial: the gate never passes a model that differs from what was verified', () => {
  let root: string;
  let key: string;
  let pub: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'aiprov-adv-'));
    await ok(['keygen', '--output-prefix', join(root, 'release')]);
    key = join(root, 'release.key');
    pub = join(root, 'release.pub');
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Signs `files` as a model, verifies it with --vsa-out, returns the model and the summary. */
  async function verifiedModel(dir: string, files: Record<string, string>, signFlags: readonly string[] = [], verifyFlags: readonly string[] = []): Promise<{ model: string; vsa: string }> {
    const model = await writeModel(join(root, dir, 'm'), files);
    await ok(['sign', model, '--key', key, '--quiet', ...signFlags]);
    const vsa = join(root, dir, 'm.vsa.jsonl');
    await ok(['verify', model, '--key', pub, '--vsa-out', vsa, '--vsa-key', key, ...verifyFlags]);
    return { model, vsa };
  }

  // The subject digest of an OMS statement (and so of a VSA) is sha256 over the resource digests
  // alone: it binds neither the names nor, with shards, the offsets. `verify` compares names;
  // `verify vsa` compares only the root.
  it('was a hole: files renamed so that their order (and so the root digest) is unchanged: refused (VSA_SUBJECT_MISMATCH)', async () => {
    const { model, vsa } = await verifiedModel('rename', { 'config.json': '{"x":1}', 'model.safetensors': 'SAFE', 'training_args.bin': 'PICKLE' });
    // A loader that finds no model.safetensors falls back to pytorch_model.bin: a pickle, here the
    // signed bytes of training_args.bin.
    await rename(join(model, 'model.safetensors'), join(model, 'model.safetensors.old'));
    await rename(join(model, 'training_args.bin'), join(model, 'pytorch_model.bin'));
    expect((await runCli(['verify', model, '--key', pub])).status).toBe(1);
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', vsa, '--key', pub]), 1, 'VSA_SUBJECT_MISMATCH');
  });

  it('was a hole: a file moved into another directory, order unchanged: refused (VSA_SUBJECT_MISMATCH)', async () => {
    const { model, vsa } = await verifiedModel('move', { 'a.json': '{}', 'docs/example_exploit.py': 'import os; os.system("id")', 'z.bin': 'z' });
    await mkdir(join(model, 'code'));
    await rename(join(model, 'docs', 'example_exploit.py'), join(model, 'code', 'modeling_custom.py'));
    await rm(join(model, 'docs'), { recursive: true });
    expect((await runCli(['verify', model, '--key', pub])).status).toBe(1);
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', vsa, '--key', pub]), 1, 'VSA_SUBJECT_MISMATCH');
  });

  it('was a hole: shards: one file split at a shard boundary into two files: refused (VSA_SUBJECT_MISMATCH)', async () => {
    const { model, vsa } = await verifiedModel('shards', { 'w.bin': 'AAAABBBB' }, ['--method', 'shards', '--shard-size', '4']);
    await writeFile(join(model, 'w.bin'), 'AAAA');
    await writeFile(join(model, 'w.bin2'), 'BBBB');
    expect((await runCli(['verify', model, '--key', pub])).status).toBe(1);
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', vsa, '--key', pub]), 1, 'VSA_SUBJECT_MISMATCH');
  });

  /**
   * A signature as model_signing writes it: its ignore_paths do not name model.intoto.jsonl or
   * model.evidence.jsonl (aiprov's verify leaves them out only when they really are files of
   * Sigstore bundles). Made by re-signing aiprov's statement without those two names.
   */
  async function modelSigningStyle(dir: string, files: Record<string, string>): Promise<string> {
    const model = await writeModel(join(root, dir, 'm'), files);
    await ok(['sign', model, '--key', key, '--quiet']);
    const statement = statementOfBundle(await readFile(join(model, 'model.sig'), 'utf8')) as Statement & { predicate: { serialization: { ignore_paths: string[] } } };
    statement.predicate.serialization.ignore_paths = statement.predicate.serialization.ignore_paths.filter((path) => path !== 'model.intoto.jsonl' && path !== 'model.evidence.jsonl');
    await signStatementFile(statement, key, join(model, 'model.sig'));
    await ok(['verify', model, '--key', pub]);
    return model;
  }

  it('was a hole: model.intoto.jsonl seen as a bundles file at verify time, a directory of code at deploy time: refused as verify refuses it', async () => {
    const model = await modelSigningStyle('intoto-dir', { 'weights.bin': 'w' });
    // At release time the model ships a genuine attestations file (one bundle per line).
    await writeFile(join(model, 'model.intoto.jsonl'), await readFile(join(model, 'model.sig'), 'utf8'));
    const vsa = join(root, 'intoto-dir', 'm.vsa.jsonl');
    await ok(['verify', model, '--key', pub, '--vsa-out', vsa, '--vsa-key', key]);
    expect(statementOfBundle(await readFile(vsa, 'utf8')).predicate.serialization?.['ignorePaths']).toContain('model.intoto.jsonl');
    // At deploy time it is a directory holding anything.
    await rm(join(model, 'model.intoto.jsonl'));
    await writeModel(join(model, 'model.intoto.jsonl'), { 'payload.py': 'import os; os.system("id")' });
    expect((await runCli(['verify', model, '--key', pub])).status).toBe(1);
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', vsa, '--key', pub]), 1, 'VSA_SUBJECT_MISMATCH');
  });

  it('was a hole: a legacy summary (no serialization) ignores model.intoto.jsonl of any content with the defaults; verify does not', async () => {
    const model = await modelSigningStyle('legacy-intoto', { 'weights.bin': 'w' });
    const { rootDigest } = JSON.parse((await ok(['verify', model, '--key', pub, '--json'])).stdout) as { rootDigest: string };
    const vsa = join(root, 'legacy-intoto', 'legacy.vsa.jsonl');
    await signStatementFile(legacyVsaStatement('m', rootDigest), key, vsa);
    await writeFile(join(model, 'model.intoto.jsonl'), 'not bundles: loadable content under a metadata name\n');
    expect((await runCli(['verify', model, '--key', pub])).status).toBe(1);
    // The fix: a summary that records no serialization and no resources digest is refused whole.
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', vsa, '--key', pub]), 2, 'VSA_INCOMPLETE');
  });

  it('was a hole: a legacy summary ignores another kind\'s metadata names (dataset.sig/, recipe.intoto.jsonl/) added at deploy time; verify does not', async () => {
    // Signed by aiprov with its defaults: no dataset.sig existed, so none is in ignore_paths.
    const model = await writeModel(join(root, 'legacy-kinds', 'm'), { 'weights.bin': 'w' });
    await ok(['sign', model, '--key', key, '--quiet']);
    const { rootDigest } = JSON.parse((await ok(['verify', model, '--key', pub, '--json'])).stdout) as { rootDigest: string };
    const vsa = join(root, 'legacy-kinds', 'legacy.vsa.jsonl');
    await signStatementFile(legacyVsaStatement('m', rootDigest), key, vsa);
    await writeModel(join(model, 'dataset.sig'), { 'evil.py': 'import os' });
    await writeModel(join(model, 'recipe.intoto.jsonl'), { 'evil.so': 'ELF' });
    expect((await runCli(['verify', model, '--key', pub])).status).toBe(1);
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', vsa, '--key', pub]), 2, 'VSA_INCOMPLETE');
  });

  it('a legacy summary for a model signed with custom ignore paths: refused (VSA_INCOMPLETE)', async () => {
    const model = await writeModel(join(root, 'legacy-custom', 'm'), { 'weights.bin': 'w', 'local.cfg': 'c' });
    await ok(['sign', model, '--key', key, '--quiet', '--ignore-paths', 'local.cfg']);
    const { rootDigest } = JSON.parse((await ok(['verify', model, '--key', pub, '--json'])).stdout) as { rootDigest: string };
    const vsa = join(root, 'legacy-custom', 'legacy.vsa.jsonl');
    await signStatementFile(legacyVsaStatement('m', rootDigest), key, vsa);
    await writeFile(join(model, 'local.cfg'), 'changed');
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', vsa, '--key', pub]), 2, 'VSA_INCOMPLETE');
  });

  it('a summary from verify --ignore-unsigned-files: the unsigned file is not left out at the gate (VSA_SUBJECT_MISMATCH)', async () => {
    const model = await writeModel(join(root, 'unsigned', 'm'), { 'weights.bin': 'w' });
    await ok(['sign', model, '--key', key, '--quiet']);
    await writeFile(join(model, 'extra.py'), 'import os');
    const vsa = join(root, 'unsigned', 'm.vsa.jsonl');
    await ok(['verify', model, '--key', pub, '--ignore-unsigned-files', '--vsa-out', vsa, '--vsa-key', key]);
    expect(statementOfBundle(await readFile(vsa, 'utf8')).predicate.serialization?.['ignorePaths']).not.toContain('extra.py');
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', vsa, '--key', pub]), 1, 'VSA_SUBJECT_MISMATCH');
    await writeFile(join(model, 'extra.py'), 'changed');
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', vsa, '--key', pub]), 1, 'VSA_SUBJECT_MISMATCH');
  });

  it('a summary recording --ignore-paths of the verifier: a directory of that name added later is left out, as verify --ignore-paths does (verifier\'s choice)', async () => {
    const model = await writeModel(join(root, 'verifier-ignores', 'm'), { 'weights.bin': 'w', 'logs/run.txt': 'l' });
    await ok(['sign', model, '--key', key, '--quiet']);
    const vsa = join(root, 'verifier-ignores', 'm.vsa.jsonl');
    // The verifier ignores logs/run.txt, which is signed: it is then missing from the re-hash.
    const run = await runCli(['verify', model, '--key', pub, '--ignore-paths', 'logs/run.txt', '--vsa-out', vsa, '--vsa-key', key]);
    expect(run.status).toBe(1);
    expect(statementOfBundle(await readFile(vsa, 'utf8')).predicate['verificationResult']).toBe('FAILED');
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', vsa, '--key', pub]), 1, 'VSA_FAILED');
  });

  it('allowSymlinks recorded (verify --allow-symlinks), a file replaced later by a link outside the model: refused (SYMLINK_ESCAPES_ARTIFACT, exit 2)', async () => {
    const { model, vsa } = await verifiedModel('links', { 'weights.bin': 'w' }, [], ['--allow-symlinks']);
    expect(statementOfBundle(await readFile(vsa, 'utf8')).predicate.serialization?.['allowSymlinks']).toBe(true);
    const outside = join(root, 'links', 'outside.bin');
    await writeFile(outside, 'w');
    await rm(join(model, 'weights.bin'));
    await symlink(outside, join(model, 'weights.bin'));
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', vsa, '--key', pub]), 2, 'SYMLINK_ESCAPES_ARTIFACT');
  });

  it('allowSymlinks not recorded: a link inside the model to a file of the same bytes is refused (SYMLINK_REFUSED, exit 2)', async () => {
    const { model, vsa } = await verifiedModel('links-off', { 'a.bin': 'same', 'b.bin': 'same' });
    await rm(join(model, 'b.bin'));
    await symlink('a.bin', join(model, 'b.bin'));
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', vsa, '--key', pub]), 2, 'SYMLINK_REFUSED');
  });

  it('a directory under aiprov\'s temporary-file name, at the top level or deeper, is content: verify and the gate refuse it alike', async () => {
    const { model, vsa } = await verifiedModel('tmpname', { 'weights.bin': 'w' });
    for (const folder of [join(model, 'sub', '.aiprov-tmp-1-0123456789ab'), join(model, '.aiprov-tmp-1-0123456789ab')]) {
      await writeModel(folder, { 'payload.py': 'import os' });
      expect((await runCli(['verify', model, '--key', pub])).status).toBe(1);
      expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', vsa, '--key', pub]), 1, 'VSA_SUBJECT_MISMATCH');
      await rm(folder, { recursive: true });
    }
  });

  it('an extra .git / .github at the top level is ignored by verify and gate alike; below the top level it counts (VSA_SUBJECT_MISMATCH)', async () => {
    const { model, vsa } = await verifiedModel('git', { 'weights.bin': 'w' });
    await writeModel(join(model, 'sub', '.git'), { 'hooks/post-checkout': '#!/bin/sh' });
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', vsa, '--key', pub]), 1, 'VSA_SUBJECT_MISMATCH');
    await rm(join(model, 'sub'), { recursive: true });
    await writeModel(join(model, '.github'), { 'workflows/x.yml': 'on: push' });
    const verify = await runCli(['verify', model, '--key', pub]);
    const gate = await runCli(['verify', 'vsa', model, '--vsa', vsa, '--key', pub]);
    expect(gate.status === 0 ? verify.status : 0).toBe(0);
  });

  it('a dataset\'s summary: refused for a model dir (VSA_KIND_MISMATCH, exit 3); a summary of an unknown or differently cased kind never passes', async () => {
    const { model, vsa } = await verifiedModel('kind', { 'weights.bin': 'w' });
    const statement = statementOfBundle(await readFile(vsa, 'utf8'));
    for (const kind of ['dataset', 'Model', 'model ', 'MODEL']) {
      const altered = join(root, 'kind', `${kind.trim()}-${String(kind.length)}.vsa.jsonl`);
      await signStatementFile({ ...statement, predicate: { ...statement.predicate, kind } }, key, altered);
      expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', altered, '--key', pub]), 3, 'VSA_KIND_MISMATCH');
    }
    // A model summary asked about as a dataset.
    expectOneLineError(await runCli(['verify', 'vsa', model, '--kind', 'dataset', '--vsa', vsa, '--key', pub]), 3, 'VSA_KIND_MISMATCH');
  });

  it('recorded ignorePaths that leave the artifact or are not in normal form are VSA_INVALID', async () => {
    const { model, vsa } = await verifiedModel('ignores', { 'weights.bin': 'w' });
    const statement = statementOfBundle(await readFile(vsa, 'utf8'));
    let index = 0;
    for (const bad of ['', '..', '../m', '/etc', 'a/../weights.bin', './weights.bin', 'weights.bin/', 'a\\b']) {
      const altered = join(root, 'ignores', `bad-${String(index++)}.vsa.jsonl`);
      await signStatementFile({ ...statement, predicate: { ...statement.predicate, serialization: { ...statement.predicate.serialization, ignorePaths: [bad] } } }, key, altered);
      const run = await runCli(['verify', 'vsa', model, '--vsa', altered, '--key', pub]);
      expect(run.status, `${bad}: ${run.stderr}`).not.toBe(0);
      expect(run.stderr, bad).toMatch(/VSA_INVALID/);
    }
  });

  it('recorded ignorePaths ".", "x/./y" or "x//y" (accepted by the parser) leave nothing out', async () => {
    const { model, vsa } = await verifiedModel('dot', { 'weights.bin': 'w' });
    const statement = statementOfBundle(await readFile(vsa, 'utf8'));
    const ignorePaths = [...(statement.predicate.serialization?.['ignorePaths'] as string[]), '.', 'x/./y', 'x//y'];
    const altered = join(root, 'dot', 'dot.vsa.jsonl');
    await signStatementFile({ ...statement, predicate: { ...statement.predicate, serialization: { ...statement.predicate.serialization, ignorePaths } } }, key, altered);
    await ok(['verify', 'vsa', model, '--vsa', altered, '--key', pub]);
    await writeFile(join(model, 'extra.py'), 'x');
    await writeModel(join(model, 'x'), { 'y/z.py': 'x' });
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', altered, '--key', pub]), 1, 'VSA_SUBJECT_MISMATCH');
  });

  it('two subjects, or an unknown serialization key, are VSA_INVALID', async () => {
    const { model, vsa } = await verifiedModel('subjects', { 'weights.bin': 'w' });
    const statement = statementOfBundle(await readFile(vsa, 'utf8'));
    const two = join(root, 'subjects', 'two.vsa.jsonl');
    const [first] = statement.subject;
    await signStatementFile({ ...statement, subject: [first, { name: 'other', digest: { sha256: '0'.repeat(64) } }] }, key, two);
    expect((await runCli(['verify', 'vsa', model, '--vsa', two, '--key', pub])).stderr).toMatch(/VSA_INVALID/);
    const unknown = join(root, 'subjects', 'unknown.vsa.jsonl');
    await signStatementFile({ ...statement, predicate: { ...statement.predicate, serialization: { ...statement.predicate.serialization, ignoreGlobs: ['*.py'] } } }, key, unknown);
    expect((await runCli(['verify', 'vsa', model, '--vsa', unknown, '--key', pub])).stderr).toMatch(/VSA_INVALID/);
  });

  it('--verified-level "" is a level like any other: not asserted, VSA_LEVEL_MISMATCH (exit 3)', async () => {
    const { model, vsa } = await verifiedModel('level', { 'weights.bin': 'w' });
    expectOneLineError(await runCli(['verify', 'vsa', model, '--vsa', vsa, '--key', pub, '--verified-level', '']), 3, 'VSA_LEVEL_MISMATCH');
  });
});

describe('adversarial: --vsa-out and --evidence-out never write into the artifact or over an input', () => {
  let root: string;
  let model: string;
  let policy: string;
  let ciKey: string;
  let ciPub: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'aiprov-adv-out-'));
    await ok(['keygen', '--output-prefix', join(root, 'ci')]);
    ciKey = join(root, 'ci.key');
    ciPub = join(root, 'ci.pub');
    model = await writeModel(join(root, 'm'), { 'weights.bin': 'w', 'sub/readme.txt': 'r' });
    await ok(['sign', model, '--key', ciKey, '--quiet']);
    await mkdir(join(root, 'etc', 'sub'), { recursive: true });
    policy = join(root, 'etc', 'policy.yaml');
    await writeFile(policy, 'version: 1\nsigners:\n  ci:\n    key: ../ci.pub\nroles:\n  model:\n    signers: [ci]\n');
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('was a hole: --vsa-out through a link and "..": out/link/../x where link -> m/sub writes m/x (OUTPUT_PATH_INVALID expected)', async () => {
    await mkdir(join(root, 'out'), { recursive: true });
    await symlink(join(model, 'sub'), join(root, 'out', 'link'));
    const run = await runCli(['verify', model, '--key', ciPub, '--vsa-out', 'out/link/../evil.vsa.jsonl', '--vsa-key', ciKey], { cwd: root });
    const written = await readFile(join(model, 'evil.vsa.jsonl')).then(() => true, () => false);
    await rm(join(model, 'evil.vsa.jsonl'), { force: true });
    expect(written).toBe(false);
    expectOneLineError(run, 2, 'OUTPUT_PATH_INVALID');
  });

  it('was a hole: --evidence-out through a link and "..": out/plink/../policy.yaml where plink -> etc/sub overwrites the policy (OUTPUT_PATH_INVALID expected)', async () => {
    await mkdir(join(root, 'out'), { recursive: true });
    await symlink(join(root, 'etc', 'sub'), join(root, 'out', 'plink'));
    const before = await readFile(policy, 'utf8');
    const run = await runCli(['verify', 'lineage', model, '--policy', policy, '--evidence-out', 'out/plink/../policy.yaml'], { cwd: root });
    const after = await readFile(policy, 'utf8');
    await writeFile(policy, before);
    expect(after).toBe(before);
    expectOneLineError(run, 2, 'OUTPUT_PATH_INVALID');
  });

  it('a symlinked parent directory into the model, and /proc/self/cwd, are seen through (OUTPUT_PATH_INVALID)', async () => {
    await symlink(model, join(root, 'alias'));
    for (const [target, cwd] of [[join(root, 'alias', 'x.vsa.jsonl'), root], ['/proc/self/cwd/m/x.vsa.jsonl', root], ['/proc/self/cwd/x.vsa.jsonl', model]] as const) {
      expectOneLineError(await runCli(['verify', model, '--key', ciPub, '--vsa-out', target, '--vsa-key', ciKey], { cwd }), 2, 'OUTPUT_PATH_INVALID');
    }
  });

  it('a model.evidence.jsonl inside the model that is a link to the policy is refused; one linking elsewhere is replaced, its target untouched', async () => {
    const evidence = join(model, 'model.evidence.jsonl');
    await symlink(policy, evidence);
    expectOneLineError(await runCli(['verify', 'lineage', model, '--policy', policy, '--evidence-out', evidence]), 2, 'OUTPUT_PATH_INVALID');
    await rm(evidence);
    const victim = join(root, 'victim.txt');
    await writeFile(victim, 'precious');
    await symlink(victim, evidence);
    await ok(['verify', 'lineage', model, '--policy', policy, '--evidence-out', evidence]);
    expect(await readFile(victim, 'utf8')).toBe('precious');
    await rm(evidence);
  });

  it('a model.evidence.jsonl hard link to the policy is replaced, the policy untouched', async () => {
    const evidence = join(model, 'model.evidence.jsonl');
    await link(policy, evidence);
    const before = await readFile(policy, 'utf8');
    await runCli(['verify', 'lineage', model, '--policy', policy, '--evidence-out', evidence]);
    expect(await readFile(policy, 'utf8')).toBe(before);
    await rm(evidence, { force: true });
  });

  it('--evidence-out as Model.evidence.jsonl or sub/model.evidence.jsonl is refused (OUTPUT_PATH_INVALID)', async () => {
    for (const target of [join(model, 'Model.evidence.jsonl'), join(model, 'sub', 'model.evidence.jsonl'), join(model, 'model.intoto.jsonl'), join(model, 'model.sig')]) {
      expectOneLineError(await runCli(['verify', 'lineage', model, '--policy', policy, '--evidence-out', target]), 2, 'OUTPUT_PATH_INVALID');
    }
  });

  it('--signature elsewhere: --vsa-out over it is refused; --vsa-out over the model.sig left inside is refused', async () => {
    const copy = await writeModel(join(root, 'sigelse', 'm'), { 'weights.bin': 'w' });
    const signature = join(root, 'sigelse', 'm.sig');
    await ok(['sign', copy, '--key', ciKey, '--signature', signature, '--quiet']);
    for (const target of [signature, join(copy, 'model.sig')]) {
      expectOneLineError(await runCli(['verify', copy, '--key', ciPub, '--signature', signature, '--vsa-out', target, '--vsa-key', ciKey]), 2, 'OUTPUT_PATH_INVALID');
    }
  });
});
