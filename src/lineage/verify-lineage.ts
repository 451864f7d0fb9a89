import { readdir } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AiprovError, isAiprovError, type ErrorCode } from '../errors.js';
import { licenseAllowed, type ResolvedPolicy, type ResolvedSigner } from '../policy/resolve.js';
import { artifactFiles, KIND_OF_ROLE, type ArtifactRole } from '../format/artifact-kind.js';
import { identifyArtifact } from '../sign/attest.js';
import { readAttestations } from '../format/attestation-file.js';
import { peekUnverifiedStatement, readBundleFile } from '../format/bundle.js';
import { DATASET_CARD_V1, parseDatasetCardStatement, type DatasetCard } from '../statement/dataset-card.js';
import { parseTrainingProvenance, SLSA_PROVENANCE_V1, type ArtifactDependency, type TrainingProvenance } from '../statement/provenance.js';
import { findingFromError, type Finding, type FindingCode, type FindingFields } from '../findings.js';
import type { Signer } from '../verify/signer.js';
import { authenticateDsseBundle, verifyArtifact, type ArtifactTrust, type VerifyArtifactResult } from '../verify/verify-artifact.js';
import type { AttestationSummary, LineageNode, LineageResult, PolicySigner } from './types.js';

/**
 * Codes that mean "this signer is not the one who signed", as opposed to "the signature is bad".
 * When every trusted signer fails with one of these, the artifact is authentic to nobody we
 * trust: a policy denial (exit 3), not a forgery (exit 1).
 */
const NOT_THIS_SIGNER = new Set<ErrorCode>([
  'KEY_MISMATCH',
  'VERIFICATION_MATERIAL_MISMATCH',
  'CERTIFICATE_CHAIN_INVALID',
  'IDENTITY_MISMATCH',
  'ISSUER_MISMATCH',
  'CERTIFICATE_EXTENSION_MISMATCH',
]);

/** How deep search directories are scanned for artifacts (a dataset store is rarely deeper). */
const SEARCH_DEPTH = 3;

export interface VerifyLineageOptions {
  readonly policy: ResolvedPolicy;
  /** Directories where inputs named by the provenance are looked for. */
  readonly searchDirectories?: readonly string[];
  readonly now?: Date;
}

/** A finding that makes the lineage fail (tampered, forged) or be denied (policy). */
function failure(code: FindingCode, category: 'verification' | 'policy', fields: FindingFields, path?: string): Finding {
  return { code, severity: 'error', category, fields, ...(path === undefined ? {} : { path }) };
}

function summarize(name: string, signer: Signer): PolicySigner {
  return { name, signer };
}

/** The trust each policy signer stands for (a keyless signer once per trusted Sigstore root). */
function trustsOf(signer: ResolvedSigner, policy: ResolvedPolicy): ArtifactTrust[] {
  switch (signer.kind) {
    case 'key':
      return [{ kind: 'key', publicKey: signer.publicKey }];
    case 'certificate':
      return [{ kind: 'certificate', trustedCertificates: signer.trustedCertificates }];
    case 'keyless':
      return policy.trustRoots.map((trustRoot) => ({ kind: 'sigstore', trustRoot, identity: signer.identity }));
  }
}

type Attempt<T> = { readonly ok: true; readonly value: T; readonly signerName: string } | { readonly ok: false; readonly finding: Finding };

/**
 * Tries every signer the role trusts. The first that authenticates wins. If none does, the
 * outcome is a denial when every failure only says "not this signer", and otherwise the most
 * telling failure (a bad signature, a tampered tlog entry) as a verification failure.
 */
async function withTrustedSigner<T>(role: ArtifactRole, policy: ResolvedPolicy, what: string, attempt: (trust: ArtifactTrust) => Promise<T>): Promise<Attempt<T>> {
  const names = policy.roles[role].signers;
  if (names.length === 0) return { ok: false, finding: failure('ROLE_HAS_NO_SIGNERS', 'policy', { subject: what, value: role }) };
  const failures: AiprovError[] = [];
  for (const name of names) {
    const signer = policy.signers.get(name);
    if (signer === undefined) continue;
    for (const trust of trustsOf(signer, policy)) {
      try {
        return { ok: true, value: await attempt(trust), signerName: name };
      } catch (error) {
        if (!isAiprovError(error)) throw error;
        failures.push(error);
      }
    }
  }
  const decisive = failures.find((error) => !NOT_THIS_SIGNER.has(error.code) && error.category !== 'policy');
  if (decisive !== undefined) {
    return { ok: false, finding: findingFromError(decisive, what) };
  }
  return { ok: false, finding: failure('UNTRUSTED_SIGNER', 'policy', { subject: what, value: role, values: names }) };
}

interface VerifiedAttestation<T> {
  readonly value: T;
  readonly signedBy: PolicySigner;
}

/**
 * Verifies every attestation of one predicate type in an artifact's attestations file and keeps
 * those about this artifact (by root digest). An attestation about another digest is not silently
 * skipped when nothing else matches: it is reported as a subject mismatch.
 */
async function verifiedAttestations<T>(
  attestationsPath: string,
  predicateType: string,
  rootDigest: string,
  role: ArtifactRole,
  options: VerifyLineageOptions,
  parse: (statement: unknown) => { value: T; subjectDigest: string },
  findings: Finding[],
): Promise<VerifiedAttestation<T>[]> {
  let stored;
  try {
    stored = await readAttestations(attestationsPath);
  } catch (error) {
    if (!isAiprovError(error)) throw error;
    findings.push({ ...findingFromError(error), category: 'verification', path: basename(attestationsPath) });
    return [];
  }
  const matching: VerifiedAttestation<T>[] = [];
  const otherSubjects: string[] = [];
  for (const { line, bundle } of stored) {
    // Only look at bundles declaring this predicate type; which ones do is not trusted yet.
    if (peekUnverifiedStatement(bundle)?.predicateType !== predicateType) continue;
    const where = `${basename(attestationsPath)}:${String(line)}`;
    const attempt = await withTrustedSigner(role, options.policy, `attestation ${where}`, (trust) => Promise.resolve(authenticateDsseBundle(bundle, trust, options.now ?? new Date())));
    if (!attempt.ok) {
      findings.push(attempt.finding);
      continue;
    }
    let parsed: { value: T; subjectDigest: string };
    try {
      parsed = parse(JSON.parse(attempt.value.payload.toString('utf8')));
    } catch (error) {
      if (!isAiprovError(error)) throw error;
      findings.push({ ...findingFromError(error, `attestation ${where}`), category: 'verification' });
      continue;
    }
    if (parsed.subjectDigest !== rootDigest) {
      otherSubjects.push(`${where} names sha256:${parsed.subjectDigest}`);
      continue;
    }
    matching.push({ value: parsed.value, signedBy: summarize(attempt.signerName, attempt.value.signer) });
  }
  if (matching.length === 0 && otherSubjects.length > 0) {
    findings.push(failure('ATTESTATION_SUBJECT_MISMATCH', 'verification', { value: predicateType, digest: `sha256:${rootDigest}`, values: otherSubjects }));
  }
  return matching;
}

/** Index of signed artifacts under the search directories, by the root digest their signature claims. */
class ArtifactLocator {
  private index: Map<string, string[]> | undefined;

  constructor(private readonly searchDirectories: readonly string[]) {}

  /** Candidate paths for a dependency: its `file:` URI, then signed artifacts with that digest, then same-named ones. */
  async candidates(dependency: ArtifactDependency, relativeTo: string): Promise<string[]> {
    const found: string[] = [];
    if (dependency.uri?.startsWith('file:') === true) {
      const path = dependency.uri.startsWith('file://') ? fileURLToPath(dependency.uri) : dependency.uri.slice('file:'.length);
      found.push(isAbsolute(path) ? path : resolve(relativeTo, path));
    }
    const index = await this.buildIndex();
    found.push(...(index.get(`digest:${dependency.rootDigest}`) ?? []), ...(index.get(`name:${dependency.name}`) ?? []));
    return [...new Set(found)];
  }

  private async buildIndex(): Promise<Map<string, string[]>> {
    if (this.index !== undefined) return this.index;
    const index = new Map<string, string[]>();
    const add = (key: string, path: string): void => {
      index.set(key, [...(index.get(key) ?? []), path]);
    };
    const visit = async (directory: string, depth: number): Promise<void> => {
      let entries;
      try {
        entries = await readdir(directory, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const path = join(directory, entry.name);
        if (entry.isDirectory()) {
          add(`name:${entry.name}`, path);
          if (depth < SEARCH_DEPTH) await visit(path, depth + 1);
        } else if (entry.isFile() && entry.name.endsWith('.sig')) {
          // `<kind>.sig` signs its directory; `<file>.sig` signs the file beside it.
          const isKindSignature = ['model.sig', 'dataset.sig', 'recipe.sig'].includes(entry.name);
          const artifact = isKindSignature ? directory : path.slice(0, -'.sig'.length);
          const digest = await claimedRootDigest(path);
          if (digest !== undefined) add(`digest:${digest}`, artifact);
          if (!isKindSignature) add(`name:${basename(artifact)}`, artifact);
        }
      }
    };
    for (const directory of this.searchDirectories) await visit(resolve(directory), 0);
    this.index = index;
    return index;
  }
}

/** The subject digest a signature claims, unverified: only used to find candidates. */
async function claimedRootDigest(signaturePath: string): Promise<string | undefined> {
  try {
    return peekUnverifiedStatement(await readBundleFile(signaturePath))?.subjectDigest;
  } catch {
    return undefined;
  }
}

interface NodeInput {
  readonly role: ArtifactRole;
  readonly path: string;
  readonly name: string;
  /** The digest the parent's provenance names; undefined for the top model. */
  readonly expectedDigest?: string;
  readonly depth: number;
  /** Digests of the models on the path from the top, to stop base-model cycles. */
  readonly ancestors: readonly string[];
}

/**
 * Verifies a model's whole lineage against a policy: the model's signature, its training
 * provenance, and every input it names (recipe, datasets, base model, recursively), each by
 * digest and each against its role's signers and rules. The result is data: one node per
 * artifact with its verified signer, digest, attestations and findings.
 */
export async function verifyLineage(modelPath: string, options: VerifyLineageOptions): Promise<LineageResult> {
  const locator = new ArtifactLocator(options.searchDirectories ?? []);
  const root = await verifyNode({ role: 'model', path: modelPath, name: basename(resolve(modelPath)), depth: 0, ancestors: [] }, options, locator);
  const all = flatten(root);
  const errors = all.flatMap((node) => node.findings).filter((finding) => finding.severity === 'error');
  const verdict = errors.some((finding) => finding.category !== 'policy') ? 'failed' : errors.length > 0 ? 'denied' : 'verified';
  return { verdict, root };
}

function flatten(node: LineageNode): LineageNode[] {
  return [node, ...node.children.flatMap(flatten)];
}

async function verifyNode(input: NodeInput, options: VerifyLineageOptions, locator: ArtifactLocator): Promise<LineageNode> {
  const { role, path } = input;
  const kind = KIND_OF_ROLE[role];
  const findings: Finding[] = [];
  const attestations: AttestationSummary[] = [];
  const base = { id: `${role}:${input.expectedDigest ?? path}`, role, name: input.name, path: resolve(path) };

  // 1. The artifact's own signature, by a signer its role trusts, and its content re-hashed.
  const files = await artifactFiles(path, kind);
  const signature = await withTrustedSigner(role, options.policy, `the ${role} ${input.name}`, (trust) =>
    verifyArtifact(path, { trust, kind, ...(options.now === undefined ? {} : { now: options.now }) }),
  );
  if (!signature.ok) {
    if (signature.finding.code !== 'FILE_NOT_FOUND') {
      findings.push(signature.finding);
      return { ...base, digest: `sha256:${input.expectedDigest ?? 'unknown'}`, attestations, findings, children: [] };
    }
    // Unsigned: hash it anyway, so the report says whether it is at least the named content.
    const { rootDigest } = await identifyArtifact(path, kind);
    findings.push(failure('UNSIGNED_ARTIFACT', 'policy', { subject: `the ${role} ${input.name}`, digest: `sha256:${rootDigest}`, value: basename(files.signaturePath) }));
    return { ...base, digest: `sha256:${rootDigest}`, attestations, findings, children: [] };
  }
  const verified: VerifyArtifactResult = signature.value;
  // "attestations found: `verify lineage` verifies them" is for plain `verify`; here they are.
  findings.push(...verified.findings.filter((finding) => finding.code !== 'ATTESTATIONS_FOUND').map((finding) => (finding.severity === 'error' ? { ...finding, category: 'verification' as const } : finding)));
  const rootDigest = verified.signedRootDigest;
  const signedBy = summarize(signature.signerName, verified.signer);
  const node = { ...base, id: `${role}:sha256:${rootDigest}`, digest: `sha256:${rootDigest}`, signedBy };

  // 2. The digest link: the parent's provenance must name exactly what was signed and is on disk.
  if (input.expectedDigest !== undefined && input.expectedDigest !== rootDigest) {
    findings.push(failure('DIGEST_LINK_MISMATCH', 'verification', { subject: input.name, expectedDigest: `sha256:${input.expectedDigest}`, digest: `sha256:${rootDigest}` }));
  }
  const rolePolicy = options.policy.roles[role];

  // 3. Dataset card: licence and forbidden content.
  if (role === 'dataset') {
    const errorsBefore = findings.length;
    const cards = await verifiedAttestations<DatasetCard>(files.attestationsPath, DATASET_CARD_V1, rootDigest, role, options, (statement) => {
      const parsed = parseDatasetCardStatement(statement);
      return { value: parsed.card, subjectDigest: parsed.dataset.rootDigest };
    }, findings);
    // Every trusted card about this digest counts: with the first one winning, whoever ships the
    // (unsigned) attestations file could choose the verdict by reordering its lines.
    const card = cards[0];
    if (cards.some((other) => JSON.stringify(other.value) !== JSON.stringify(card?.value))) {
      findings.push(failure('DATASET_CARD_CONFLICT', 'verification', { subject: `the dataset ${input.name}`, count: cards.length }));
      return { ...node, attestations, findings, children: [] };
    }
    if (card === undefined) {
      // A card that failed verification was already reported; "missing" would only repeat it.
      const required = rolePolicy.requireAttestations.includes('dataset-card') || rolePolicy.allowedLicenses !== undefined || rolePolicy.forbid.length > 0;
      if (required && findings.length === errorsBefore) {
        findings.push(failure('MISSING_DATASET_CARD', 'policy', { subject: `the dataset ${input.name}` }));
      }
      return { ...node, attestations, findings, children: [] };
    }
    attestations.push({ predicateType: DATASET_CARD_V1, signedBy: card.signedBy, details: { license: card.value.license } });
    if (rolePolicy.allowedLicenses !== undefined && !licenseAllowed(card.value.license, rolePolicy.allowedLicenses)) {
      findings.push(failure('LICENSE_NOT_ALLOWED', 'policy', { subject: `the dataset ${input.name}`, value: card.value.license, values: rolePolicy.allowedLicenses }));
    }
    if (rolePolicy.forbid.includes('sensitive-personal-information') && card.value.hasSensitivePersonalInformation !== 'no') {
      findings.push(failure('FORBIDDEN_DATA', 'policy', { subject: `the dataset ${input.name}`, value: card.value.hasSensitivePersonalInformation ?? 'not stated' }));
    }
    return {
      ...node,
      card: { license: card.value.license, ...(card.value.version === undefined ? {} : { version: card.value.version }), ...(card.value.description === undefined ? {} : { description: card.value.description }), ...(card.value.hasSensitivePersonalInformation === undefined ? {} : { hasSensitivePersonalInformation: card.value.hasSensitivePersonalInformation }) },
      attestations,
      findings,
      children: [],
    };
  }
  if (role === 'recipe') return { ...node, attestations, findings, children: [] };

  // 4. Models: training provenance, its builder, and every input it names.
  if (input.ancestors.includes(rootDigest)) {
    findings.push(failure('BASE_MODEL_CYCLE', 'verification', { subject: input.name, digest: `sha256:${rootDigest}` }));
    return { ...node, attestations, findings, children: [] };
  }
  const errorsBefore = findings.length;
  const provenances = await verifiedAttestations<TrainingProvenance>(files.attestationsPath, SLSA_PROVENANCE_V1, rootDigest, role, options, (statement) => {
    const parsed = parseTrainingProvenance(statement);
    return { value: parsed, subjectDigest: parsed.model.rootDigest };
  }, findings);
  const [provenance, ...others] = provenances;
  if (provenance === undefined) {
    if (rolePolicy.requireAttestations.includes('training-provenance') && findings.length === errorsBefore) {
      findings.push(failure('MISSING_PROVENANCE', 'policy', { subject: `the ${role} ${input.name}` }));
    }
    return { ...node, attestations, findings, children: [] };
  }
  // Two signed accounts of one training run that name different inputs cannot both be true.
  const conflicting = others.find((other) => provenanceFingerprint(other.value) !== provenanceFingerprint(provenance.value));
  if (conflicting !== undefined) {
    findings.push(failure('PROVENANCE_CONFLICT', 'verification', { subject: input.name }));
    return { ...node, attestations, findings, children: [] };
  }
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
    if (childRole === 'base-model' && input.depth + 1 > options.policy.roles['base-model'].maxDepth) {
      findings.push(failure('LINEAGE_TOO_DEEP', 'policy', { subject: dependency.name, count: input.depth + 1, limit: options.policy.roles['base-model'].maxDepth }));
      continue;
    }
    children.push(await verifyDependency(dependency, childRole, { ...input, depth: input.depth + 1, ancestors: [...input.ancestors, rootDigest] }, dirname(resolve(path)), options, locator));
  }
  return {
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
  };
}

function provenanceFingerprint(provenance: TrainingProvenance): string {
  return JSON.stringify([provenance.builderId, provenance.dependencies]);
}

/** Finds a dependency on disk (the candidate whose signature covers its digest) and verifies it. */
async function verifyDependency(dependency: ArtifactDependency, role: ArtifactRole, parent: NodeInput, parentDirectory: string, options: VerifyLineageOptions, locator: ArtifactLocator): Promise<LineageNode> {
  const candidates = await locator.candidates(dependency, parentDirectory);
  let fallback: LineageNode | undefined;
  for (const candidate of candidates) {
    // A candidate that cannot be read or walked (gone, a link loop) is not the input: try the next.
    const node = await verifyNode({ role, path: candidate, name: dependency.name, expectedDigest: dependency.rootDigest, depth: parent.depth, ancestors: parent.ancestors }, options, locator).catch((error: unknown) => {
      if (isAiprovError(error) && (error.category === 'io' || error.category === 'input')) return undefined;
      throw error;
    });
    if (node === undefined) continue;
    if (node.digest === `sha256:${dependency.rootDigest}`) return node;
    fallback ??= node;
  }
  if (fallback !== undefined) return fallback;
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
