import { basename, dirname, resolve } from 'node:path';
import { isAiprovError } from '../errors.js';
import { licenseAllowed, type ResolvedPolicy } from '../policy/resolve.js';
import { artifactFiles, KIND_OF_ROLE, type ArtifactRole } from '../format/artifact-kind.js';
import { readAttestations, type StoredAttestation } from '../format/attestation-file.js';
import { parseSignedJson } from '../input/signed-json.js';
import { peekUnverifiedStatement, type BundleJson } from '../format/bundle.js';
import { DATASET_CARD_V1, parseDatasetCardStatement, type DatasetCard } from '../statement/dataset-card.js';
import { parseTrainingProvenance, SLSA_PROVENANCE_V1, type ArtifactDependency, type TrainingProvenance } from '../statement/provenance.js';
import { findingFromError, type Finding } from '../findings.js';
import { authenticateDsseBundle, verifyArtifact, type VerifyArtifactResult } from '../verify/verify-artifact.js';
import { defaultSerialization, type AuthenticatedSerialization } from '../verify/authenticated.js';
import { rehashRootDigest } from '../verify/rehash.js';
import { manifestFromStatement } from '../statement/oms.js';
import { parseStatement } from '../statement/parse.js';
import { bundleKey, EvidenceStore, type SourcedBundle } from './evidence.js';
import { ArtifactLocator } from './locator.js';
import { failure, summarize, withTrustedSigner } from './trusted-signer.js';
import { unusedEvidenceFindings } from './unused-evidence.js';
import type { AttestationSummary, LineageNode, LineageResult, PolicySigner } from './types.js';

export interface VerifyLineageOptions {
  readonly policy: ResolvedPolicy;
  /** Directories where inputs named by the provenance are looked for. */
  readonly searchDirectories?: readonly string[];
  /**
   * Bundles shipped with the model (`--evidence`, read with `readEvidenceFile`): inputs that are
   * not on disk are verified from these, and every line must be used by the verdict.
   */
  readonly evidence?: { readonly source: string; readonly bundles: readonly StoredAttestation[] };
  readonly now?: Date;
}

interface VerifiedAttestation<T> {
  readonly value: T;
  readonly signedBy: PolicySigner;
  readonly bundle: BundleJson;
}

/**
 * Verifies every attestation of one predicate type among those stored for an artifact (its
 * attestations file, and evidence about its digest) and keeps those about this artifact (by root
 * digest). An attestation about another digest is not silently skipped when nothing else matches:
 * it is reported as a subject mismatch.
 */
async function verifiedAttestations<T>(
  stored: readonly SourcedBundle[],
  predicateType: string,
  rootDigest: string,
  role: ArtifactRole,
  run: Run,
  parse: (statement: unknown) => { value: T; subjectDigest: string },
  findings: Finding[],
): Promise<VerifiedAttestation<T>[]> {
  const matching: VerifiedAttestation<T>[] = [];
  const otherSubjects: string[] = [];
  for (const { where, bundle } of stored) {
    // Only look at bundles declaring this predicate type; which ones do is not trusted yet.
    if (peekUnverifiedStatement(bundle)?.predicateType !== predicateType) continue;
    const attempt = await withTrustedSigner(role, run.options.policy, `attestation ${where}`, (trust) => Promise.resolve(authenticateDsseBundle(bundle, trust, run.now)));
    if (!attempt.ok) {
      findings.push(attempt.finding);
      continue;
    }
    let parsed: { value: T; subjectDigest: string };
    try {
      parsed = parse(parseSignedJson(attempt.value.payload, `attestation ${where}`));
    } catch (error) {
      if (!isAiprovError(error)) throw error;
      findings.push({ ...findingFromError(error, `attestation ${where}`), category: 'verification' });
      continue;
    }
    if (parsed.subjectDigest !== rootDigest) {
      otherSubjects.push(`${where} names sha256:${parsed.subjectDigest}`);
      continue;
    }
    matching.push({ value: parsed.value, signedBy: summarize(attempt.signerName, attempt.value.signer), bundle });
  }
  if (matching.length === 0 && otherSubjects.length > 0) {
    findings.push(failure('ATTESTATION_SUBJECT_MISMATCH', 'verification', { value: predicateType, digest: `sha256:${rootDigest}`, values: otherSubjects }));
  }
  return matching;
}

interface NodeInput {
  readonly role: ArtifactRole;
  /** Where the artifact is on disk; undefined when it is verified from evidence alone. */
  readonly path?: string;
  readonly name: string;
  /** The digest the parent's provenance names; undefined for the top model. */
  readonly expectedDigest?: string;
  readonly depth: number;
  /** Digests of the models on the path from the top, to stop base-model cycles. */
  readonly ancestors: readonly string[];
}

/** One verification run: its options, reference time, where inputs are found, and what each node rested on. */
interface Run {
  readonly options: VerifyLineageOptions;
  readonly now: Date;
  readonly locator: ArtifactLocator;
  readonly evidence: EvidenceStore | undefined;
  /** The bundles each node's verdict rested on (kept beside the node: they are not part of its report). */
  readonly restedOn: WeakMap<LineageNode, readonly BundleJson[]>;
  /** How the top model was re-hashed, once its signature verified. */
  verifiedWith?: { readonly serialization: AuthenticatedSerialization; readonly resourcesDigest: string };
  /**
   * Nodes on disk with no signature file whose content the evidence signature about them does
   * not match: the signature is genuine, the folder is not what it signed.
   */
  readonly notCoveredByEvidence: WeakSet<LineageNode>;
}

/**
 * Verifies a model's whole lineage against a policy: the model's signature, its training
 * provenance, and every input it names (recipe, datasets, base model, recursively), each by
 * digest and each against its role's signers and rules. Inputs are found on disk (`--search`) or,
 * on a host that has only the model, in its evidence. The result is data: one node per artifact
 * with its verified signer, digest, attestations and findings, and the bundles the verdict rests on.
 */
export async function verifyLineage(modelPath: string, options: VerifyLineageOptions): Promise<LineageResult> {
  const run: Run = {
    options,
    now: options.now ?? new Date(),
    locator: new ArtifactLocator(options.searchDirectories ?? []),
    evidence: options.evidence === undefined ? undefined : new EvidenceStore(options.evidence.source, options.evidence.bundles),
    restedOn: new WeakMap(),
    notCoveredByEvidence: new WeakSet(),
  };
  let root = await verifyNode({ role: 'model', path: modelPath, name: basename(resolve(modelPath)), depth: 0, ancestors: [] }, run);
  const nodes = flatten(root);
  const evidence = uniqueBundles(nodes.flatMap((node) => run.restedOn.get(node) ?? []));
  if (run.evidence !== undefined) {
    const unused = run.evidence.unused(new Set(evidence.map(bundleKey)));
    const failedAlready = nodes.some((node) => node.findings.some((finding) => finding.severity === 'error'));
    root = { ...root, findings: [...root.findings, ...unusedEvidenceFindings(run.evidence.source, unused, options.policy, run.now, failedAlready)] };
  }
  const errors = flatten(root).flatMap((node) => node.findings).filter((finding) => finding.severity === 'error');
  const verdict = errors.some((finding) => finding.category !== 'policy') ? 'failed' : errors.length > 0 ? 'denied' : 'verified';
  return { verdict, root, evidence, ...(run.verifiedWith === undefined ? {} : { verifiedWith: run.verifiedWith }) };
}

function flatten(node: LineageNode): LineageNode[] {
  return [node, ...node.children.flatMap(flatten)];
}

function uniqueBundles(bundles: readonly BundleJson[]): BundleJson[] {
  const seen = new Set<string>();
  return bundles.filter((bundle) => {
    const key = bundleKey(bundle);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** What establishing a node's own signature yields: its digest and signer, or a finished (failed) node. */
type Established =
  | { readonly done: true; readonly node: LineageNode }
  | {
      readonly done: false;
      readonly node: Omit<LineageNode, 'attestations' | 'findings' | 'children'>;
      readonly rootDigest: string;
      readonly signature: BundleJson;
      /** The node's stored attestations: its attestations file and evidence about its digest. */
      readonly stored: readonly SourcedBundle[];
      /** Where `file:` URIs of its provenance are resolved from. */
      readonly directory: string | undefined;
      /** On disk without a signature file, and its files differ from the evidence signature about it. */
      readonly notCoveredByEvidence?: boolean;
    };

async function verifyNode(input: NodeInput, run: Run): Promise<LineageNode> {
  const findings: Finding[] = [];
  const established = input.path === undefined ? await establishFromEvidence(input, run, findings) : await establishFromDisk(input, input.path, run, findings);
  if (established.done) return established.node;
  const { node, rootDigest, stored } = established;
  const { role } = input;
  const attestations: AttestationSummary[] = [];
  const restedOn: BundleJson[] = [established.signature];
  const finish = (result: LineageNode): LineageNode => {
    run.restedOn.set(result, restedOn);
    if (established.notCoveredByEvidence === true) run.notCoveredByEvidence.add(result);
    return result;
  };

  // 2. The digest link: the parent's provenance must name exactly what was signed.
  if (input.expectedDigest !== undefined && input.expectedDigest !== rootDigest) {
    findings.push(failure('DIGEST_LINK_MISMATCH', 'verification', { subject: input.name, expectedDigest: `sha256:${input.expectedDigest}`, digest: `sha256:${rootDigest}` }));
  }
  const rolePolicy = run.options.policy.roles[role];

  // 3. Dataset card: licence and forbidden content.
  if (role === 'dataset') {
    const errorsBefore = findings.length;
    const cards = await verifiedAttestations<DatasetCard>(stored, DATASET_CARD_V1, rootDigest, role, run, (statement) => {
      const parsed = parseDatasetCardStatement(statement);
      return { value: parsed.card, subjectDigest: parsed.dataset.rootDigest };
    }, findings);
    // Every trusted card about this digest counts: with the first one winning, whoever ships the
    // (unsigned) attestations file could choose the verdict by reordering its lines.
    const card = cards[0];
    if (cards.some((other) => JSON.stringify(other.value) !== JSON.stringify(card?.value))) {
      findings.push(failure('DATASET_CARD_CONFLICT', 'verification', { subject: `the dataset ${input.name}`, count: cards.length }));
      return finish({ ...node, attestations, findings, children: [] });
    }
    if (card === undefined) {
      // A card that failed verification was already reported; "missing" would only repeat it.
      const required = rolePolicy.requireAttestations.includes('dataset-card') || rolePolicy.allowedLicenses !== undefined || rolePolicy.forbid.length > 0;
      if (required && findings.length === errorsBefore) {
        findings.push(failure('MISSING_DATASET_CARD', 'policy', { subject: `the dataset ${input.name}` }));
      }
      return finish({ ...node, attestations, findings, children: [] });
    }
    restedOn.push(...cards.map(({ bundle }) => bundle));
    attestations.push({ predicateType: DATASET_CARD_V1, signedBy: card.signedBy, details: { license: card.value.license } });
    if (rolePolicy.allowedLicenses !== undefined && !licenseAllowed(card.value.license, rolePolicy.allowedLicenses)) {
      findings.push(failure('LICENSE_NOT_ALLOWED', 'policy', { subject: `the dataset ${input.name}`, value: card.value.license, values: rolePolicy.allowedLicenses }));
    }
    if (rolePolicy.forbid.includes('sensitive-personal-information') && card.value.hasSensitivePersonalInformation !== 'no') {
      findings.push(failure('FORBIDDEN_DATA', 'policy', { subject: `the dataset ${input.name}`, value: card.value.hasSensitivePersonalInformation ?? 'not stated' }));
    }
    return finish({
      ...node,
      card: { license: card.value.license, ...(card.value.version === undefined ? {} : { version: card.value.version }), ...(card.value.description === undefined ? {} : { description: card.value.description }), ...(card.value.hasSensitivePersonalInformation === undefined ? {} : { hasSensitivePersonalInformation: card.value.hasSensitivePersonalInformation }) },
      attestations,
      findings,
      children: [],
    });
  }
  if (role === 'recipe') return finish({ ...node, attestations, findings, children: [] });

  // 4. Models: training provenance, its builder, and every input it names.
  if (input.ancestors.includes(rootDigest)) {
    findings.push(failure('BASE_MODEL_CYCLE', 'verification', { subject: input.name, digest: `sha256:${rootDigest}` }));
    return finish({ ...node, attestations, findings, children: [] });
  }
  const errorsBefore = findings.length;
  const provenances = await verifiedAttestations<TrainingProvenance>(stored, SLSA_PROVENANCE_V1, rootDigest, role, run, (statement) => {
    const parsed = parseTrainingProvenance(statement);
    return { value: parsed, subjectDigest: parsed.model.rootDigest };
  }, findings);
  const [provenance, ...others] = provenances;
  if (provenance === undefined) {
    if (rolePolicy.requireAttestations.includes('training-provenance') && findings.length === errorsBefore) {
      findings.push(failure('MISSING_PROVENANCE', 'policy', { subject: `the ${role} ${input.name}` }));
    }
    return finish({ ...node, attestations, findings, children: [] });
  }
  // Two signed accounts of one training run that name different inputs cannot both be true.
  const conflicting = others.find((other) => provenanceFingerprint(other.value) !== provenanceFingerprint(provenance.value));
  if (conflicting !== undefined) {
    findings.push(failure('PROVENANCE_CONFLICT', 'verification', { subject: input.name }));
    return finish({ ...node, attestations, findings, children: [] });
  }
  restedOn.push(...provenances.map(({ bundle }) => bundle));
  const training = provenance.value;
  attestations.push({ predicateType: SLSA_PROVENANCE_V1, signedBy: provenance.signedBy, details: { builderId: training.builderId } });
  if (rolePolicy.builderIds !== undefined && !rolePolicy.builderIds.includes(training.builderId)) {
    findings.push(failure('BUILDER_NOT_ALLOWED', 'policy', { subject: input.name, value: training.builderId, values: rolePolicy.builderIds }));
  }

  const children: LineageNode[] = [];
  const inputs: { dependency: ArtifactDependency; role: ArtifactRole }[] = [
    { dependency: training.recipe, role: 'recipe' },
    ...training.datasets.map((dependency) => ({ dependency, role: 'dataset' as const })),
    ...training.baseModels.map((dependency) => ({ dependency, role: 'base-model' as const })),
  ];
  for (const { dependency, role: childRole } of inputs) {
    if (childRole === 'base-model' && input.depth + 1 > run.options.policy.roles['base-model'].maxDepth) {
      findings.push(failure('LINEAGE_TOO_DEEP', 'policy', { subject: dependency.name, count: input.depth + 1, limit: run.options.policy.roles['base-model'].maxDepth }));
      continue;
    }
    children.push(await verifyDependency(dependency, childRole, { ...input, depth: input.depth + 1, ancestors: [...input.ancestors, rootDigest] }, established.directory, run));
  }
  return finish({
    ...node,
    provenance: {
      builderId: training.builderId,
      buildType: training.statement.predicate.buildDefinition.buildType,
      ...(training.invocationId === undefined ? {} : { invocationId: training.invocationId }),
      ...(training.startedOn === undefined ? {} : { startedOn: training.startedOn }),
      ...(training.finishedOn === undefined ? {} : { finishedOn: training.finishedOn }),
    },
    attestations,
    findings,
    children,
  });
}

/**
 * 1. An artifact on disk: its own signature (its signature file, or — when there is none — a
 * signature from the evidence), by a signer its role trusts, and its content re-hashed.
 */
async function establishFromDisk(input: NodeInput, path: string, run: Run, findings: Finding[]): Promise<Established> {
  const { role } = input;
  const kind = KIND_OF_ROLE[role];
  const base = { id: `${role}:${input.expectedDigest ?? path}`, role, name: input.name, path: resolve(path), verifiedFrom: 'disk' as const };
  const files = await artifactFiles(path, kind);
  const verifyWith = (bundle?: BundleJson) =>
    withTrustedSigner(role, run.options.policy, `the ${role} ${input.name}`, (trust) => verifyArtifact(path, { trust, kind, now: run.now, ...(bundle === undefined ? {} : { bundle }) }));
  let signature = await verifyWith();
  let changedSinceEvidence = false;
  if (!signature.ok && signature.finding.code === 'FILE_NOT_FOUND' && run.evidence !== undefined) {
    // No signature file beside it: a signature in the evidence may cover it (it is still re-hashed).
    const candidates = input.expectedDigest === undefined ? run.evidence.signatures() : run.evidence.signaturesOf(input.expectedDigest);
    let changed: Awaited<ReturnType<typeof verifyWith>> | undefined;
    for (const candidate of candidates) {
      const attempt = await verifyWith(candidate.bundle);
      if (attempt.ok && attempt.value.verified) {
        signature = attempt;
        changed = undefined;
        break;
      }
      // Authentic and about this artifact (the digest its parent names or, for the top model, its
      // name), but the files differ: that is a failed verification, not an unsigned artifact.
      if (attempt.ok && (input.expectedDigest !== undefined || attempt.value.name === input.name)) changed ??= attempt;
    }
    if (changed !== undefined) {
      signature = changed;
      changedSinceEvidence = true;
    }
  }
  if (!signature.ok) {
    if (signature.finding.code !== 'FILE_NOT_FOUND') {
      findings.push(signature.finding);
      return { done: true, node: { ...base, digest: `sha256:${input.expectedDigest ?? 'unknown'}`, attestations: [], findings, children: [] } };
    }
    // Unsigned: hash it anyway, so the report says whether it is at least the named content. With
    // aiprov's defaults: no signature was authenticated, so none may choose what is hashed.
    const { rootDigest } = await rehashRootDigest(path, await defaultSerialization(path, kind));
    findings.push(failure('UNSIGNED_ARTIFACT', 'policy', { subject: `the ${role} ${input.name}`, digest: `sha256:${rootDigest}`, value: basename(files.signaturePath) }));
    return { done: true, node: { ...base, digest: `sha256:${rootDigest}`, attestations: [], findings, children: [] } };
  }
  const verified: VerifyArtifactResult = signature.value;
  if (input.depth === 0 && input.role === 'model') run.verifiedWith = { serialization: verified.verifiedWith, resourcesDigest: verified.resourcesDigest };
  // "attestations found: `verify lineage` verifies them" is for plain `verify`; here they are.
  findings.push(...verified.findings.filter((finding) => finding.code !== 'ATTESTATIONS_FOUND').map((finding) => (finding.severity === 'error' ? { ...finding, category: 'verification' as const } : finding)));
  const rootDigest = verified.signedRootDigest;
  let fileAttestations: SourcedBundle[];
  try {
    fileAttestations = (await readAttestations(files.attestationsPath)).map(({ line, bundle }) => ({ where: `${basename(files.attestationsPath)}:${String(line)}`, bundle }));
  } catch (error) {
    if (!isAiprovError(error)) throw error;
    findings.push({ ...findingFromError(error), category: 'verification', path: basename(files.attestationsPath) });
    fileAttestations = [];
  }
  return {
    done: false,
    node: { ...base, id: `${role}:sha256:${rootDigest}`, digest: `sha256:${rootDigest}`, signedBy: summarize(signature.signerName, verified.signer) },
    rootDigest,
    signature: verified.bundle,
    stored: withEvidenceAbout(fileAttestations, rootDigest, run),
    directory: dirname(resolve(path)),
    notCoveredByEvidence: changedSinceEvidence,
  };
}

/**
 * 1. An input that is not on disk: its signature from the evidence, authenticated against the
 * signers its role trusts, committing to exactly the digest the verified provenance names. Its
 * content cannot be re-hashed here: the signer's word for its digest is what the policy trusts.
 */
async function establishFromEvidence(input: NodeInput, run: Run, findings: Finding[]): Promise<Established> {
  const { role } = input;
  const expected = input.expectedDigest ?? '';
  const base = { id: `${role}:sha256:${expected}`, role, name: input.name, digest: `sha256:${expected}`, verifiedFrom: 'evidence' as const };
  const claimingDigest = run.evidence?.signaturesOf(expected) ?? [];
  // Signatures that name this input with another digest: tried after the others, so that a
  // forgery or a second account is examined (and fails) rather than left unread.
  const otherAccounts = run.evidence?.otherSignaturesNamed(input.name, expected) ?? [];
  if (claimingDigest.length === 0 && otherAccounts.length === 0) {
    findings.push(failure('EVIDENCE_MISSING', 'policy', { subject: `the ${role} ${input.name}`, digest: `sha256:${expected}`, ...(run.evidence === undefined ? {} : { value: run.evidence.source }) }));
    return { done: true, node: { ...base, attestations: [], findings, children: [] } };
  }
  let lastFailure: Finding | undefined;
  for (const candidate of [...claimingDigest, ...otherAccounts]) {
    const attempt = await withTrustedSigner(role, run.options.policy, `the ${role} ${input.name} (${candidate.where})`, (trust) => Promise.resolve(authenticateDsseBundle(candidate.bundle, trust, run.now)));
    if (!attempt.ok) {
      lastFailure = attempt.finding;
      continue;
    }
    let rootDigest: string;
    try {
      rootDigest = manifestFromStatement(parseStatement(attempt.value.payload), []).rootDigest;
    } catch (error) {
      if (!isAiprovError(error)) throw error;
      lastFailure = { ...findingFromError(error, candidate.where), category: 'verification' };
      continue;
    }
    if (otherAccounts.length > 0) {
      // Two signatures for one input that name different digests cannot both describe it.
      findings.push(failure('EVIDENCE_CONFLICT', 'verification', { subject: `the ${role} ${input.name}`, digest: `sha256:${expected}`, values: otherAccounts.map(({ where }) => where) }));
    }
    return {
      done: false,
      node: { ...base, id: `${role}:sha256:${rootDigest}`, digest: `sha256:${rootDigest}`, signedBy: summarize(attempt.signerName, attempt.value.signer) },
      rootDigest,
      signature: candidate.bundle,
      stored: withEvidenceAbout([], rootDigest, run),
      directory: undefined,
    };
  }
  if (lastFailure !== undefined) findings.push(lastFailure);
  return { done: true, node: { ...base, attestations: [], findings, children: [] } };
}

/** An artifact's stored attestations, and the evidence's about its digest (each bundle once). */
function withEvidenceAbout(stored: readonly SourcedBundle[], rootDigest: string, run: Run): SourcedBundle[] {
  const keys = new Set(stored.map(({ bundle }) => bundleKey(bundle)));
  return [...stored, ...(run.evidence?.attestationsAbout(rootDigest) ?? []).filter(({ bundle }) => !keys.has(bundleKey(bundle)))];
}

function provenanceFingerprint(provenance: TrainingProvenance): string {
  return JSON.stringify([provenance.builderId, provenance.dependencies]);
}

/**
 * Finds a dependency on disk (the candidate whose signature covers its digest) and verifies it;
 * failing that, verifies it from the evidence, unless its role must be re-hashed from disk.
 *
 * A folder found by name is only a guess at the input. One that is not it must not decide the
 * verdict when the evidence holds the input's signature and the role may be verified from the
 * evidence: an unsigned folder, one whose files no signature in the evidence covers, and one
 * signed (genuinely, else the candidate failed and is reported) for another digest, which is
 * another version, not a forgery of this one. A folder whose own signature names the input's
 * digest is the input, and a changed file in it fails the verification.
 */
async function verifyDependency(dependency: ArtifactDependency, role: ArtifactRole, parent: NodeInput, parentDirectory: string | undefined, run: Run): Promise<LineageNode> {
  const candidates = parentDirectory === undefined ? await run.locator.candidatesByDigest(dependency) : await run.locator.candidates(dependency, parentDirectory);
  const child = { role, name: dependency.name, expectedDigest: dependency.rootDigest, depth: parent.depth, ancestors: parent.ancestors };
  let fallback: LineageNode | undefined;
  for (const candidate of candidates) {
    // A candidate that cannot be read or walked (gone, a link loop) is not the input: try the next.
    const node = await verifyNode({ ...child, path: candidate }, run).catch((error: unknown) => {
      if (isAiprovError(error) && (error.category === 'io' || error.category === 'input')) return undefined;
      throw error;
    });
    if (node === undefined) continue;
    if (node.digest === `sha256:${dependency.rootDigest}` && !isUnsigned(node) && !run.notCoveredByEvidence.has(node)) return node;
    fallback ??= node;
  }
  const fromEvidence = run.evidence !== undefined && !run.options.policy.roles[role].requireOnDisk;
  const evidenceSignsIt = fromEvidence && run.evidence.signaturesOf(dependency.rootDigest).length > 0;
  if (fallback !== undefined && !evidenceSignsIt) return fallback;
  if (fromEvidence) return verifyNode(child, run);
  return {
    id: `${role}:sha256:${dependency.rootDigest}`,
    role,
    name: dependency.name,
    digest: `sha256:${dependency.rootDigest}`,
    attestations: [],
    findings: [failure('INPUT_NOT_FOUND', 'policy', { subject: `the ${role} ${dependency.name}`, digest: `sha256:${dependency.rootDigest}`, ...(dependency.uri === undefined ? {} : { value: dependency.uri }) })],
    children: [],
  };
}

/** A candidate with no signature at all (hashed only to say what it holds). */
function isUnsigned(node: LineageNode): boolean {
  return node.findings.some((finding) => finding.code === 'UNSIGNED_ARTIFACT');
}
