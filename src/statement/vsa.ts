/**
 * SLSA Verification Summary Attestation v1 (https://slsa.dev/spec/v1.0/verification_summary):
 * a verifier's signed word that an artifact passed (or failed) verification against a policy, so
 * that a deployment gate downstream need not redo the verification.
 */
import { z } from 'zod';
import { HASH_TYPES } from '../hashing/hash-type.js';
import { ProblemsError } from '../input/problem.js';
import { normalizeIgnorePath } from '../manifest/ignore-paths.js';
import type { Serialization } from '../manifest/manifest.js';
import { IN_TOTO_STATEMENT_V1 } from './statement.js';

export const SLSA_VSA_V1 = 'https://slsa.dev/verification_summary/v1';

/**
 * What aiprov asserts in `verifiedLevels`. The VSA spec reserves values starting with `SLSA_` for
 * SLSA's own tracks; aiprov verifies signatures, digests and policy rules, not a builder's SLSA
 * build level, so it uses its own names (and `FAILED`, the spec's value for a failed policy).
 * - `AIPROV_SIGNATURE_VERIFIED`: the artifact's content matches an OMS signature by a trusted signer.
 * - `AIPROV_LINEAGE_VERIFIED`: also every link of its lineage (training provenance, datasets,
 *   recipe, base models) is signed by a signer the policy trusts for its role, names exactly the
 *   digest of what it links to, and meets the policy's rules (licences, builders, depth).
 */
export const VERIFIED_LEVELS = ['AIPROV_SIGNATURE_VERIFIED', 'AIPROV_LINEAGE_VERIFIED'] as const;
export type VerifiedLevel = (typeof VERIFIED_LEVELS)[number];

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');

/**
 * How the verifier hashed the artifact, in the shape `aiprov digest --json` prints: the gate
 * re-hashes with exactly this. Read strictly (an unknown key could mean a parameter this version
 * would not apply), and every ignore path must stay inside the artifact.
 */
const VsaSerializationSchema = z
  .strictObject({
    method: z.enum(['files', 'shards']),
    hashType: z.enum(HASH_TYPES),
    allowSymlinks: z.boolean(),
    ignorePaths: z.array(z.string().refine((path) => isInsideIgnorePath(path), 'must be a relative path inside the artifact')),
    shardSize: z.number().int().positive().optional(),
  })
  .refine((value) => (value.method === 'shards') === (value.shardSize !== undefined), 'shardSize is given exactly for the shards method');

function isInsideIgnorePath(path: string): boolean {
  try {
    return normalizeIgnorePath(path) === path;
  } catch {
    return false;
  }
}

/**
 * The fields aiprov reads; others are ignored, as the in-toto parsing rules require. `kind` and
 * `serialization` are aiprov's extensions (summaries written before them have neither: the gate
 * then hashes with aiprov's defaults for the kind it is asked about).
 */
const VsaPredicateSchema = z.object({
  verifier: z.object({ id: z.string().min(1) }),
  timeVerified: z.iso.datetime({ offset: true }),
  resourceUri: z.string().min(1),
  policy: z.object({ uri: z.string().min(1), digest: z.object({ sha256 }).optional() }),
  inputAttestations: z.array(z.object({ name: z.string().optional(), uri: z.string().optional(), digest: z.record(z.string(), z.string()) })).optional(),
  verificationResult: z.enum(['PASSED', 'FAILED']),
  verifiedLevels: z.array(z.string()),
  // A kind this version does not know never equals the one the gate is asked about.
  kind: z.string().min(1).optional(),
  serialization: VsaSerializationSchema.optional(),
  resourcesDigest: z.strictObject({ sha256 }).optional(),
});

const VsaStatementSchema = z.object({
  _type: z.literal(IN_TOTO_STATEMENT_V1),
  subject: z.array(z.object({ name: z.string(), digest: z.object({ sha256 }) })).length(1, 'a VSA names exactly one subject'),
  predicateType: z.literal(SLSA_VSA_V1),
  predicate: VsaPredicateSchema,
});

export type VsaStatement = z.output<typeof VsaStatementSchema>;

export interface VsaInput {
  readonly subject: { readonly name: string; readonly rootDigest: string };
  readonly verifierId: string;
  readonly verifierVersion: string;
  readonly timeVerified: Date;
  readonly resourceUri: string;
  readonly policy: { readonly uri: string; readonly sha256: string };
  /** Each bundle the verdict rested on, by its name (`<evidence file>:<line>`) and digest. */
  readonly inputAttestations: readonly { readonly name: string; readonly sha256: string }[];
  readonly passed: boolean;
  readonly level: VerifiedLevel;
  /** What was verified, and how it was hashed (the signed serialization and what the verifier left out). */
  readonly kind: string;
  /**
   * Absent only for a FAILED summary whose artifact's signature never verified: how the artifact
   * was re-hashed, and `computeResourcesDigest` of its resources (the names the root does not bind).
   */
  readonly verifiedWith?: { readonly serialization: Serialization; readonly resourcesDigest: string };
}

export function buildVsaStatement(input: VsaInput): VsaStatement & { predicate: { verifier: { version: Record<string, string> } } } {
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: input.subject.name, digest: { sha256: input.subject.rootDigest } }],
    predicateType: SLSA_VSA_V1,
    predicate: {
      // `version` is VSA v1.1's; consumers of v1.0 ignore it (parsing rules).
      verifier: { id: input.verifierId, version: { aiprov: input.verifierVersion } },
      timeVerified: input.timeVerified.toISOString(),
      resourceUri: input.resourceUri,
      policy: { uri: input.policy.uri, digest: { sha256: input.policy.sha256 } },
      inputAttestations: input.inputAttestations.map(({ name, sha256: digest }) => ({ name, digest: { sha256: digest } })),
      verificationResult: input.passed ? 'PASSED' : 'FAILED',
      verifiedLevels: input.passed ? [input.level] : ['FAILED'],
      kind: input.kind,
      ...(input.verifiedWith === undefined ? {} : { serialization: serializationRecord(input.verifiedWith.serialization), resourcesDigest: { sha256: input.verifiedWith.resourcesDigest } }),
    },
  };
}

/** A serialization as `digest --json` prints it (the in-memory value may carry more). */
function serializationRecord(serialization: Serialization): z.output<typeof VsaSerializationSchema> {
  const { method, hashType, allowSymlinks, ignorePaths, shardSize } = serialization;
  return { method, hashType, allowSymlinks, ignorePaths: [...ignorePaths], ...(shardSize === undefined ? {} : { shardSize }) };
}

/** The serialization a summary records (`undefined` for one written before aiprov recorded it). */
export function recordedSerialization(statement: VsaStatement): Serialization | undefined {
  const recorded = statement.predicate.serialization;
  if (recorded === undefined) return undefined;
  const { method, hashType, allowSymlinks, ignorePaths, shardSize } = recorded;
  return { method, hashType, allowSymlinks, ignorePaths, ...(shardSize === undefined ? {} : { shardSize }) };
}

/** Parses a verified VSA payload (VSA_INVALID with every problem when it is not one). */
export function parseVsaStatement(json: unknown): VsaStatement {
  const parsed = VsaStatementSchema.safeParse(json);
  if (!parsed.success) throw ProblemsError.fromZod(parsed.error, { code: 'VSA_INVALID', source: 'the verification summary' });
  return parsed.data;
}
