/**
 * Signed statements a trusted signer could write but model_signing never would (issue 12): each
 * is refused as bad input (exit 2) with its own code, never verified and never reported as a
 * changed file.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrivateKey } from '../../src/format/keys.js';
import { computeManifest } from '../../src/manifest/compute.js';
import { computeRootDigest } from '../../src/manifest/manifest.js';
import { signDsseBundle } from '../../src/sign/signer.js';
import { buildOmsStatement } from '../../src/statement/oms.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../../src/statement/statement.js';
import { expectOneLineError, runCli } from '../support/cli.js';
import { SMALL_MODEL, writeModel } from '../support/fixtures.js';

type Statement = ReturnType<typeof buildOmsStatement>;
interface Resource { name: string; algorithm: string; digest: string }
interface Predicate { serialization: { ignore_paths: string[] }; resources: Resource[] }
/** The statement's one subject, whose digest an edit may have to recompute. */
interface Subject { digest: { sha256: string } }

function firstOf<T>(items: readonly T[]): T {
  const [first] = items;
  if (first === undefined) throw new Error('empty list');
  return first;
}

describe('loose signed statements', () => {
  let dir: string;
  let model: string;
  let statement: Statement;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aiprov-loose-'));
    model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    expect((await runCli(['keygen', '--output-prefix', join(dir, 'k')])).status).toBe(0);
    statement = buildOmsStatement(await computeManifest(model, {}, ['model.sig', 'model.intoto.jsonl', 'model.evidence.jsonl']));
  }, 30_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Signs `payload` (bytes exactly as given) with the trusted key, then verifies the model. */
  const verifySigned = async (payload: Buffer | string): Promise<Awaited<ReturnType<typeof runCli>>> => {
    const privateKey = parsePrivateKey(await readFile(join(dir, 'k.key'), 'utf8'), 'k.key');
    await writeFile(join(model, 'model.sig'), JSON.stringify(signDsseBundle(Buffer.from(payload), IN_TOTO_PAYLOAD_TYPE, { kind: 'key', privateKey })));
    return runCli(['verify', model, '--key', join(dir, 'k.pub')]);
  };
  const edited = (edit: (predicate: Predicate, subject: Subject) => void): string => {
    const copy = structuredClone(statement) as unknown as { predicate: Predicate; subject: Subject[] };
    edit(copy.predicate, firstOf(copy.subject));
    return JSON.stringify(copy);
  };

  it('the untouched statement verifies (the helper is sound)', { timeout: 20_000 }, async () => {
    expect((await verifySigned(JSON.stringify(statement))).status).toBe(0);
  });

  it('a duplicate key is refused (JSON.parse would keep the last subject)', { timeout: 20_000 }, async () => {
    const text = JSON.stringify(statement);
    const other = JSON.stringify([{ name: 'other', digest: { sha256: '0'.repeat(64) } }]);
    expectOneLineError(await verifySigned(text.replace('"subject":', `"subject":${other},"subject":`)), 2, 'STATEMENT_DUPLICATE_KEY');
    // The same key spelt with an escape is the same key.
    expectOneLineError(await verifySigned(text.replace('"predicateType":', '"predicateType":"x","predicat\\u0065Type":')), 2, 'STATEMENT_DUPLICATE_KEY');
  });

  it('invalid UTF-8 is refused', { timeout: 20_000 }, async () => {
    const bytes = Buffer.from(JSON.stringify(statement).replace('config.json', 'config.jsonXX'));
    const at = bytes.indexOf('XX');
    bytes[at] = 0xc3;
    bytes[at + 1] = 0x28;
    expectOneLineError(await verifySigned(bytes), 2, 'STATEMENT_NOT_UTF8');
  });

  it('a resource algorithm other than hash_type is refused', { timeout: 20_000 }, async () => {
    expectOneLineError(await verifySigned(edited((predicate) => { firstOf(predicate.resources).algorithm = 'blake2b'; })), 2, 'PREDICATE_INVALID');
  });

  it('a digest of the wrong length is bad input, not a changed file', { timeout: 20_000 }, async () => {
    const run = await verifySigned(edited((predicate, subject) => {
      const resource = firstOf(predicate.resources);
      resource.digest = resource.digest.slice(0, 62);
      subject.digest.sha256 = rootOf(predicate);
    }));
    expectOneLineError(run, 2, 'DIGEST_INVALID');
  });

  it('an ignore path that climbs out of the artifact is refused', { timeout: 20_000 }, async () => {
    expectOneLineError(await verifySigned(edited((predicate) => { predicate.serialization.ignore_paths.push('../x'); })), 2, 'BAD_IGNORE_PATH');
  });

  it('ignore paths that cover every file (no resources) are refused, and sign will not write one', { timeout: 20_000 }, async () => {
    const run = await verifySigned(edited((predicate, subject) => {
      predicate.serialization.ignore_paths.push('.hidden', 'config.json', 'weights');
      predicate.resources = [];
      subject.digest.sha256 = rootOf(predicate);
    }));
    expectOneLineError(run, 2, 'MANIFEST_EMPTY');
    const empty = await writeModel(join(dir, 'empty'), { 'only.bin': 'x' });
    expectOneLineError(await runCli(['sign', empty, '--key', join(dir, 'k.key'), '--ignore-paths', 'only.bin']), 2, 'EMPTY_ARTIFACT');
  });

  it('resources out of canonical order are refused, not verified under another root', { timeout: 20_000 }, async () => {
    const run = await verifySigned(edited((predicate, subject) => {
      predicate.resources.reverse();
      subject.digest.sha256 = rootOf(predicate);
    }));
    expectOneLineError(run, 2, 'RESOURCES_OUT_OF_ORDER');
  });
});

/** The OMS root digest the subject must name, so that only the property under test is wrong. */
function rootOf(predicate: Predicate): string {
  return computeRootDigest(predicate.resources);
}
