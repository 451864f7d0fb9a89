import { z } from 'zod';
import { InputError, VerificationError } from '../errors.js';
import { HASH_TYPES } from '../hashing/hash-type.js';
import { DEFAULT_IGNORED_PATHS } from '../hashing/walk.js';
import { normalizeIgnorePath } from '../manifest/ignore-paths.js';
import { checkResourceNames, compareResources, computeRootDigest, DIGEST_HEX_LENGTH, resourceAlgorithm, type Manifest, type Resource, type Serialization } from '../manifest/manifest.js';
import { issueMessage, ProblemsError } from '../input/problem.js';
import { IN_TOTO_STATEMENT_V1, type Statement } from './statement.js';

/** OpenSSF Model Signing v1.0 predicate: one subject (the model's root digest) plus resources. */
export const OMS_SIGNATURE_V1 = 'https://model_signing/signature/v1.0';
/** model_signing v0.2 predicate: one subject per file, no serialization parameters. */
export const OMS_LEGACY_DIGESTS_V01 = 'https://model_signing/Digests/v0.1';

const hex = z.string().regex(/^[0-9a-f]+$/, 'must be lowercase hex');

const SerializationSchema = z.strictObject({
  method: z.enum(['files', 'shards']),
  hash_type: z.enum(HASH_TYPES),
  allow_symlinks: z.boolean(),
  ignore_paths: z.array(z.string()).optional(),
  // Python writes a float (8.0): accept any number, require it to be a positive integer.
  shard_size: z.number().positive().refine(Number.isSafeInteger, 'must be an integer').optional(),
});

const ResourceSchema = z.strictObject({ name: z.string(), algorithm: z.string(), digest: hex });

const OmsPredicateSchema = z.strictObject({
  serialization: SerializationSchema,
  resources: z.array(ResourceSchema),
});

const LegacySubjectSchema = z.strictObject({
  name: z.string(),
  digest: z.strictObject({ sha256: hex.length(64) }),
  annotations: z.strictObject({ actual_hash_algorithm: z.literal('file-sha256') }).optional(),
});

/** Builds the OMS v1.0 statement for a manifest (subject = artifact name and root digest). */
export function buildOmsStatement(manifest: Manifest): Statement {
  const { serialization } = manifest;
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: manifest.name, digest: { sha256: computeRootDigest(manifest.resources) } }],
    predicateType: OMS_SIGNATURE_V1,
    predicate: {
      serialization: {
        method: serialization.method,
        hash_type: serialization.hashType,
        allow_symlinks: serialization.allowSymlinks,
        ignore_paths: [...serialization.ignorePaths],
        ...(serialization.shardSize === undefined ? {} : { shard_size: serialization.shardSize }),
      },
      resources: manifest.resources.map((resource) => ({ name: resource.name, algorithm: resource.algorithm, digest: resource.digest })),
    },
  };
}

export interface SignedManifest extends Manifest {
  readonly predicateType: typeof OMS_SIGNATURE_V1 | typeof OMS_LEGACY_DIGESTS_V01;
  /** The subject digest the signer committed to. */
  readonly rootDigest: string;
}

/**
 * Reads the manifest out of a verified OMS statement and checks that it is self-consistent: the
 * subject digest must equal the root recomputed from the resources (otherwise the resources could
 * be swapped while the subject an attestation points at stays the same), and no resource name may
 * point outside the artifact.
 */
export function manifestFromStatement(statement: Statement, signatureIgnorePaths: readonly string[]): SignedManifest {
  if (statement.predicateType === OMS_LEGACY_DIGESTS_V01) return legacyManifest(statement, signatureIgnorePaths);
  if (statement.predicateType !== OMS_SIGNATURE_V1) {
    throw new InputError('UNSUPPORTED_PREDICATE_TYPE', `predicate type ${JSON.stringify(statement.predicateType)} is not a model signature (${OMS_SIGNATURE_V1})`);
  }
  if (statement.subject.length !== 1) {
    throw new InputError('STATEMENT_INVALID', `a model signature has exactly one subject, found ${String(statement.subject.length)}`);
  }
  const parsed = OmsPredicateSchema.safeParse(statement.predicate, { error: issueMessage });
  if (!parsed.success) throw ProblemsError.fromZod(parsed.error, { source: 'model signature predicate', code: 'PREDICATE_INVALID', schema: OmsPredicateSchema });
  const { serialization: raw, resources } = parsed.data;
  if (raw.method === 'shards' && raw.shard_size === undefined) {
    throw new InputError('PREDICATE_INVALID', 'model signature predicate: serialization.shard_size is required for the shards method');
  }
  const serialization: Serialization = {
    method: raw.method,
    hashType: raw.hash_type,
    allowSymlinks: raw.allow_symlinks,
    // Bundles from model_signing < 1.0.1 record no ignore paths: the defaults and the signature
    // file itself were ignored when they were made.
    ignorePaths: raw.ignore_paths ?? [...DEFAULT_IGNORED_PATHS, ...signatureIgnorePaths],
    ...(raw.method === 'shards' && raw.shard_size !== undefined ? { shardSize: raw.shard_size } : {}),
  };
  checkResourceNames(resources, serialization.method);
  checkSignedManifest(resources, serialization, raw.ignore_paths ?? []);
  const subject = statement.subject[0];
  const subjectDigest = subject?.digest['sha256'];
  if (subject === undefined || subjectDigest === undefined) {
    throw new InputError('STATEMENT_INVALID', 'the model signature subject has no sha256 digest');
  }
  const rootDigest = computeRootDigest(resources);
  if (rootDigest !== subjectDigest) {
    throw new VerificationError('SUBJECT_DIGEST_MISMATCH', `the subject digest ${subjectDigest} is not the root of the signed resources (${rootDigest})`);
  }
  return { predicateType: OMS_SIGNATURE_V1, name: subject.name, serialization, resources, rootDigest };
}

/**
 * What a signer may put in a manifest that model_signing would not have written, refused rather
 * than interpreted (each needs a trusted signer, but a verifier should not guess what it meant):
 *
 * - A resource whose `algorithm` is not the serialization's (model_signing refuses it too): which
 *   of the two hashed the file?
 * - A digest of the wrong length for its hash: bad input, not a "changed" file.
 * - An ignore path that is empty, absolute or climbs out (`../x`): it names nothing inside.
 * - No resources at all (for instance ignore paths that cover every file): such a signature
 *   verifies any directory whose files are all ignored, and so vouches for nothing.
 * - Resources out of canonical order: the subject digest is the root of the resources *in their
 *   order*, so the same files would verify under a root that differs from `aiprov digest` (and
 *   from what attestations and lineage links name).
 */
function checkSignedManifest(resources: readonly Resource[], serialization: Serialization, ignorePaths: readonly string[]): void {
  const algorithm = resourceAlgorithm(serialization);
  const digestLength = DIGEST_HEX_LENGTH[serialization.hashType];
  for (const resource of resources) {
    if (resource.algorithm !== algorithm) {
      throw new InputError('PREDICATE_INVALID', `resource ${JSON.stringify(resource.name)} has algorithm ${JSON.stringify(resource.algorithm)}, the serialization says ${JSON.stringify(algorithm)}`, { path: resource.name });
    }
    if (resource.digest.length !== digestLength) {
      throw new InputError('DIGEST_INVALID', `resource ${JSON.stringify(resource.name)} has a digest of ${String(resource.digest.length)} hex digits; ${serialization.hashType} has ${String(digestLength)}`, { path: resource.name });
    }
  }
  for (const path of ignorePaths) normalizeIgnorePath(path);
  if (resources.length === 0) throw new InputError('MANIFEST_EMPTY', 'the model signature lists no resources: it covers no file, so it vouches for nothing');
  const order = compareResources(serialization.method);
  for (let index = 1; index < resources.length; index++) {
    const [previous, current] = [resources[index - 1], resources[index]];
    if (previous !== undefined && current !== undefined && order(previous, current) > 0) {
      throw new InputError('RESOURCES_OUT_OF_ORDER', `the model signature lists ${JSON.stringify(previous.name)} before ${JSON.stringify(current.name)}; its subject digest is not the artifact's canonical root (as \`aiprov digest\` computes it)`, { path: current.name });
    }
  }
}

/** model_signing v0.2: every file is its own subject; resources are read from the subjects. */
function legacyManifest(statement: Statement, signatureIgnorePaths: readonly string[]): SignedManifest {
  const resources: Resource[] = statement.subject.map((subject, index) => {
    const parsed = LegacySubjectSchema.safeParse(subject, { error: issueMessage });
    if (!parsed.success) throw ProblemsError.fromZod(parsed.error, { source: `legacy subject ${String(index)}`, code: 'STATEMENT_INVALID', schema: LegacySubjectSchema });
    return { name: parsed.data.name, algorithm: 'sha256', digest: parsed.data.digest.sha256 };
  });
  checkResourceNames(resources, 'files');
  const serialization: Serialization = {
    method: 'files',
    hashType: 'sha256',
    allowSymlinks: false,
    ignorePaths: [...DEFAULT_IGNORED_PATHS, ...signatureIgnorePaths],
  };
  return { predicateType: OMS_LEGACY_DIGESTS_V01, name: '', serialization, resources, rootDigest: computeRootDigest(resources) };
}
