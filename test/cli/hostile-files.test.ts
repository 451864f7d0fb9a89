import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli, type CliRun } from '../support/cli.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';

/**
 * Every file aiprov reads that someone else may have put there, replaced by something that is not
 * a file: a FIFO (reading it waits for a writer forever) and a symbolic link to /dev/zero (it
 * reports size 0, then never ends). Each must be refused at once, as bad input (exit 2) on one
 * line, before a byte of it is read. A hang fails the test: the process is killed and reported.
 */
const KILL_AFTER_MS = 15_000;
const PER_TEST = { timeout: 20_000 };

type Hostile = 'a FIFO' | 'a symbolic link to /dev/zero';
const HOSTILE: readonly Hostile[] = ['a FIFO', 'a symbolic link to /dev/zero'];

async function makeHostile(path: string, hostile: Hostile): Promise<void> {
  await rm(path, { force: true });
  if (hostile === 'a FIFO') execFileSync('mkfifo', [path]);
  else await symlink('/dev/zero', path);
}

const aiprov = (args: readonly string[]): Promise<CliRun> => runCli(args, { killAfterMs: KILL_AFTER_MS });

/** Nine anchors of nine aliases each: 9^9 strings once expanded. */
const ALIAS_BOMB = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefghi'.split('').map((name, index) => `${name}: &${name} [${Array.from({ length: 9 }, () => `*${'abcdefghi'[index] ?? ''}`).join(',')}]`)].join('\n');

describe('hostile files through the CLI', () => {
  // One key pair and one signed model for the whole file: each test works on its own copy of
  // what it makes hostile.
  let shared: string;
  let signedModel: string;
  const publicKey = (): string => join(shared, 'k.pub');
  const privateKey = (): string => join(shared, 'k.key');

  beforeAll(async () => {
    shared = await mkdtemp(join(tmpdir(), 'aiprov-hostile-'));
    expect((await runCli(['keygen', '--output-prefix', join(shared, 'k')])).status).toBe(0);
    signedModel = await writeModel(join(shared, 'model'), SMALL_MODEL);
    expect((await runCli(['sign', signedModel, '--key', privateKey()])).status).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await rm(shared, { recursive: true, force: true });
  });

  describe.each(HOSTILE)('%s', (hostile) => {
    it('as model.sig: verify exits 2 with BUNDLE_NOT_A_FILE', PER_TEST, async () => {
      const model = await writeModel(join(await temporaryDirectory(), 'model'), SMALL_MODEL);
      await makeHostile(join(model, 'model.sig'), hostile);
      expectOneLineError(await aiprov(['verify', model, '--key', publicKey()]), 2, 'BUNDLE_NOT_A_FILE');
    });

    it('as the bundle given to inspect: exit 2 with BUNDLE_NOT_A_FILE', PER_TEST, async () => {
      const bundle = join(await temporaryDirectory(), 'model.sig');
      await makeHostile(bundle, hostile);
      expectOneLineError(await aiprov(['inspect', bundle]), 2, 'BUNDLE_NOT_A_FILE');
    });

    it('as model.intoto.jsonl: inspect exits 2 with ATTESTATIONS_FILE_NOT_A_FILE', PER_TEST, async () => {
      const attestations = join(await temporaryDirectory(), 'model.intoto.jsonl');
      await makeHostile(attestations, hostile);
      expectOneLineError(await aiprov(['inspect', attestations]), 2, 'ATTESTATIONS_FILE_NOT_A_FILE');
    });

    it('as model.intoto.jsonl beside a signed model: verify still finishes, verified', PER_TEST, async () => {
      // The signature leaves the attestations file out of the model, and verify only notes
      // attestations (verify lineage checks them): the file is refused unread, not waited on.
      const attestations = join(signedModel, `model.intoto.jsonl`);
      await makeHostile(attestations, hostile);
      try {
        const run = await aiprov(['verify', signedModel, '--key', publicKey()]);
        expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      } finally {
        await rm(attestations, { force: true });
      }
    });

    it('as the policy: policy check and verify lineage exit 2 with POLICY_NOT_A_FILE', PER_TEST, async () => {
      const policy = join(await temporaryDirectory(), 'policy.yaml');
      await makeHostile(policy, hostile);
      expectOneLineError(await aiprov(['policy', 'check', policy]), 2, 'POLICY_NOT_A_FILE');
      expectOneLineError(await aiprov(['verify', 'lineage', signedModel, '--policy', policy]), 2, 'POLICY_NOT_A_FILE');
    });

    it('as --trusted-root: verify exits 2 with TRUSTED_ROOT_NOT_A_FILE', PER_TEST, async () => {
      const root = join(await temporaryDirectory(), 'trusted_root.json');
      await makeHostile(root, hostile);
      const run = await aiprov(['verify', signedModel, '--certificate-identity', 'ci@example.com', '--certificate-oidc-issuer', 'https://issuer.example.com', '--trusted-root', root]);
      expectOneLineError(run, 2, 'TRUSTED_ROOT_NOT_A_FILE');
    });

    it('as the dataset card: attest dataset exits 2 with DATASET_CARD_NOT_A_FILE', PER_TEST, async () => {
      const dir = await temporaryDirectory();
      const dataset = await writeModel(join(dir, 'data'), { 'rows.jsonl': '{}\n' });
      await makeHostile(join(dir, 'card.yaml'), hostile);
      expectOneLineError(await aiprov(['attest', 'dataset', dataset, '--card', join(dir, 'card.yaml'), '--key', privateKey()]), 2, 'DATASET_CARD_NOT_A_FILE');
    });
  });

  describe('a YAML alias bomb ("billion laughs")', () => {
    it('in a policy: the policy\'s own code, exit 2, for policy check and verify lineage', PER_TEST, async () => {
      const policy = join(await temporaryDirectory(), 'policy.yaml');
      await writeFile(policy, `version: 1\n${ALIAS_BOMB}\n`);
      const check = await aiprov(['policy', 'check', policy]);
      expectOneLineError(check, 2, 'POLICY_INVALID');
      expect(check.stdout).toContain('"billion laughs"');
      expectOneLineError(await aiprov(['verify', 'lineage', signedModel, '--policy', policy]), 2, 'POLICY_INVALID');
    });

    it('in a dataset card: DATASET_CARD_INVALID, exit 2', PER_TEST, async () => {
      const dir = await temporaryDirectory();
      const dataset = await writeModel(join(dir, 'data'), { 'rows.jsonl': '{}\n' });
      await writeFile(join(dir, 'card.yaml'), `name: rows\nlicense: MIT\ndatasetType: [text]\n${ALIAS_BOMB}\n`);
      const run = await aiprov(['attest', 'dataset', dataset, '--card', join(dir, 'card.yaml'), '--key', privateKey()]);
      expectOneLineError(run, 2, 'DATASET_CARD_INVALID');
      expect(run.stderr).toContain('"billion laughs"');
    });

    it('nesting too deep for a recursive parser, in a policy: POLICY_INVALID, exit 2', PER_TEST, async () => {
      const policy = join(await temporaryDirectory(), 'policy.json');
      await writeFile(policy, `{"version": 1, "signers": ${'['.repeat(50_000)}${']'.repeat(50_000)}}`);
      expectOneLineError(await aiprov(['verify', 'lineage', signedModel, '--policy', policy]), 2, 'POLICY_INVALID');
    });
  });
});
