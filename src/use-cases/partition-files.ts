/**
 * Reading back what `digest --partition --json`, `digest --merge --json` and `verify --partition
 * --json` print (`schemas/digest-partition`, `digest-merge`, `verify-partition`): files that came
 * from other machines, through CI artifacts or a shared volume, so read as untrusted input. Each
 * is read with a size bound (`PART_TOO_LARGE`, `MANIFEST_TOO_LARGE`), parsed as strict JSON
 * (valid UTF-8, no duplicate key) and validated with a strict zod schema (`PART_INVALID`,
 * `MANIFEST_INVALID`).
 *
 * JSON is parsed with `parseSignedJson`, not the YAML-based `parseDocument`: a part of a
 * 100,000-file model (19 MB) took `parseDocument` 8 s and 1.1 GB, `parseSignedJson` 0.2 s. These
 * files are written by aiprov, not by hand, so source positions would not help anyone.
 */
import { z } from 'zod';
import { InputError, isAiprovError, VerificationError, type InputErrorCode } from '../errors.js';
import { HASH_TYPES } from '../hashing/hash-type.js';
import { normalizeIgnorePath } from '../manifest/ignore-paths.js';
import type { ManifestPart } from '../manifest/compute-part.js';
import { computeRootDigest, type Serialization } from '../manifest/manifest.js';
import type { SizedManifest } from '../manifest/merge-parts.js';
import { MAX_PARTITION_COUNT, type Partition, type SizedResource } from '../manifest/partition.js';
import { issueMessage, ProblemsError } from '../input/problem.js';
import { readBounded } from '../input/read-bounded.js';
import { parseSignedJson } from '../input/signed-json.js';
import { isJsonObject } from '../input/json-object.js';
import { MAX_MANIFEST_FILE_BYTES, MAX_PART_FILE_BYTES } from './limits.js';

const hex = z.string().regex(/^[0-9a-f]+$/, 'must be lowercase hex');
const sha256Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 lowercase hex digits>');
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const SerializationJson = z
  .strictObject({
    method: z.enum(['files', 'shards']),
    hashType: z.enum(HASH_TYPES),
    allowSymlinks: z.boolean(),
    ignorePaths: z.array(z.string()),
    shardSize: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .refine((value) => (value.method === 'shards') === (value.shardSize !== undefined), { error: 'has a shardSize exactly when its method is shards', path: ['shardSize'] })
  .refine((value) => value.ignorePaths.every((path) => isIgnorePath(path)), { error: 'ignore paths must be relative and stay inside the artifact', path: ['ignorePaths'] });

const PartitionJson = z
  .strictObject({ index: z.number().int().min(1), count: z.number().int().min(1).max(MAX_PARTITION_COUNT) })
  .refine((value) => value.index <= value.count, { error: 'index must be at most count', path: ['index'] });

const SizedResourceJson = z.strictObject({ name: z.string(), algorithm: z.string(), digest: hex, size: count });

/**
 * Exactly what SizedResourceJson accepts, checked without making a copy: zod returns a new object
 * for every resource, and a part lists up to a million of them (a 226 MB part took 1.37 GB). A
 * resource this refuses is parsed with SizedResourceJson, whose problems then say what is wrong.
 */
function isSizedResource(value: unknown): value is SizedResource {
  if (!isJsonObject(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== 4 || Object.getPrototypeOf(value) !== Object.prototype) return false;
  const { name, algorithm, digest, size } = value;
  return typeof name === 'string' && typeof algorithm === 'string' && typeof digest === 'string' && /^[0-9a-f]+$/.test(digest) && typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 && keys.every((key) => RESOURCE_KEYS.has(key));
}

const RESOURCE_KEYS = new Set(['name', 'algorithm', 'digest', 'size']);

/** An array of resources, each checked by `isSizedResource` (the array is new, its resources are not). */
const SizedResourcesJson = z.array(z.unknown()).transform((resources, context): SizedResource[] => {
  for (const [index, resource] of resources.entries()) {
    if (isSizedResource(resource)) continue;
    const parsed = SizedResourceJson.safeParse(resource, { error: issueMessage });
    for (const issue of parsed.error?.issues ?? [{ code: 'custom' as const, message: 'is not a resource', path: [] }]) context.addIssue({ ...issue, path: [index, ...issue.path] });
    return z.NEVER;
  }
  return resources as SizedResource[];
});

const DigestPartJson = z.strictObject({
  partition: PartitionJson,
  name: z.string(),
  serialization: SerializationJson,
  listing: z.strictObject({ digest: sha256Digest, resourceCount: count, bytes: count }),
  resources: SizedResourcesJson,
});

const MergedManifestJson = z.strictObject({
  name: z.string(),
  rootDigest: sha256Digest,
  serialization: SerializationJson,
  resources: SizedResourcesJson,
});

const FindingJson = z.strictObject({
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
  severity: z.enum(['error', 'warning', 'info']),
  category: z.enum(['input', 'verification', 'policy', 'io', 'internal']).optional(),
  path: z.string().optional(),
  fields: z.record(z.string(), z.unknown()),
  message: z.string(),
});

const VerifyPartJson = z.strictObject({
  verified: z.literal(false),
  passed: z.boolean(),
  partition: PartitionJson,
  artifactPath: z.string(),
  signaturePath: z.string(),
  bundleDigest: sha256Digest,
  name: z.string(),
  predicateType: z.string(),
  rootDigest: sha256Digest,
  serialization: SerializationJson,
  // Compared between parts and printed back, never interpreted: its schema is common.schema.json's.
  signer: z.looseObject({ kind: z.enum(['key', 'certificate', 'keyless']) }),
  resourceCount: count,
  checkedResources: z.array(z.strictObject({ name: z.string(), digest: hex })),
  diff: z.strictObject({ extra: z.array(z.string()), missing: z.array(z.string()), changed: z.array(z.string()) }),
  findings: z.array(FindingJson),
})
  // As schemas/verify-partition.schema.json: `passed` is what the findings say. A part flipped to
  // passed while it still lists a difference or an error is an edited part.
  .refine((part) => part.passed === !part.findings.some((finding) => finding.severity === 'error'), { error: 'passed must be true exactly when no finding is an error', path: ['passed'] })
  .refine((part) => !part.passed || (part.diff.extra.length === 0 && part.diff.missing.length === 0 && part.diff.changed.length === 0), { error: 'a part that passed has an empty diff', path: ['passed'] });

/** A part of a partitioned verification, as `verify --partition --json` printed it. */
export type VerifyPartJson = Omit<z.infer<typeof VerifyPartJson>, 'serialization'> & { readonly serialization: Serialization };

/** What a command prints with `--json` when it fails, instead of its result. */
const FailureJson = z.looseObject({ error: z.looseObject({ code: z.string(), message: z.string() }) });

/** Reads a part of `digest --partition --json`. */
export async function readDigestPart(path: string): Promise<ManifestPart> {
  const json = await readJson(path, 'PART', 'part', MAX_PART_FILE_BYTES, 'PART_INVALID');
  refuseFailure(json, (message) => new InputError('PART_INVALID', `${path} is not a part: ${message}`, { path }));
  const part = validate(DigestPartJson, json, path, 'PART_INVALID');
  return { partition: partitionOf(part.partition), name: part.name, serialization: serializationOf(part.serialization), listing: part.listing, resources: part.resources };
}

/** Reads a manifest of `digest --merge --json`; its root digest must be the root of its resources. */
export async function readMergedManifest(path: string): Promise<SizedManifest> {
  const json = await readJson(path, 'MANIFEST', 'manifest', MAX_MANIFEST_FILE_BYTES, 'MANIFEST_INVALID');
  const manifest = validate(MergedManifestJson, json, path, 'MANIFEST_INVALID');
  const root = `sha256:${computeRootDigest(manifest.resources)}`;
  if (root !== manifest.rootDigest) {
    throw new InputError('MANIFEST_INVALID', `${path}: rootDigest ${manifest.rootDigest} is not the root of its resources (${root}): the file was edited`, { path });
  }
  const resources: SizedResource[] = manifest.resources;
  return { name: manifest.name, serialization: serializationOf(manifest.serialization), resources };
}

/**
 * Reads a part of `verify --partition --json`. A part that printed the failure form (its
 * verification could not even run: no signature, a bad key) is a failed part, PART_FAILED.
 */
export async function readVerifyPart(path: string): Promise<VerifyPartJson> {
  const json = await readJson(path, 'PART', 'part', MAX_PART_FILE_BYTES, 'PART_INVALID');
  refuseFailure(json, (message) => new VerificationError('PART_FAILED', `${path}: that part failed: ${message}`, { path }));
  const part = validate(VerifyPartJson, json, path, 'PART_INVALID');
  return { ...part, serialization: serializationOf(part.serialization) };
}

async function readJson(path: string, kind: 'PART' | 'MANIFEST', what: string, maxBytes: number, code: InputErrorCode): Promise<unknown> {
  const bytes = await readBounded(path, { maxBytes, kind, what });
  try {
    return parseSignedJson(bytes, path);
  } catch (error) {
    // parseSignedJson speaks of statements; here the file is a part or a manifest.
    if (isAiprovError(error)) throw new InputError(code, error.message, { path, cause: error });
    throw error;
  }
}

/** A command's failure form where its result was expected: say what failed, not "unknown key error". */
function refuseFailure(json: unknown, failed: (message: string) => Error): void {
  if (!isJsonObject(json) || !('error' in json)) return;
  const failure = FailureJson.safeParse(json);
  if (failure.success) throw failed(`${failure.data.error.code}: ${failure.data.error.message}`);
}

function validate<T>(schema: z.ZodType<T>, json: unknown, path: string, code: InputErrorCode): T {
  const parsed = schema.safeParse(json, { error: issueMessage });
  if (!parsed.success) throw ProblemsError.fromZod(parsed.error, { source: path, path, code, schema });
  return parsed.data;
}

function isIgnorePath(path: string): boolean {
  try {
    return normalizeIgnorePath(path) === path;
  } catch {
    return false;
  }
}

function partitionOf(json: z.infer<typeof PartitionJson>): Partition {
  return { index: json.index, count: json.count };
}

function serializationOf(json: z.infer<typeof SerializationJson>): Serialization {
  return {
    method: json.method,
    hashType: json.hashType,
    allowSymlinks: json.allowSymlinks,
    ignorePaths: json.ignorePaths,
    ...(json.shardSize === undefined ? {} : { shardSize: json.shardSize }),
  };
}
