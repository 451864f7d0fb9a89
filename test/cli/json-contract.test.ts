/**
 * The JSON contract: every `--json` output of every command, success and failure, produced by the
 * real CLI process and validated against its schema in `schemas/` (JSON Schema 2020-12, Ajv in
 * strict mode). Each case then asserts a few specific fields and the exit status, so that a schema
 * loose enough to accept anything still fails here.
 */
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSigstore, type LocalSigstore } from '../../local-stack/index.js';
import { runCli, type CliRun } from '../support/cli.js';
import { SMALL_MODEL, writeModel } from '../support/fixtures.js';
import { CA_EXTENSIONS, issueCertificate, SIGNING_EXTENSIONS } from '../support/pki.js';
import { MODEL_SIGNING_VECTORS, REPO_ROOT } from '../support/paths.js';
import { CONFORMANCE, CONFORMANCE_CASES, verifyBundleArgs, type ConformanceCase } from '../support/conformance.js';

const SCHEMA_DIR = join(REPO_ROOT, 'schemas');
const SCHEMA_BASE = 'https://aiprov.dev/schemas/';
const COMMAND_SCHEMAS = ['digest', 'digest-partition', 'digest-merge', 'sign', 'verify', 'verify-partition', 'verify-merge', 'verify-lineage', 'verify-vsa', 'inspect', 'verify-bundle', 'attest', 'policy-check'] as const;
type SchemaName = (typeof COMMAND_SCHEMAS)[number];
/** Commands whose output answers "verified?": their failure form says `verified: false` too. */
const VERIFYING: ReadonlySet<SchemaName> = new Set(['verify', 'verify-partition', 'verify-merge', 'verify-lineage', 'verify-vsa', 'inspect', 'verify-bundle']);

const ROOT_DIGEST = /^sha256:[0-9a-f]{64}$/;
const VECTORS = join(MODEL_SIGNING_VECTORS, 'scripts/tests');
/** The identity of model_signing's v1.1.0 public-good keyless vector. */
const VECTOR_IDENTITY = ['--certificate-identity', 'stefanb@us.ibm.com', '--certificate-oidc-issuer', 'https://sigstore.verify.ibm.com/oauth2'];

type Json = Record<string, unknown>;

// Every schema file, compiled by its `$id` with formats and strict mode on.
const schemaFiles = (await readdir(SCHEMA_DIR)).filter((file) => file.endsWith('.schema.json')).sort();
const schemas = await Promise.all(schemaFiles.map(async (file) => ({ file, schema: JSON.parse(await readFile(join(SCHEMA_DIR, file), 'utf8')) as Json })));
// Both are CommonJS: under NodeNext their default import is the module, whose `default` is the
// export (in Node and in Vitest alike).
const ajv = new Ajv2020.default({ strict: true, allErrors: true });
addFormats.default(ajv);
for (const { schema } of schemas) ajv.addSchema(schema);

function validatorFor(name: SchemaName): (data: unknown) => string[] {
  const validate = ajv.getSchema(`${SCHEMA_BASE}${name}.schema.json`);
  if (validate === undefined) throw new Error(`no schema ${name}`);
  return (data) => (validate(data) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`));
}

/** Parses a run's stdout, validates it against the command's schema and checks the exit status. */
function contract(name: SchemaName, run: CliRun, status: number): Json {
  expect(run.status, run.stderr).toBe(status);
  const json = JSON.parse(run.stdout) as Json;
  expect(validatorFor(name)(json), run.stdout).toEqual([]);
  return json;
}

/** A failure: the schema's failure form, with this code and category (and `verified: false` for verifying commands). */
function failure(name: SchemaName, run: CliRun, status: number, code: string, category: string): { code: string; category: string; message: string; path?: string } {
  const json = contract(name, run, status);
  const verifying = VERIFYING.has(name);
  expect(Object.keys(json).sort()).toEqual(verifying ? ['error', 'verified'] : ['error']);
  if (verifying) expect(json['verified']).toBe(false);
  const error = json['error'] as { code: string; category: string; message: string; path?: string };
  expect(error).toMatchObject({ code, category });
  expect(run.stderr).toMatch(new RegExp(`^aiprov: ${code}: `));
  return error;
}

const asJson = (value: unknown): Json => value as Json;

describe('the schemas', () => {
  it('are JSON Schema 2020-12 documents with an $id, a title and a description, one per command plus the shared definitions', () => {
    expect(schemaFiles).toEqual([...COMMAND_SCHEMAS.map((name) => `${name}.schema.json`), 'common.schema.json'].sort());
    for (const { file, schema } of schemas) {
      expect(schema['$schema'], file).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema['$id'], file).toBe(`${SCHEMA_BASE}${file}`);
      expect(schema['title'], file).toEqual(expect.any(String));
      expect((schema['description'] as string).length, file).toBeGreaterThan(40);
    }
  });

  it('each command is its result or its failure form, and the failure forms are the shared ones', () => {
    for (const name of COMMAND_SCHEMAS) {
      const schema = schemas.find(({ file }) => file === `${name}.schema.json`)?.schema ?? {};
      const branches = (schema['oneOf'] as { $ref: string }[]).map((branch) => branch.$ref);
      const verifying = VERIFYING.has(name);
      expect(branches, name).toContain(`${SCHEMA_BASE}common.schema.json#/$defs/${verifying ? 'verifyingFailure' : 'failure'}`);
      expect(branches.length, name).toBe(name === 'inspect' ? 3 : 2);
    }
  });

  it('ship in the npm package', async () => {
    const manifest = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(manifest.files).toContain('schemas');
  });

  it('reject outputs that break the contract (negative controls)', () => {
    const digest = validatorFor('digest');
    const manifest = { name: 'm', rootDigest: `sha256:${'a'.repeat(64)}`, serialization: { method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: [] }, resources: [] };
    expect(digest(manifest)).toEqual([]);
    expect(digest({ ...manifest, rootDigest: 'a'.repeat(64) })).not.toEqual([]);
    expect(digest({ ...manifest, extra: 1 })).not.toEqual([]);
    expect(digest({ error: { code: 'FILE_NOT_FOUND', category: 'io', message: 'gone' } })).toEqual([]);
    expect(digest({ error: { code: 'FILE_NOT_FOUND', category: 'disk', message: 'gone' } })).not.toEqual([]);
    expect(digest({ verified: false, error: { code: 'FILE_NOT_FOUND', category: 'io', message: 'gone' } })).not.toEqual([]);

    const verify = validatorFor('verify');
    expect(verify({ error: { code: 'FILE_NOT_FOUND', category: 'io', message: 'gone' } })).not.toEqual([]);
    const result = {
      verified: true,
      artifactPath: '/m',
      signaturePath: '/m/model.sig',
      name: 'm',
      predicateType: 'https://model_signing/signature/v1.0',
      rootDigest: `sha256:${'b'.repeat(64)}`,
      serialization: manifest.serialization,
      signer: { kind: 'key', keyHint: 'abc' },
      resourceCount: 1,
      diff: { extra: [], missing: [], changed: [] },
      findings: [],
    };
    expect(verify(result)).toEqual([]);
    expect(verify({ ...result, signer: { kind: 'pgp' } })).not.toEqual([]);
    expect(verify({ ...result, signer: { kind: 'certificate', subject: 'CN=x', issuer: 'CN=y', notBefore: 'Nov 30 22:54:17 2026 GMT', notAfter: '2027-01-01T00:00:00Z' } })).not.toEqual([]);
    // verified: true with a changed file, or verified: false without an error finding, is a lie.
    expect(verify({ ...result, diff: { extra: [], missing: [], changed: ['a'] } })).not.toEqual([]);
    expect(verify({ ...result, verified: false })).not.toEqual([]);
    const { verified: _verified, ...withoutVerified } = result;
    expect(verify(withoutVerified)).not.toEqual([]);

    // A part never says verified; a merge says it only when every part passed.
    const { resourceCount: _count, ...common } = result;
    const part = { ...common, verified: false, passed: true, partition: { index: 1, count: 2 }, bundleDigest: `sha256:${'c'.repeat(64)}`, resourceCount: 1, checkedResources: [] };
    const verifyPartition = validatorFor('verify-partition');
    expect(verifyPartition(part)).toEqual([]);
    expect(verifyPartition({ ...part, verified: true })).not.toEqual([]);
    expect(verifyPartition({ ...part, passed: false })).not.toEqual([]);
    expect(verifyPartition({ ...part, partition: { index: 0, count: 2 } })).not.toEqual([]);
    const { artifactPath: _path, signaturePath: _signature, passed: _passed, checkedResources: _checked, partition: _partition, ...merged } = part;
    const mergedResult = { ...merged, verified: true, partition: { count: 1 }, parts: [{ index: 1, passed: true, source: 'r1.json', artifactPath: '/m', checkedResourceCount: 1 }] };
    const verifyMerge = validatorFor('verify-merge');
    expect(verifyMerge(mergedResult)).toEqual([]);
    expect(verifyMerge({ ...mergedResult, parts: [{ ...mergedResult.parts[0], passed: false }] })).not.toEqual([]);
    const digestPartition = validatorFor('digest-partition');
    const digestPart = { partition: { index: 1, count: 1 }, name: 'm', serialization: manifest.serialization, listing: { digest: `sha256:${'d'.repeat(64)}`, resourceCount: 1, bytes: 3 }, resources: [{ name: 'a', algorithm: 'sha256', digest: 'e'.repeat(64), size: 3 }] };
    expect(digestPartition(digestPart)).toEqual([]);
    expect(digestPartition({ ...digestPart, resources: [{ name: 'a', algorithm: 'sha256', digest: 'e'.repeat(64) }] })).not.toEqual([]);
    expect(digestPartition({ ...digestPart, rootDigest: `sha256:${'a'.repeat(64)}` })).not.toEqual([]);
  });
});

describe('every --json output matches its schema', () => {
  let root: string;
  let model: string;
  const key = (name: string): string => join(root, `${name}.key`);
  const pub = (name: string): string => join(root, `${name}.pub`);
  /** The lineage: a fine-tune of a base model on one dataset with one recipe, all key-signed. */
  let lineage: { art: string; model: string; policy: string; attestDataset: CliRun; attestTraining: CliRun; badCard: string };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'aiprov-json-contract-'));
    for (const name of ['ci', 'data-team', 'stranger']) expect((await runCli(['keygen', '--output-prefix', join(root, name)])).status).toBe(0);
    model = await writeModel(join(root, 'model'), SMALL_MODEL);

    const art = join(root, 'lineage', 'artifacts');
    const paths = {
      base: await writeModel(join(art, 'base-model'), { 'weights.bin': 'base weights' }),
      model: await writeModel(join(art, 'fine-tune'), { 'weights.bin': 'tuned weights', 'config.json': '{}' }),
      recipe: await writeModel(join(art, 'recipe'), { 'train.yaml': 'lr: 0.001\n' }),
      wiki: await writeModel(join(art, 'wiki'), { 'part-0.jsonl': '{"text": "a"}\n' }),
    };
    const card = join(root, 'lineage', 'card.yaml');
    await writeFile(card, 'name: wiki\nlicense: CC-BY-4.0\ndatasetType: [text]\nhasSensitivePersonalInformation: "no"\ndescription: A small wiki dump\n');
    const badCard = join(root, 'lineage', 'bad-card.yaml');
    await writeFile(badCard, 'name: wiki\nlicense: CC-BY-4.0\ndatasetType: [text]\nknownBais: typo\n');
    for (const [path, kind, signer] of [[paths.base, 'model', 'ci'], [paths.recipe, 'recipe', 'ci'], [paths.wiki, 'dataset', 'data-team'], [paths.model, 'model', 'ci']] as const) {
      expect((await runCli(['sign', path, '--kind', kind, '--key', key(signer), '-q'])).status).toBe(0);
    }
    const attestDataset = await runCli(['attest', 'dataset', paths.wiki, '--card', card, '--key', key('data-team'), '--json']);
    const attestTraining = await runCli([
      'attest', 'training', '--model', paths.model, '--recipe', paths.recipe, '--dataset', paths.wiki, '--base-model', paths.base,
      '--builder-id', 'https://ci.example/train', '--started', '2025-01-02T03:04:05Z', '--finished', '2025-01-02T05:04:05+02:00', '--key', key('ci'), '--json',
    ]);
    const policy = join(root, 'lineage', 'policy.yaml');
    await writeFile(policy, lineagePolicy({}));
    lineage = { art, model: paths.model, policy, attestDataset, attestTraining, badCard };
  }, 120_000);

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  function lineagePolicy(options: { modelSigners?: string; datasetSigners?: string }): string {
    return `version: 1
signers:
  ci:
    key: ${pub('ci')}
  data-team:
    key: ${pub('data-team')}
roles:
  model:
    signers: [${options.modelSigners ?? 'ci'}]
    requireAttestations: [training-provenance]
    builderIds: [https://ci.example/train]
  dataset:
    signers: [${options.datasetSigners ?? 'data-team'}]
    requireAttestations: [dataset-card]
    allowedLicenses: [CC-BY-4.0]
  recipe:
    signers: [ci]
  base-model:
    signers: [ci]
`;
  }

  /** A fresh copy of the small model, signed with `ci`. */
  async function signedCopy(name: string): Promise<{ path: string; sign: CliRun }> {
    const path = join(root, name);
    await cp(model, path, { recursive: true });
    return { path, sign: await runCli(['sign', path, '--key', key('ci'), '--json']) };
  }

  it('digest --json: the manifest; a missing path fails', async () => {
    const ok = contract('digest', await runCli(['digest', model, '--json']), 0);
    expect(ok).toMatchObject({ name: 'model', serialization: { method: 'files', hashType: 'sha256' } });
    expect(ok['rootDigest']).toMatch(ROOT_DIGEST);
    expect((ok['resources'] as { name: string }[]).map((resource) => resource.name)).toEqual(['.hidden', 'config.json', 'weights/layer-0.bin', 'weights/layer-1.bin']);

    const sharded = contract('digest', await runCli(['digest', model, '--json', '--shard-size', '8', '--hash', 'blake2b']), 0);
    expect(sharded).toMatchObject({ serialization: { method: 'shards', hashType: 'blake2b', shardSize: 8 } });

    const error = failure('digest', await runCli(['digest', join(root, 'no-such-model'), '--json']), 4, 'FILE_NOT_FOUND', 'io');
    expect(error.path).toBe(join(root, 'no-such-model'));
  });

  it('sign --json with a key; an unusable key fails', async () => {
    const { sign } = await signedCopy('sign-ok');
    const ok = contract('sign', sign, 0);
    expect(ok).toMatchObject({ name: 'sign-ok', resourceCount: 4, signaturePath: join(root, 'sign-ok', 'model.sig') });
    expect(ok['rootDigest']).toMatch(ROOT_DIGEST);

    const badKey = join(root, 'bad.key');
    await writeFile(badKey, 'not a key\n');
    failure('sign', await runCli(['sign', model, '--key', badKey, '--json']), 2, 'KEY_INVALID', 'input');
    failure('sign', await runCli(['sign', model, '--key', join(root, 'gone.key'), '--json']), 4, 'FILE_NOT_FOUND', 'io');
  });

  it('sign --incremental --json adds the reused and hashed counts; without a cache directory it fails', async () => {
    const path = join(root, 'sign-incremental');
    await cp(model, path, { recursive: true });
    const env = { XDG_CACHE_HOME: join(root, 'cache') };
    const ok = contract('sign', await runCli(['sign', path, '--key', key('ci'), '--incremental', '--json'], { env }), 0);
    expect(ok).toMatchObject({ name: 'sign-incremental', resourceCount: 4, incremental: { reusedResources: 0, hashedResources: 4 } });
    expect(contract('sign', (await signedCopy('sign-plain')).sign, 0)).not.toHaveProperty('incremental');
    failure('sign', await runCli(['sign', path, '--key', key('ci'), '--incremental', '--json']), 2, 'INCREMENTAL_UNAVAILABLE', 'input');
  });

  it('digest, sign and verify report the same rootDigest for one model', async () => {
    const path = join(root, 'same');
    await cp(model, path, { recursive: true });
    const digest = contract('digest', await runCli(['digest', path, '--json']), 0);
    const signed = contract('sign', await runCli(['sign', path, '--key', key('ci'), '--json']), 0);
    const verified = contract('verify', await runCli(['verify', path, '--key', pub('ci'), '--json']), 0);
    expect(signed['rootDigest']).toBe(digest['rootDigest']);
    expect(verified['rootDigest']).toBe(digest['rootDigest']);
  });

  it('verify --json: verified; tampered (verified false, with findings); no signature (failure form)', async () => {
    const { path } = await signedCopy('verify');
    const ok = contract('verify', await runCli(['verify', path, '--key', pub('ci'), '--json']), 0);
    expect(ok).toMatchObject({ verified: true, name: 'verify', resourceCount: 4, findings: [], diff: { extra: [], missing: [], changed: [] }, signer: { kind: 'key', curve: 'P-256' } });

    await writeFile(join(path, 'config.json'), '{"layers": 3}\n');
    await writeFile(join(path, 'backdoor.py'), 'import os\n');
    const tampered = contract('verify', await runCli(['verify', path, '--key', pub('ci'), '--json']), 1);
    expect(tampered).toMatchObject({ verified: false, diff: { extra: ['backdoor.py'], missing: [], changed: ['config.json'] } });
    expect(tampered['findings']).toEqual([
      expect.objectContaining({ code: 'FILE_CHANGED', severity: 'error', path: 'config.json', fields: {}, message: expect.stringContaining('config.json') as unknown }),
      expect.objectContaining({ code: 'FILE_UNSIGNED', severity: 'error', path: 'backdoor.py' }),
    ]);

    failure('verify', await runCli(['verify', path, '--key', pub('ci'), '--signature', join(path, 'nope.sig'), '--json']), 4, 'FILE_NOT_FOUND', 'io');
    failure('verify', await runCli(['verify', model, '--key', pub('ci'), '--json']), 4, 'FILE_NOT_FOUND', 'io');
    const { path: other } = await signedCopy('verify-other-key');
    failure('verify', await runCli(['verify', other, '--key', pub('stranger'), '--json']), 1, 'KEY_MISMATCH', 'verification');
    failure('verify', await runCli(['verify', other, '--json']), 2, 'USAGE', 'input');
  });

  it('digest --partition --json and digest --merge --json: the parts and their merge; a missing part and a bad K/N fail', async () => {
    const parts = await Promise.all([1, 2].map((index) => runCli(['digest', model, '--partition', `${String(index)}/2`, '--json'])));
    const files: string[] = [];
    for (const [index, run] of parts.entries()) {
      const part = contract('digest-partition', run, 0);
      expect(part).toMatchObject({ partition: { index: index + 1, count: 2 }, name: 'model', listing: { resourceCount: 4, digest: expect.stringMatching(ROOT_DIGEST) as unknown } });
      files.push(join(root, `digest-part-${String(index + 1)}.json`));
      await writeFile(files[index] ?? '', run.stdout);
    }
    const merged = contract('digest-merge', await runCli(['digest', '--merge', ...files, '--json']), 0);
    const whole = contract('digest', await runCli(['digest', model, '--json']), 0);
    expect(merged['rootDigest']).toBe(whole['rootDigest']);
    expect((merged['resources'] as { name: string; size: number }[]).map(({ name }) => name)).toEqual((whole['resources'] as { name: string }[]).map(({ name }) => name));

    failure('digest-merge', await runCli(['digest', '--merge', files[0] ?? '', '--json']), 2, 'PART_MISSING', 'input');
    failure('digest-partition', await runCli(['digest', model, '--partition', '3/2', '--json']), 2, 'USAGE', 'input');
  });

  it('verify --partition --json and verify --merge --json: passed parts verify; a tampered file fails its part and the merge; a missing part fails', async () => {
    const { path } = await signedCopy('verify-parts');
    const runParts = async (prefix: string, status: readonly number[]): Promise<string[]> => {
      const runs = await Promise.all([1, 2].map((index) => runCli(['verify', path, '--key', pub('ci'), '--partition', `${String(index)}/2`, '--json'])));
      return Promise.all(runs.map(async (run, index) => {
        const part = contract('verify-partition', run, status[index] ?? 0);
        expect(part).toMatchObject({ verified: false, partition: { index: index + 1, count: 2 }, name: 'verify-parts', resourceCount: 4, signer: { kind: 'key' } });
        const file = join(root, `${prefix}-${String(index + 1)}.json`);
        await writeFile(file, run.stdout);
        return file;
      }));
    };
    const good = await runParts('verify-part', [0, 0]);
    const merged = contract('verify-merge', await runCli(['verify', '--key', pub('ci'), '--merge', ...good, '--json']), 0);
    expect(merged).toMatchObject({ verified: true, name: 'verify-parts', resourceCount: 4, partition: { count: 2 }, findings: [] });

    // By bytes: part 1 holds .hidden (30) and config.json (14), part 2 the two weights (18, 17).
    await writeFile(join(path, 'config.json'), '{"layers": 9}\n');
    const bad = await runParts('verify-tampered', [1, 0]);
    const failed = contract('verify-merge', await runCli(['verify', '--key', pub('ci'), '--merge', ...bad, '--json']), 1);
    expect(failed).toMatchObject({ verified: false, diff: { changed: ['config.json'] }, parts: [{ index: 1, passed: false }, { index: 2, passed: true }] });

    failure('verify-merge', await runCli(['verify', '--key', pub('ci'), '--merge', good[1] ?? '', '--json']), 1, 'PART_MISSING', 'verification');
    failure('verify-partition', await runCli(['verify', path, '--key', pub('stranger'), '--partition', '1/2', '--json']), 1, 'KEY_MISMATCH', 'verification');
  });

  it('verify --json: certificate and keyless signers (model_signing vectors)', async () => {
    const certificate = contract('verify', await runCli(['verify', join(VECTORS, 'v1.1.0-certificate'), '--certificate-chain', join(VECTORS, 'keys/certificate/ca-cert.pem'), '--json']), 0);
    expect(certificate).toMatchObject({ verified: true, signer: { kind: 'certificate', chain: expect.arrayContaining([expect.objectContaining({ subject: 'CN=root-ca' })]) as unknown } });

    const keyless = contract('verify', await runCli(['verify', join(VECTORS, 'v1.1.0-sigstore'), ...VECTOR_IDENTITY, '--offline', '--json']), 0);
    const signer = asJson(keyless['signer']);
    expect(signer).toMatchObject({ kind: 'keyless', identity: 'stefanb@us.ibm.com', issuer: 'https://sigstore.verify.ibm.com/oauth2', claims: { issuer: 'https://sigstore.verify.ibm.com/oauth2' } });
    expect(signer['timestamps']).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'transparency-log' }), expect.objectContaining({ kind: 'timestamp-authority' })]));
  });

  it('verify and inspect --json: a certificate with an empty subject is described (subject "", its SAN and digest), never null', async () => {
    const dir = join(root, 'empty-subject');
    await mkdir(dir);
    issueCertificate(dir, 'ca', { extensions: CA_EXTENSIONS });
    const leaf = issueCertificate(dir, 'leaf', { issuer: 'ca', subject: '/', extensions: `subjectAltName=critical,email:release@example.com\n${SIGNING_EXTENSIONS}` });
    const { path } = await signedCopy('empty-subject-model');
    expect((await runCli(['sign', path, '--key', join(dir, 'leaf.key'), '--certificate', leaf, '-q'])).status).toBe(0);
    const verified = contract('verify', await runCli(['verify', path, '--certificate-chain', join(dir, 'ca.pem'), '--json']), 0);
    expect(verified['signer']).toMatchObject({ kind: 'certificate', subject: '', issuer: 'CN=ca', subjectAlternativeName: 'email:release@example.com', chain: [{ subject: '', subjectAlternativeName: 'email:release@example.com', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown }, { subject: 'CN=ca' }] });
    const inspected = contract('inspect', await runCli(['inspect', join(path, 'model.sig'), '--json']), 0);
    expect(inspected['signer']).toMatchObject({ kind: 'certificate', subject: '', subjectAlternativeName: 'email:release@example.com' });
  });

  it('verify and inspect describe the same key signer the same way', async () => {
    const { path } = await signedCopy('same-signer');
    const verified = asJson(contract('verify', await runCli(['verify', path, '--key', pub('ci'), '--json']), 0)['signer']);
    const inspected = asJson(contract('inspect', await runCli(['inspect', join(path, 'model.sig'), '--json']), 0)['signer']);
    expect(verified['kind']).toBe('key');
    expect(inspected['kind']).toBe(verified['kind']);
    expect(verified['keyHint']).toMatch(/^[0-9a-f]{64}$/);
    expect(inspected['keyHint']).toBe(verified['keyHint']);
  });

  it('inspect --json: key, certificate and keyless bundles, an attestations file; a non-bundle fails', async () => {
    const { path } = await signedCopy('inspect');
    const keyBundle = contract('inspect', await runCli(['inspect', join(path, 'model.sig'), '--json']), 0);
    expect(keyBundle).toMatchObject({ verified: false, tlogEntries: [], timestamps: [], content: { kind: 'dsse', predicateType: 'https://model_signing/signature/v1.0', resourceCount: 4, subjects: [{ name: 'inspect' }] } });

    const certificate = contract('inspect', await runCli(['inspect', join(VECTORS, 'v1.1.0-certificate/model.sig'), '--json']), 0);
    expect(certificate['signer']).toMatchObject({ kind: 'certificate', chainLength: 2 });

    const keyless = contract('inspect', await runCli(['inspect', join(VECTORS, 'v1.1.0-sigstore/model.sig'), '--json']), 0);
    expect(keyless['signer']).toMatchObject({ kind: 'keyless', identity: 'stefanb@us.ibm.com', issuer: 'https://sigstore.verify.ibm.com/oauth2' });
    // The log ID is base64, as in the bundle and in verify's timestamps.
    expect(keyless['tlogEntries']).toEqual([expect.objectContaining({ kind: 'dsse', logId: 'wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=', integratedTime: '2025-10-10T02:12:20.000Z' })]);
    expect(keyless['timestamps']).toEqual([{ signingTime: '2025-10-10T02:12:20.000Z' }]);

    const embeddedKey = contract('inspect', await runCli(['inspect', join(VECTORS, 'v0.3.1-elliptic-key/model.sig'), '--json']), 0);
    expect(embeddedKey['signer']).toMatchObject({ kind: 'key' });

    const attestations = contract('inspect', await runCli(['inspect', join(lineage.model, 'model.intoto.jsonl'), '--json']), 0);
    expect(attestations).toMatchObject({ verified: false, attestationsPath: join(lineage.model, 'model.intoto.jsonl') });
    expect(attestations['attestations']).toEqual([expect.objectContaining({ line: 1, verified: false, content: expect.objectContaining({ predicateType: 'https://slsa.dev/provenance/v1' }) as unknown })]);

    failure('inspect', await runCli(['inspect', pub('ci'), '--json']), 2, 'BUNDLE_NOT_JSON', 'input');
    failure('inspect', await runCli(['inspect', join(root, 'gone.sig'), '--json']), 4, 'FILE_NOT_FOUND', 'io');
  });

  it('attest dataset --json and attest training --json; a bad card or a bad time fails', async () => {
    const dataset = contract('attest', lineage.attestDataset, 0);
    expect(dataset).toMatchObject({ predicateType: 'https://aiprov.dev/dataset/v1', subject: { name: 'wiki' }, attestationsPath: join(lineage.art, 'wiki', 'dataset.intoto.jsonl') });
    expect(asJson(dataset['subject'])['digest']).toMatch(ROOT_DIGEST);
    const training = contract('attest', lineage.attestTraining, 0);
    expect(training).toMatchObject({ predicateType: 'https://slsa.dev/provenance/v1', subject: { name: 'fine-tune' }, attestationsPath: join(lineage.model, 'model.intoto.jsonl') });

    const wiki = join(lineage.art, 'wiki');
    const card = failure('attest', await runCli(['attest', 'dataset', wiki, '--card', lineage.badCard, '--key', key('data-team'), '--json']), 2, 'DATASET_CARD_INVALID', 'input');
    expect(card.message).toContain('knownBais');
    failure('attest', await runCli(['attest', 'dataset', wiki, '--card', join(root, 'gone.yaml'), '--key', key('data-team'), '--json']), 4, 'FILE_NOT_FOUND', 'io');
    const recipe = join(lineage.art, 'recipe');
    failure('attest', await runCli(['attest', 'training', '--model', lineage.model, '--recipe', recipe, '--dataset', wiki, '--builder-id', 'https://ci.example/train', '--started', 'yesterday', '--key', key('ci'), '--json']), 2, 'PROVENANCE_INVALID', 'input');
  });

  it('verify lineage --json: a verified two-level lineage', async () => {
    const result = contract('verify-lineage', await runCli(['verify', 'lineage', lineage.model, '--policy', lineage.policy, '--search', lineage.art, '--json']), 0);
    expect(result).toMatchObject({ verified: true, verdict: 'verified' });
    const model = asJson(result['root']);
    expect(model).toMatchObject({ role: 'model', name: 'fine-tune', signedBy: { name: 'ci', signer: { kind: 'key' } }, provenance: { builderId: 'https://ci.example/train', startedOn: '2025-01-02T03:04:05Z', finishedOn: '2025-01-02T05:04:05+02:00' } });
    expect(model['digest']).toMatch(ROOT_DIGEST);
    const children = model['children'] as Json[];
    expect(children.map((child) => `${String(child['role'])}:${String(child['name'])}`)).toEqual(['recipe:recipe', 'dataset:wiki', 'base-model:base-model']);
    for (const child of children) expect(child['digest']).toMatch(ROOT_DIGEST);
    expect(children[1]).toMatchObject({ card: { license: 'CC-BY-4.0', hasSensitivePersonalInformation: 'no' }, signedBy: { name: 'data-team' } });

    // --format json is the same document.
    const format = await runCli(['verify', 'lineage', lineage.model, '--policy', lineage.policy, '--search', lineage.art, '--format', 'json']);
    expect(contract('verify-lineage', format, 0)).toEqual(result);
  });

  it('verify lineage with evidence, and verify vsa --json: accepted; about another model, or unreadable, fails', async () => {
    const evidence = join(root, 'lineage', 'fine-tune.evidence.jsonl');
    const vsa = join(root, 'lineage', 'fine-tune.vsa.jsonl');
    const release = await runCli(['verify', 'lineage', lineage.model, '--policy', lineage.policy, '--search', lineage.art, '--evidence-out', evidence, '--vsa-out', vsa, '--vsa-key', key('ci'), '--json']);
    expect(contract('verify-lineage', release, 0)).toMatchObject({ verified: true });
    const fromEvidence = contract('verify-lineage', await runCli(['verify', 'lineage', lineage.model, '--policy', lineage.policy, '--evidence', evidence, '--json']), 0);
    expect((asJson(fromEvidence['root'])['children'] as Json[]).map((child) => child['verifiedFrom'])).toEqual(['evidence', 'evidence', 'evidence']);

    const accepted = contract('verify-vsa', await runCli(['verify', 'vsa', lineage.model, '--vsa', vsa, '--key', join(root, 'ci.pub'), '--json']), 0);
    expect(accepted).toMatchObject({ verified: true, name: 'fine-tune', kind: 'model', verificationResult: 'PASSED', verifiedLevels: ['AIPROV_LINEAGE_VERIFIED'], signer: { kind: 'key' } });
    expect(accepted['rootDigest']).toMatch(ROOT_DIGEST);
    expect(asJson(accepted['policy'])['digest']).toMatch(ROOT_DIGEST);
    failure('verify-vsa', await runCli(['verify', 'vsa', model, '--vsa', vsa, '--key', join(root, 'ci.pub'), '--json']), 1, 'VSA_SUBJECT_MISMATCH', 'verification');
    failure('verify-vsa', await runCli(['verify', 'vsa', lineage.model, '--vsa', join(root, 'no-such.vsa.jsonl'), '--key', join(root, 'ci.pub'), '--json']), 4, 'FILE_NOT_FOUND', 'io');
    failure('verify-vsa', await runCli(['verify', 'vsa', lineage.model, '--vsa', vsa, '--key', join(root, 'stranger.pub'), '--json']), 3, 'VSA_UNTRUSTED_SIGNER', 'policy');
    failure('verify-vsa', await runCli(['verify', 'vsa', lineage.model, '--vsa', vsa, '--key', join(root, 'ci.pub'), '--verified-level', 'SLSA_BUILD_LEVEL_3', '--json']), 3, 'VSA_LEVEL_MISMATCH', 'policy');
  });

  it('verify lineage --json: denied by policy (a dataset, then the model itself)', async () => {
    const datasetPolicy = join(root, 'lineage', 'deny-dataset.yaml');
    await writeFile(datasetPolicy, lineagePolicy({ datasetSigners: 'ci' }));
    const dataset = contract('verify-lineage', await runCli(['verify', 'lineage', lineage.model, '--policy', datasetPolicy, '--search', lineage.art, '--json']), 3);
    expect(dataset).toMatchObject({ verified: false, verdict: 'denied' });
    const wiki = (asJson(dataset['root'])['children'] as Json[]).find((child) => child['role'] === 'dataset');
    expect(wiki?.['findings']).toEqual([expect.objectContaining({ code: 'UNTRUSTED_SIGNER', severity: 'error', category: 'policy', fields: expect.objectContaining({ values: ['ci'] }) as unknown })]);

    // The model's own signature is not trusted: nothing names its digest, so the node has none.
    const modelPolicy = join(root, 'lineage', 'deny-model.yaml');
    await writeFile(modelPolicy, lineagePolicy({ modelSigners: 'data-team' }));
    const denied = contract('verify-lineage', await runCli(['verify', 'lineage', lineage.model, '--policy', modelPolicy, '--search', lineage.art, '--json']), 3);
    expect(denied).toMatchObject({ verified: false, verdict: 'denied', root: { role: 'model', children: [], findings: [expect.objectContaining({ code: 'UNTRUSTED_SIGNER' })] } });
    expect(asJson(denied['root'])).not.toHaveProperty('digest');
  });

  it('verify lineage --json: failed (tampered dataset), a missing policy and a missing flag fail', async () => {
    const copy = join(root, 'lineage-tampered');
    await cp(lineage.art, copy, { recursive: true });
    await writeFile(join(copy, 'wiki', 'part-0.jsonl'), '{"text": "poison"}\n');
    const failed = contract('verify-lineage', await runCli(['verify', 'lineage', join(copy, 'fine-tune'), '--policy', lineage.policy, '--search', copy, '--json']), 1);
    expect(failed).toMatchObject({ verified: false, verdict: 'failed' });

    failure('verify-lineage', await runCli(['verify', 'lineage', lineage.model, '--policy', join(root, 'no-policy.yaml'), '--json']), 4, 'FILE_NOT_FOUND', 'io');
    const usage = failure('verify-lineage', await runCli(['verify', 'lineage', lineage.model, '--json']), 2, 'USAGE', 'input');
    expect(usage.message).toContain('--policy');
  });

  it('verify-bundle --json: conformance happy paths by PATH and DIGEST, and a failing case', async () => {
    const cases = new Map(CONFORMANCE_CASES.map((test) => [test.case, test]));
    const get = (name: string): ConformanceCase => {
      const test = cases.get(name);
      if (test === undefined) throw new Error(`no conformance case ${name}`);
      return test;
    };

    const keyless = get('happy-path-v0.3');
    const byPath = contract('verify-bundle', await runCli([...verifyBundleArgs(keyless, join(CONFORMANCE, keyless.artifact)), '--json']), 0);
    expect(byPath).toMatchObject({ verified: true, content: 'message-signature', signer: { kind: 'keyless', identity: keyless.identity, issuer: keyless.issuer }, artifactArgument: { kind: 'file' }, artifact: { matchedBy: 'message-digest', algorithm: 'sha256', digest: keyless.artifact_sha256 } });
    expect(byPath['certificate']).toMatchObject({ pem: expect.stringMatching(/^-----BEGIN CERTIFICATE-----/) as unknown });
    const byDigest = contract('verify-bundle', await runCli([...verifyBundleArgs(keyless, keyless.digest_arg), '--json']), 0);
    expect(byDigest).toMatchObject({ verified: true, artifactArgument: { kind: 'digest', sha256: keyless.artifact_sha256 } });

    const managedKey = get('managed-key-happy-path');
    const key = contract('verify-bundle', await runCli([...verifyBundleArgs(managedKey, managedKey.digest_arg), '--json']), 0);
    expect(key).toMatchObject({ verified: true, signer: { kind: 'key', keyId: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown } });
    expect(key).not.toHaveProperty('certificate');

    const dsse = get('rekor2-dsse-happy-path');
    const envelope = contract('verify-bundle', await runCli([...verifyBundleArgs(dsse, join(CONFORMANCE, dsse.artifact)), '--json']), 0);
    expect(envelope).toMatchObject({ content: 'dsse', artifact: { matchedBy: 'statement-subject' }, dsse: { payloadType: 'application/vnd.in-toto+json' } });

    const invalidSignature = get('dsse-invalid-sig_fail');
    failure('verify-bundle', await runCli([...verifyBundleArgs(invalidSignature, join(CONFORMANCE, invalidSignature.artifact)), '--json']), 1, 'TLOG_INVALID', 'verification');
    const mismatch = get('happy-path-v0.3');
    failure('verify-bundle', await runCli([...verifyBundleArgs(mismatch, `sha256:${'0'.repeat(64)}`), '--json']), 1, 'DIGEST_MISMATCH', 'verification');
    failure('verify-bundle', await runCli(['verify-bundle', join(CONFORMANCE, keyless.artifact), '--json']), 2, 'USAGE', 'input');
  });

  it('policy check --json: valid, invalid, unreadable', async () => {
    const valid = contract('policy-check', await runCli(['policy', 'check', lineage.policy, '--json']), 0);
    expect(valid).toMatchObject({ valid: true, file: lineage.policy, problems: [], summary: { signers: [{ name: 'ci', kind: 'key' }, { name: 'data-team', kind: 'key' }], roles: { dataset: { allowedLicenses: ['CC-BY-4.0'] } } } });

    const invalidPath = join(root, 'lineage', 'invalid.yaml');
    await writeFile(invalidPath, lineagePolicy({}).replace('allowedLicenses:', 'alowedLicenses:'));
    const invalid = contract('policy-check', await runCli(['policy', 'check', invalidPath, '--json']), 2);
    expect(invalid).toMatchObject({ valid: false, error: { code: 'POLICY_INVALID', category: 'input', path: invalidPath } });
    expect(invalid['problems']).toContainEqual(expect.objectContaining({ code: 'POLICY_INVALID', path: 'roles.dataset.alowedLicenses', line: expect.any(Number) as unknown }));
    expect(invalid).not.toHaveProperty('summary');

    const missingKey = join(root, 'lineage', 'missing-key.yaml');
    await writeFile(missingKey, lineagePolicy({}).replace(pub('data-team'), join(root, 'gone.pub')));
    const unloadable = contract('policy-check', await runCli(['policy', 'check', missingKey, '--json']), 2);
    expect(unloadable['problems']).toEqual([expect.objectContaining({ code: 'FILE_NOT_FOUND', path: 'signers.data-team.key' })]);

    failure('policy-check', await runCli(['policy', 'check', join(root, 'no-policy.yaml'), '--json']), 4, 'FILE_NOT_FOUND', 'io');
    await mkdir(join(root, 'a-directory.yaml'));
    failure('policy-check', await runCli(['policy', 'check', join(root, 'a-directory.yaml'), '--json']), 2, 'POLICY_NOT_A_FILE', 'input');
  });
});

describe('keyless --json outputs against the local Sigstore stack', () => {
  const SIGNER = 'json-contract@aiprov.test';
  let stack: LocalSigstore;
  let stackDir: string;

  beforeAll(async () => {
    stackDir = await mkdtemp(join(tmpdir(), 'aiprov-json-stack-'));
    stack = await startLocalSigstore({ dir: stackDir });
  });

  afterAll(async () => {
    await stack.close();
    await rm(stackDir, { recursive: true, force: true });
  });

  it('sign, verify and inspect a keyless signature; the signer agrees between verify and inspect', async () => {
    const model = await writeModel(join(stackDir, 'model'), SMALL_MODEL);
    const signed = contract('sign', await runCli(['sign', model, '--signing-config', stack.signingConfigPath ?? '', '--identity-token', stack.mintIdentityToken(SIGNER), '--json']), 0);
    expect(signed).toMatchObject({ name: 'model', resourceCount: 4 });

    const verifyArgs = ['verify', model, '--trusted-root', stack.trustedRootPath ?? '', '--certificate-identity', SIGNER, '--certificate-oidc-issuer', stack.issuer, '--json'];
    const verified = contract('verify', await runCli(verifyArgs), 0);
    expect(verified['rootDigest']).toBe(signed['rootDigest']);
    const signer = asJson(verified['signer']);
    expect(signer).toMatchObject({ kind: 'keyless', identity: SIGNER, issuer: stack.issuer, trustRoot: stack.trustedRootPath });
    expect(signer['timestamps']).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'transparency-log' })]));

    const inspected = contract('inspect', await runCli(['inspect', join(model, 'model.sig'), '--json']), 0);
    expect(inspected['signer']).toMatchObject({ kind: 'keyless', identity: SIGNER, issuer: stack.issuer, notBefore: signer['notBefore'], notAfter: signer['notAfter'] });
    expect(inspected['tlogEntries']).toHaveLength(1);

    const denied = failure('verify', await runCli(verifyArgs.map((arg) => (arg === SIGNER ? 'someone-else@aiprov.test' : arg))), 3, 'IDENTITY_MISMATCH', 'policy');
    expect(denied.message).toContain('someone-else@aiprov.test');
  });
});
