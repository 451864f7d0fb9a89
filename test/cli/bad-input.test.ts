import { readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { computeManifest } from '../../src/manifest/compute.js';
import { parsePrivateKey } from '../../src/format/keys.js';
import { signDsseBundle } from '../../src/sign/signer.js';
import { buildOmsStatement } from '../../src/statement/oms.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../../src/statement/statement.js';
import { expectOneLineError, runCli, type CliRun } from '../support/cli.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';

/** Every bad input of the foundation issue, through the CLI as a user meets it. */
describe('aiprov verify: bad input through the CLI', () => {
  let dir: string;
  let model: string;
  let signature: string;

  beforeEach(async () => {
    dir = await temporaryDirectory();
    model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    signature = join(model, 'model.sig');
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    expect((await runCli(['sign', model, '--key', join(dir, 'k.key')])).status).toBe(0);
  });

  const verify = (...extra: string[]): Promise<CliRun> => runCli(['verify', model, '--key', join(dir, 'k.pub'), ...extra]);
  const mutateBundle = async (mutate: (text: string) => string): Promise<void> => {
    await writeFile(signature, mutate(await readFile(signature, 'utf8')));
  };
  /** A validly signed bundle over a hand-made statement: what a malicious signer could publish. */
  const signStatement = async (edit: (statement: ReturnType<typeof buildOmsStatement>) => unknown): Promise<void> => {
    const manifest = await computeManifest(model, {}, ['model.sig', 'model.intoto.jsonl']);
    const privateKey = parsePrivateKey(await readFile(join(dir, 'k.key'), 'utf8'), 'k.key');
    const payload = Buffer.from(JSON.stringify(edit(buildOmsStatement(manifest))));
    await writeFile(signature, JSON.stringify(signDsseBundle(payload, IN_TOTO_PAYLOAD_TYPE, { kind: 'key', privateKey })));
  };

  it('one changed byte, an added, a removed and a renamed file: exit 1 with the diff', async () => {
    const weights = join(model, 'weights/layer-0.bin');
    const bytes = await readFile(weights);
    bytes[3] = (bytes[3] ?? 0) ^ 0x20;
    await writeFile(weights, bytes);
    await writeFile(join(model, 'added.txt'), 'x');
    await rm(join(model, 'config.json'));
    await rename(join(model, 'weights/layer-1.bin'), join(model, 'weights/renamed.bin'));
    const run = await verify('--json');
    expect(run.status).toBe(1);
    expect((JSON.parse(run.stdout) as { diff: unknown }).diff).toEqual({ extra: ['added.txt', 'weights/renamed.bin'], missing: ['config.json', 'weights/layer-1.bin'], changed: ['weights/layer-0.bin'] });
  });

  it('a file name with terminal escape sequences is printed escaped, never raw', async () => {
    await writeFile(join(model, 'x\r\u001b[1A\u001b[2KVerified'), 'repaint the screen');
    const run = await verify();
    expect(run.status).toBe(1);
    expect(run.stdout).not.toContain('\u001b');
    expect(run.stdout).toContain('x\\u000d\\u001b[1A\\u001b[2KVerified');
  });

  it('a file replaced by a symlink: exit 2 with SYMLINK_REFUSED, as sign exits on the same tree', async () => {
    await rm(join(model, 'config.json'));
    await symlink(join(model, '.hidden'), join(model, 'config.json'));
    expectOneLineError(await verify(), 2, 'SYMLINK_REFUSED');
    expectOneLineError(await runCli(['sign', model, '--key', join(dir, 'k.key'), '--signature', join(model, '..', 'again.sig')]), 2, 'SYMLINK_REFUSED');
  });

  it('a signed payload altered: exit 1', async () => {
    await mutateBundle((text) => {
      const bundle = JSON.parse(text) as { dsseEnvelope: { payload: string } };
      bundle.dsseEnvelope.payload = Buffer.from(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString().replace('config.json', 'config.jsoN')).toString('base64');
      return JSON.stringify(bundle);
    });
    expectOneLineError(await verify(), 1, 'SIGNATURE_INVALID');
  });

  it('a signature from another key, and a key of another curve: exit 1', async () => {
    await runCli(['keygen', '--output-prefix', join(dir, 'other'), '--curve', 'P-521']);
    expectOneLineError(await runCli(['verify', model, '--key', join(dir, 'other.pub')]), 1, 'KEY_MISMATCH');
    await mutateBundle((text) => text.replace(/"hint":"[0-9a-f]+"/, '"hint":""'));
    expectOneLineError(await runCli(['verify', model, '--key', join(dir, 'other.pub')]), 1, 'SIGNATURE_INVALID');
  });

  it.each([
    ['truncated', (text: string) => text.slice(0, 200), 'BUNDLE_NOT_JSON'],
    ['not JSON', () => '\u0000\u0001binary', 'BUNDLE_NOT_JSON'],
    ['with an unknown field', (text: string) => text.replace('{"mediaType"', '{"extension":{},"mediaType"'), 'BUNDLE_INVALID'],
    ['of an unknown media type', (text: string) => text.replace('bundle.v0.3+json', 'bundle.v0.4+json'), 'BUNDLE_UNSUPPORTED_MEDIA_TYPE'],
  ])('a bundle %s: exit 2', async (_label, mutate, code) => {
    await mutateBundle(mutate);
    expectOneLineError(await verify(), 2, code);
  });

  it.each([['../x'], ['/etc/passwd'], ['weights/\u0000.bin']])('a resource named %j: exit 2 before any file is read', async (name) => {
    await signStatement((statement) => {
      const predicate = statement.predicate as { resources: { name: string; algorithm: string; digest: string }[] };
      predicate.resources.push({ name, algorithm: 'sha256', digest: '00'.repeat(32) });
      return statement;
    });
    expectOneLineError(await verify(), 2, 'RESOURCE_PATH_ESCAPES');
  });

  it('two resources with the same name: exit 2', async () => {
    await signStatement((statement) => {
      const predicate = statement.predicate as { resources: unknown[] };
      predicate.resources.push(predicate.resources[0]);
      return statement;
    });
    expectOneLineError(await verify(), 2, 'DUPLICATE_RESOURCE');
  });

  it('a subject digest that does not match the resources: exit 1', async () => {
    await signStatement((statement) => ({ ...statement, subject: [{ name: 'model', digest: { sha256: 'ab'.repeat(32) } }] }));
    expectOneLineError(await verify(), 1, 'SUBJECT_DIGEST_MISMATCH');
  });
});

describe('attest and policy: bad input through the CLI', () => {
  it('a dataset card with an unknown field or an invalid licence: exit 2, naming the field and line', async () => {
    const dir = await temporaryDirectory();
    const dataset = await writeModel(join(dir, 'data'), { 'rows.jsonl': '{}\n' });
    await runCli(['keygen', '--output-prefix', join(dir, 'k')]);
    await writeFile(join(dir, 'typo.yaml'), 'name: rows\nlicense: MIT\ndatasetType: [text]\nknownBais: [none]\n');
    const typo = await runCli(['attest', 'dataset', dataset, '--card', join(dir, 'typo.yaml'), '--key', join(dir, 'k.key')]);
    expectOneLineError(typo, 2, 'DATASET_CARD_INVALID');
    expect(typo.stderr).toMatch(/typo\.yaml:4:\d+: knownBais/);
    await writeFile(join(dir, 'licence.yaml'), 'name: rows\nlicense: MIT-ish\ndatasetType: [text]\n');
    const licence = await runCli(['attest', 'dataset', dataset, '--card', join(dir, 'licence.yaml'), '--key', join(dir, 'k.key')]);
    expectOneLineError(licence, 2, 'LICENSE_INVALID');
    expect(licence.stderr).toContain('licence.yaml:2:');
  });

  it('a policy with a typo in a key: exit 2 for verify lineage and policy check', async () => {
    const dir = await temporaryDirectory();
    const model = await writeModel(join(dir, 'model'), { w: 'x' });
    await writeFile(join(dir, 'policy.yaml'), 'version: 1\nroles:\n  model:\n    signer: [ci]\n');
    expectOneLineError(await runCli(['verify', 'lineage', model, '--policy', join(dir, 'policy.yaml')]), 2, 'POLICY_INVALID');
    const check = await runCli(['policy', 'check', join(dir, 'policy.yaml')]);
    expect(check.status).toBe(2);
    expect(check.stdout).toMatch(/policy\.yaml:4:5: roles\.model\.signer: .*did you mean "signers"/);
  });
});
