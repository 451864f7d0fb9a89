/**
 * Property-based tests (fast-check), issue 12: valid bundles, signed statements, dataset cards,
 * training provenance, policies and trust roots are mutated at random, and aiprov must
 *
 * - never accept a mutation that changes what was signed (bundles: any signed byte; statements:
 *   the resources or the subject), nor a document whose mutation breaks its schema;
 * - never fail with anything but an AiprovError of a non-internal category (the CLI would exit
 *   70 on anything else: a TypeError deep in a parser, a stack overflow);
 * - fail the same input with the same code every time (a stable code).
 *
 * `npm test` runs FUZZ_RUNS cases per target (a few hundred). Set AIPROV_FUZZ_RUNS for a longer
 * campaign, e.g. `AIPROV_FUZZ_RUNS=20000 npx vitest run test/fuzz`; a failure prints the seed and
 * the shrunk counterexample, and `fc.assert` replays it with `{ seed, path }`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAiprovError } from '../../src/errors.js';
import { generateKeyPair, parsePrivateKey, parsePublicKey } from '../../src/format/keys.js';
import { computeManifest } from '../../src/manifest/compute.js';
import { EXAMPLE_POLICY } from '../../src/policy/example.js';
import { parsePolicy } from '../../src/policy/schema.js';
import { signArtifact } from '../../src/sign/sign-artifact.js';
import { signDsseBundle } from '../../src/sign/signer.js';
import { buildDatasetCardStatement, parseDatasetCard, parseDatasetCardStatement } from '../../src/statement/dataset-card.js';
import { buildOmsStatement } from '../../src/statement/oms.js';
import { buildTrainingProvenance, parseTrainingProvenance } from '../../src/statement/provenance.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../../src/statement/statement.js';
import { parseTrustRoot } from '../../src/verify/trust.js';
import { verifyArtifact, type ArtifactTrust } from '../../src/verify/verify-artifact.js';
import { SMALL_MODEL, writeModel } from '../support/fixtures.js';
import { TESTDATA } from '../support/paths.js';

const FUZZ_RUNS = Number(process.env['AIPROV_FUZZ_RUNS'] ?? 200);
const TIMEOUT = { timeout: Math.max(60_000, FUZZ_RUNS * 500) };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** 'accepted', or the code it was refused with; anything but a non-internal AiprovError fails. */
async function outcome(run: () => unknown): Promise<string> {
  try {
    await run();
    return 'accepted';
  } catch (error) {
    if (!isAiprovError(error)) throw new Error(`not an AiprovError: ${String(error)}`, { cause: error });
    if (error.category === 'internal') throw new Error(`internal error (exit 70): ${error.code}: ${error.message}`, { cause: error });
    return error.code;
  }
}

/** Every path to a leaf (and to every container) of a JSON value. */
function pathsOf(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const here = prefix.length === 0 ? [] : [prefix];
  if (Array.isArray(value)) return [...here, ...value.flatMap((item, index) => pathsOf(item, [...prefix, index]))];
  if (value !== null && typeof value === 'object') return [...here, ...Object.entries(value).flatMap(([key, item]) => pathsOf(item, [...prefix, key]))];
  return here;
}

function typeOf(value: Json | undefined): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function getAt(value: Json, path: readonly (string | number)[]): Json | undefined {
  let current: Json | undefined = value;
  for (const key of path) current = current !== null && typeof current === 'object' ? (current as Record<string | number, Json>)[key] : undefined;
  return current;
}

/** A copy of `value` with the node at `path` replaced (or deleted, for `undefined`). */
function setAt(value: Json, path: readonly (string | number)[], replacement: Json | undefined): Json {
  const copy = structuredClone(value);
  let parent = copy as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const last = path[path.length - 1] as string | number;
  if (replacement === undefined) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else Reflect.deleteProperty(parent, last);
  } else {
    parent[last] = replacement;
  }
  return copy;
}

/**
 * A mutation that breaks a schema: a node replaced by a value of another JSON type. (Replacing a
 * string by another string may well be valid; a number where a string belongs never is.)
 */
function typeChangingMutation(base: Json, options: { readonly listShorthand?: boolean; readonly unsigned?: readonly string[] } = {}): fc.Arbitrary<Json> {
  const paths = pathsOf(base).filter((path) => !path.some((key) => options.unsigned?.includes(String(key)) === true));
  // A policy lets one string stand for a list of one (`trust.sigstore: public-good`), and a list
  // of strings stand where one is written (`certificateAuthority: [a.pem, b.pem]`): either way
  // round, the type does not change.
  const stringList = (value: Json | undefined): boolean => Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string');
  const shorthand = (original: Json | undefined, replacement: Json): boolean => options.listShorthand === true && ((Array.isArray(original) && typeof replacement === 'string') || (typeof original === 'string' && stringList(replacement)));
  return fc.tuple(fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>).filter(([path, replacement]) => typeOf(getAt(base, path)) !== typeOf(replacement) && !shorthand(getAt(base, path), replacement)).map(([path, replacement]) => setAt(base, path, replacement));
}

/** Any mutation: a node replaced by any JSON value, deleted, or an unknown key added to an object. */
function anyMutation(base: Json): fc.Arbitrary<Json> {
  const paths = pathsOf(base);
  const objects = paths.filter((path) => typeOf(getAt(base, path)) === 'object');
  return fc.oneof(
    fc.tuple(fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>).map(([path, replacement]) => setAt(base, path, replacement)),
    fc.constantFrom(...paths).map((path) => setAt(base, path, undefined)),
    ...(objects.length === 0 ? [] : [fc.tuple(fc.constantFrom(...objects), fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>).map(([path, key, item]) => setAt(base, [...path, `x-${key}`], item))]),
  );
}

/** The same input twice gives the same outcome. */
async function stableOutcome(run: () => unknown): Promise<string> {
  const first = await outcome(run);
  expect(await outcome(run)).toBe(first);
  return first;
}

describe('fuzz: mutated inputs are refused with a stable code, never accepted, never internal', () => {
  let dir: string;
  let model: string;
  let trust: ArtifactTrust;
  let privateKeyPem: string;
  let bundle: Json;
  let statement: Json;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aiprov-fuzz-'));
    model = await writeModel(join(dir, 'model'), SMALL_MODEL);
    const pair = generateKeyPair('P-256');
    privateKeyPem = pair.privateKeyPem;
    trust = { kind: 'key', publicKey: parsePublicKey(pair.publicKeyPem, 'k.pub') };
    await signArtifact(model, { signingMethod: { kind: 'key', privateKey: parsePrivateKey(privateKeyPem, 'k.key') } });
    bundle = JSON.parse(await readFile(join(model, 'model.sig'), 'utf8')) as Json;
    statement = JSON.parse(JSON.stringify(buildOmsStatement(await computeManifest(model, {}, ['model.sig', 'model.intoto.jsonl', 'model.evidence.jsonl'])))) as Json;
  }, 60_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const verifyWith = async (bundleJson: Json | string): Promise<() => Promise<void>> => {
    const path = join(dir, 'fuzz.sig');
    await writeFile(path, typeof bundleJson === 'string' ? bundleJson : JSON.stringify(bundleJson));
    return async () => {
      const result = await verifyArtifact(model, { trust, signaturePath: path });
      if (!result.verified) throw Object.assign(new Error('not verified'), { notVerified: true });
    };
  };
  /** Like `outcome`, but a result with `verified: false` is a refusal too. */
  const verifyOutcome = async (bundleJson: Json | string): Promise<string> => {
    const run = await verifyWith(bundleJson);
    try {
      return await stableOutcome(run);
    } catch (error) {
      if ((error as { cause?: { notVerified?: boolean } }).cause?.notVerified === true) return 'NOT_VERIFIED';
      throw error;
    }
  };

  it('bundles: a change to any signed byte (payload, signature, payload type) is never accepted', TIMEOUT, async () => {
    expect(await verifyOutcome(bundle)).toBe('accepted');
    const envelope = (bundle as { dsseEnvelope: { payload: string; signatures: { sig: string }[]; payloadType: string } }).dsseEnvelope;
    const flip = (base64: string, bit: number): string => {
      const bytes = Buffer.from(base64, 'base64');
      const index = bit % (bytes.length * 8);
      bytes[index >> 3] = (bytes[index >> 3] ?? 0) ^ (1 << (index & 7));
      return bytes.toString('base64');
    };
    const mutated = fc.oneof(
      fc.nat().map((bit) => setAt(bundle, ['dsseEnvelope', 'payload'], flip(envelope.payload, bit))),
      fc.nat().map((bit) => setAt(bundle, ['dsseEnvelope', 'signatures', 0, 'sig'], flip(envelope.signatures[0]?.sig ?? '', bit))),
      fc.string().filter((type) => type !== envelope.payloadType).map((type) => setAt(bundle, ['dsseEnvelope', 'payloadType'], type)),
      fc.nat({ max: envelope.payload.length - 1 }).map((length) => setAt(bundle, ['dsseEnvelope', 'payload'], envelope.payload.slice(0, length))),
      // Any node but the unauthenticated key hints (DSSE keyid, bundle hint: neither is signed,
      // and with one trusted key neither is used), and the whole bundle's bytes cut short.
      typeChangingMutation(bundle, { unsigned: ['keyid', 'hint'] }),
      fc.nat().map((cut) => JSON.stringify(bundle).slice(0, cut % JSON.stringify(bundle).length)),
    );
    await fc.assert(fc.asyncProperty(mutated, async (candidate) => {
      expect(await verifyOutcome(candidate)).not.toBe('accepted');
    }), { numRuns: FUZZ_RUNS });
  });

  it('signed statements: a trusted signer\'s mutated statement never verifies other resources or another subject', TIMEOUT, async () => {
    const privateKey = parsePrivateKey(privateKeyPem, 'k.key');
    const original = statement as { subject: Json; predicate: { resources: Json } };
    await fc.assert(fc.asyncProperty(fc.oneof(anyMutation(statement), typeChangingMutation(statement)), async (candidate) => {
      const signed = signDsseBundle(Buffer.from(JSON.stringify(candidate)), IN_TOTO_PAYLOAD_TYPE, { kind: 'key', privateKey });
      const result = await verifyOutcome(JSON.parse(JSON.stringify(signed)) as Json);
      if (result === 'accepted') {
        // What the signature vouches for: the subject's sha256 and the resources. (The subject's
        // name is the signer's label; in-toto consumers ignore fields and digest algorithms they
        // do not know.)
        const claims = (value: typeof original): Json => ({ subject: (value.subject as { digest: { sha256?: Json } }[]).map(({ digest }) => digest.sha256 ?? null), resources: value.predicate.resources });
        expect(claims(candidate as typeof original)).toEqual(claims(original));
      }
    }), { numRuns: FUZZ_RUNS });
  });

  const CARD = { name: 'wiki', license: 'CC-BY-4.0', datasetType: ['text'], hasSensitivePersonalInformation: 'no', description: 'A small wiki dump' };

  it('dataset cards: files and attestation statements', TIMEOUT, async () => {
    expect(await outcome(() => parseDatasetCard(JSON.stringify(CARD), 'card.json'))).toBe('accepted');
    await fc.assert(fc.asyncProperty(typeChangingMutation(CARD), async (candidate) => {
      expect(await stableOutcome(() => parseDatasetCard(JSON.stringify(candidate), 'card.json'))).not.toBe('accepted');
    }), { numRuns: FUZZ_RUNS });
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 200 }), async (text) => {
      await stableOutcome(() => parseDatasetCard(text, 'card.yaml'));
    }), { numRuns: FUZZ_RUNS });
    const cardStatement = JSON.parse(JSON.stringify(buildDatasetCardStatement(CARD as Parameters<typeof buildDatasetCardStatement>[0], { name: 'wiki', rootDigest: 'a'.repeat(64) }))) as Json;
    await fc.assert(fc.asyncProperty(typeChangingMutation(cardStatement), async (candidate) => {
      expect(await stableOutcome(() => parseDatasetCardStatement(candidate))).not.toBe('accepted');
    }), { numRuns: FUZZ_RUNS });
  });

  it('training provenance statements', TIMEOUT, async () => {
    const digest = (fill: string): string => fill.repeat(64);
    const provenance = JSON.parse(JSON.stringify(buildTrainingProvenance({
      model: { name: 'tiny', rootDigest: digest('1') },
      recipe: { name: 'recipe', rootDigest: digest('2') },
      datasets: [{ name: 'wiki', rootDigest: digest('3') }],
      baseModel: { name: 'base', rootDigest: digest('5') },
      builderId: 'https://example.com/trainer',
    }))) as Json;
    expect(await outcome(() => parseTrainingProvenance(provenance))).toBe('accepted');
    await fc.assert(fc.asyncProperty(typeChangingMutation(provenance), async (candidate) => {
      expect(await stableOutcome(() => parseTrainingProvenance(candidate))).not.toBe('accepted');
    }), { numRuns: FUZZ_RUNS });
    await fc.assert(fc.asyncProperty(anyMutation(provenance), async (candidate) => {
      await stableOutcome(() => parseTrainingProvenance(candidate));
    }), { numRuns: FUZZ_RUNS });
  });

  it('policies', TIMEOUT, async () => {
    const policy = parseYaml(EXAMPLE_POLICY) as Json;
    expect(await outcome(() => parsePolicy(JSON.stringify(policy), 'policy.json'))).toBe('accepted');
    await fc.assert(fc.asyncProperty(typeChangingMutation(policy, { listShorthand: true }), async (candidate) => {
      expect(await stableOutcome(() => parsePolicy(JSON.stringify(candidate), 'policy.json'))).not.toBe('accepted');
    }), { numRuns: FUZZ_RUNS });
    await fc.assert(fc.asyncProperty(fc.oneof(anyMutation(policy).map((value) => JSON.stringify(value)), fc.string({ maxLength: 300 })), async (text) => {
      await stableOutcome(() => parsePolicy(text, 'policy.yaml'));
    }), { numRuns: FUZZ_RUNS });
  });

  it('evidence files: trust roots', TIMEOUT, async () => {
    const root = JSON.parse(readFileSync(join(TESTDATA, 'sigstore-trust-roots', 'production_trusted_root.json'), 'utf8')) as Json;
    expect(await outcome(() => parseTrustRoot(Buffer.from(JSON.stringify(root)), 'trusted_root.json'))).toBe('accepted');
    await fc.assert(fc.asyncProperty(fc.oneof(anyMutation(root), typeChangingMutation(root)), async (candidate) => {
      await stableOutcome(() => parseTrustRoot(Buffer.from(JSON.stringify(candidate)), 'trusted_root.json'));
    }), { numRuns: FUZZ_RUNS });
  });
});
