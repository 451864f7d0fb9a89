import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { isAiprovError, IOError, VerificationError } from '../errors.js';
import { pathInsideArtifact } from '../format/artifact-kind.js';
import { MAX_BUNDLE_BYTES, parseBundle } from '../format/bundle.js';
import { compareResourcePaths } from '../hashing/walk.js';
import { readBounded } from '../input/read-bounded.js';
import { compareResources, computeRootDigest, resourceAlgorithm, type ManifestDiff, type Resource } from '../manifest/manifest.js';
import { checkPartSet, type Sourced } from '../manifest/merge-parts.js';
import { manifestFromStatement, type SignedManifest } from '../statement/oms.js';
import { parseStatement } from '../statement/parse.js';
import type { Signer } from '../verify/signer.js';
import { authenticateDsseBundle, type ArtifactTrust } from '../verify/verify-artifact.js';
import { readVerifyPart, type VerifyPartJson } from './partition-files.js';

/** The verdict over every part of a partitioned verification (`verify --merge`). */
export interface MergedVerification {
  /** True only when every part is there once, each passed, and together they checked every signed resource. */
  readonly verified: boolean;
  readonly name: string;
  readonly rootDigest: string;
  readonly bundleDigest: string;
  readonly predicateType: string;
  readonly serialization: VerifyPartJson['serialization'];
  /** The signer as the merge authenticated it, with its own trust (not as the parts say). */
  readonly signer: Signer;
  readonly resourceCount: number;
  readonly partitionCount: number;
  readonly parts: readonly MergedPart[];
  /** The parts' diffs together: each file once, sorted. */
  readonly diff: ManifestDiff;
  /** The parts' findings, each once (every part reports the same missing and unsigned files). */
  readonly findings: VerifyPartJson['findings'];
}

export interface MergedPart {
  readonly index: number;
  readonly passed: boolean;
  readonly source: string;
  readonly artifactPath: string;
  readonly checkedResourceCount: number;
}

type SourcedVerifyPart = Sourced<VerifyPartJson>;

export interface MergeVerifyOptions {
  /** What the merge trusts: the same as `verify` (a part's word on its signer is not evidence). */
  readonly trust: ArtifactTrust;
  /** The bundle the parts verified, when it is not at the path they name (another machine's). */
  readonly signaturePath?: string;
  /** Reference time for certificate validity; defaults to now. */
  readonly now?: Date;
}

/**
 * `verify --merge RESULT…`: reads every part's result, authenticates the signature they name with
 * the merge's own trust, then merges them against that signature (see `mergeVerifyParts`).
 */
export async function mergeVerifyPartFiles(paths: readonly [string, ...string[]], options: MergeVerifyOptions): Promise<MergedVerification> {
  const read = async (source: string): Promise<SourcedVerifyPart> => ({ source, part: await readVerifyPart(source) });
  const [first, ...others] = paths;
  const parts = await Promise.all([read(first), ...others.map(read)]);
  const [reference] = parts;
  checkPartSet(parts, foreignField, (code, message, path) => new VerificationError(code, message, path === undefined ? {} : { path }), {
    foreign: 'the same verification',
    missing: () => 'the artifact is not verified until every part is',
  });
  const authenticated = await authenticateNamedSignature(parts, options);
  return mergeVerifyParts(parts, authenticated.signed(reference.part), authenticated.signer);
}

interface AuthenticatedSignature {
  readonly signer: Signer;
  /** The signed manifest, read as the part that names it would have (its signature file's place decides a pre-1.0.1 bundle's ignore paths). */
  readonly signed: (part: VerifyPartJson) => SignedManifest;
}

/**
 * Reads the bundle the parts verified (`--signature`, else the first of the paths they name that
 * exists here), requires its bytes to be the ones they name (`bundleDigest`), and authenticates it
 * with the merge's trust. Parts are files from other machines: what they claim about the
 * signature, its signer and its manifest is checked against this, never believed.
 */
async function authenticateNamedSignature(parts: readonly SourcedVerifyPart[], options: MergeVerifyOptions): Promise<AuthenticatedSignature> {
  const [reference] = parts;
  if (reference === undefined) throw new VerificationError('PART_MISSING', 'no part to merge');
  const candidates = options.signaturePath === undefined ? [...new Set(parts.map(({ part }) => part.signaturePath))] : [resolve(options.signaturePath)];
  for (const signaturePath of candidates) {
    let bytes: Buffer;
    try {
      bytes = await readBounded(signaturePath, { maxBytes: MAX_BUNDLE_BYTES, kind: 'BUNDLE', what: 'signature' });
    } catch (error) {
      if (options.signaturePath === undefined && isAiprovError(error) && error.code === 'FILE_NOT_FOUND') continue;
      throw error;
    }
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (digest !== reference.part.bundleDigest) {
      throw new VerificationError('PART_FOREIGN', `${signaturePath} is not the bundle the parts verified: its bytes are ${digest}, the parts name ${reference.part.bundleDigest}`, { path: signaturePath });
    }
    const { payload, signer } = authenticateDsseBundle(parseBundle(bytes, signaturePath), options.trust, options.now ?? new Date());
    const statement = parseStatement(payload);
    return {
      signer,
      signed: (part) => {
        const inside = pathInsideArtifact(part.artifactPath, part.signaturePath);
        return manifestFromStatement(statement, inside === undefined ? [] : [inside]);
      },
    };
  }
  throw new IOError('FILE_NOT_FOUND', `none of the signatures the parts name is here (${candidates.join(', ')}): pass the bundle they verified with --signature`, { path: reference.part.signaturePath });
}

/**
 * Merges the results of `verify --partition K/N` against the signature the merge authenticated.
 * Anything that keeps the parts from being one whole verification of that signature is a failed
 * verification (exit 1), never a pass: PART_FOREIGN (another bundle, root, serialization, signer
 * or N: every part must verify the same bundle bytes with the same trust; or a name, root,
 * serialization or resource count other than the authenticated signature's), PART_DUPLICATE,
 * PART_MISSING, PART_OVERLAP (a resource checked twice), and PARTS_UNION_MISMATCH (the checked
 * resources are not exactly the signed ones: a name or digest the signature does not list, their
 * count, or the root rebuilt from them). A part that failed makes the result `verified: false`,
 * with that part's findings.
 */
function mergeVerifyParts(parts: readonly [SourcedVerifyPart, ...SourcedVerifyPart[]], signed: SignedManifest, signer: Signer): MergedVerification {
  const [first] = parts;
  const reference = first.part;
  const count = reference.partition.count;
  const signedRoot = `sha256:${signed.rootDigest}`;
  const signedDigests = new Map(signed.resources.map((resource) => [resource.name, resource.digest]));
  for (const { source, part } of parts) {
    const differs = signedFieldDiffering(part, signed, signedRoot);
    if (differs !== undefined) throw new VerificationError('PART_FOREIGN', `${source} does not describe the signature the merge authenticated: its ${differs}`, { path: source });
  }

  const checkedBy = new Map<string, string>();
  const algorithm = resourceAlgorithm(reference.serialization);
  const union: Resource[] = [];
  for (const { source, part } of parts) {
    for (const resource of part.checkedResources) {
      const other = checkedBy.get(resource.name);
      if (other !== undefined) throw new VerificationError('PART_OVERLAP', `${JSON.stringify(resource.name)} was checked by both ${other} and ${source}`, { path: resource.name });
      checkedBy.set(resource.name, source);
      const signedDigest = signedDigests.get(resource.name);
      if (signedDigest !== resource.digest) {
        throw new VerificationError('PARTS_UNION_MISMATCH', `${source} claims ${JSON.stringify(resource.name)} with digest ${resource.digest}; the signature ${signedDigest === undefined ? 'does not list it' : `lists ${signedDigest}`}`, { path: resource.name });
      }
      union.push({ name: resource.name, algorithm, digest: resource.digest });
    }
  }
  union.sort(compareResources(reference.serialization.method));
  const root = `sha256:${computeRootDigest(union)}`;
  if (union.length !== signed.resources.length || root !== signedRoot) {
    throw new VerificationError('PARTS_UNION_MISMATCH', `the parts checked ${String(union.length)} resources with root ${root}; the signature lists ${String(signed.resources.length)} with root ${signedRoot}`);
  }

  const ordered = [...parts].sort((a, b) => a.part.partition.index - b.part.partition.index);
  const each = (pick: (diff: ManifestDiff) => readonly string[]): string[] => [...new Set(ordered.flatMap(({ part }) => pick(part.diff)))].sort(compareResourcePaths);
  const seen = new Set<string>();
  const findings = ordered.flatMap(({ part }) => part.findings).filter((finding) => {
    const key = JSON.stringify([finding.code, finding.severity, finding.category, finding.path, finding.fields]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return {
    verified: ordered.every(({ part }) => part.passed),
    name: signed.name,
    rootDigest: signedRoot,
    bundleDigest: reference.bundleDigest,
    predicateType: signed.predicateType,
    serialization: signed.serialization,
    signer,
    resourceCount: signed.resources.length,
    partitionCount: count,
    parts: ordered.map(({ source, part }) => ({ index: part.partition.index, passed: part.passed, source, artifactPath: part.artifactPath, checkedResourceCount: part.checkedResources.length })),
    diff: { extra: each((diff) => diff.extra), missing: each((diff) => diff.missing), changed: each((diff) => diff.changed) },
    findings,
  };
}

function foreignField(reference: VerifyPartJson, part: VerifyPartJson): string | undefined {
  if (part.partition.count !== reference.partition.count) return `part count (${String(part.partition.count)}, not ${String(reference.partition.count)})`;
  if (part.bundleDigest !== reference.bundleDigest) return `bundle (${part.bundleDigest}, not ${reference.bundleDigest})`;
  if (part.rootDigest !== reference.rootDigest || part.resourceCount !== reference.resourceCount) return `signed root (${part.rootDigest}, not ${reference.rootDigest})`;
  if (part.name !== reference.name || part.predicateType !== reference.predicateType || !isDeepStrictEqual(part.serialization, reference.serialization)) return 'signed name, predicate type or serialization';
  if (!isDeepStrictEqual(part.signer, reference.signer)) return 'signer (verify every part with the same trust)';
  return undefined;
}

/** What a part says of the signature that the authenticated signature says otherwise, if anything. */
function signedFieldDiffering(part: VerifyPartJson, signed: SignedManifest, signedRoot: string): string | undefined {
  if (part.rootDigest !== signedRoot) return `root ${part.rootDigest} is not the signed ${signedRoot}`;
  if (part.resourceCount !== signed.resources.length) return `resource count ${String(part.resourceCount)} is not the signed ${String(signed.resources.length)}`;
  if (part.name !== signed.name || part.predicateType !== signed.predicateType) return 'name or predicate type is not the signed one';
  if (!isDeepStrictEqual(part.serialization, signed.serialization)) return 'serialization is not the signed one';
  return undefined;
}
