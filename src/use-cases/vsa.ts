/**
 * Verification Summary Attestations: written once where a model was verified (`--vsa-out`), and
 * checked where it is deployed (`aiprov verify vsa`) against the model's bytes, so a gate reuses a
 * verification it trusts instead of redoing it.
 */
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { IN_TOTO_PAYLOAD_TYPE } from '../statement/statement.js';
import { publicKeyHint } from '../format/keys.js';
import { InputError, isAiprovError, PolicyError, VerificationError } from '../errors.js';
import { ARTIFACT_KINDS, artifactHubBlobs, KIND_METADATA_NAMES, metadataFileState, type ArtifactKind } from '../format/artifact-kind.js';
import { writeFileAtomic } from '../format/atomic-write.js';
import { parseBundle, type BundleJson } from '../format/bundle.js';
import { readBoundedText } from '../input/read-bounded.js';
import { signDssePayload, type SigningMethod } from '../sign/signer.js';
import { parseStatement } from '../statement/parse.js';
import { buildVsaStatement, parseVsaStatement, recordedSerialization, type VsaInput } from '../statement/vsa.js';
import type { Signer } from '../verify/signer.js';
import { authenticateDsseBundle, type ArtifactTrust } from '../verify/verify-artifact.js';
import { readAuthenticated } from '../verify/authenticated.js';
import { rehashManifest } from '../verify/rehash.js';
import { computeResourcesDigest, computeRootDigest, type Serialization } from '../manifest/manifest.js';
import { NOT_THIS_SIGNER } from '../lineage/trusted-signer.js';

/**
 * The verifier id aiprov writes and, unless told otherwise, requires. It names the verifier, not
 * a release: consumers pin (signer, verifier) pairs (VSA v1, `verifier`), and a pin that broke on
 * every upgrade would be turned off. The version goes in `verifier.version`.
 */
export const AIPROV_VERIFIER_ID = 'https://aiprov.dev/verifier';

/** A VSA is one bundle of a few kilobytes. */
const MAX_VSA_BYTES = 4 * 1024 * 1024;
/** A summary dated this far past the verifier's clock is refused (clock skew allowance). */
const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

/**
 * The "policy" of a plain `verify`: the trust it was given (a key, CA certificates, or a keyless
 * identity under a trust root), as a canonical JSON document whose SHA-256 a VSA records, so a
 * gate can require exactly the trust a release verified against (`verify vsa --policy-digest`).
 */
export function trustPolicy(trust: ArtifactTrust): { readonly uri: string; readonly sha256: string } {
  const description =
    trust.kind === 'key'
      ? { kind: 'key', keyHint: publicKeyHint(trust.publicKey) }
      : trust.kind === 'certificate'
        ? { kind: 'certificate', roots: trust.trustedCertificates.map((certificate) => createHash('sha256').update(certificate.raw).digest('hex')).sort() }
        : { kind: 'keyless', identity: trust.identity, trustedRoot: trust.trustRoot.sha256 };
  return { uri: TRUST_POLICY_URI, sha256: createHash('sha256').update(JSON.stringify(description), 'utf8').digest('hex') };
}

/** A bundle as a VSA's `inputAttestations` names it: where it was read, and the SHA-256 of its JSON (one line). */
export function inputAttestation(name: string, bundle: BundleJson): { readonly name: string; readonly sha256: string } {
  return { name: basename(name), sha256: createHash('sha256').update(JSON.stringify(bundle), 'utf8').digest('hex') };
}

/** `policy.uri` of a VSA written by a plain `verify`: the trust flags, described by `trustPolicy`. */
const TRUST_POLICY_URI = 'https://aiprov.dev/policy/verify-trust/v1';

/** Signs a VSA and writes it as one Sigstore bundle line (JSON Lines, like attestation files). */
export async function writeVsa(path: string, input: VsaInput, signingMethod: SigningMethod): Promise<BundleJson> {
  const bundle = await signDssePayload(Buffer.from(JSON.stringify(buildVsaStatement(input)), 'utf8'), IN_TOTO_PAYLOAD_TYPE, signingMethod);
  await writeFileAtomic(path, `${JSON.stringify(bundle)}\n`);
  return bundle;
}

export interface VerifyVsaOptions {
  readonly modelPath: string;
  readonly vsaPath: string;
  /** What the artifact is (default model): a summary about another kind never passes. */
  readonly kind?: ArtifactKind;
  /** Who must have signed the summary. */
  readonly trust: ArtifactTrust;
  /** `sha256:<hex>` (or bare hex) of the policy the summary must have applied. */
  readonly policyDigest?: string;
  /** How old the summary may be. */
  readonly maxAgeMs?: number;
  /** Default `AIPROV_VERIFIER_ID`. */
  readonly verifierId?: string;
  readonly resourceUri?: string;
  /** Levels the summary must assert, each one (slsa-verifier's `--verified-levels`). */
  readonly verifiedLevels?: readonly string[];
  readonly now?: Date;
}

export interface VerifyVsaResult {
  readonly verified: true;
  readonly name: string;
  readonly kind: ArtifactKind;
  /** `sha256:<hex>` of the model, re-hashed here. */
  readonly rootDigest: string;
  /** How it was re-hashed: exactly as the summary records. */
  readonly serialization: Serialization;
  readonly signer: Signer;
  readonly verifier: string;
  readonly timeVerified: string;
  readonly resourceUri: string;
  readonly policy: { readonly uri: string; readonly digest?: string };
  readonly verificationResult: 'PASSED';
  readonly verifiedLevels: readonly string[];
}

/**
 * Checks a VSA for an artifact: authenticated by the trusted signer (1 if forged or altered, 3 if
 * signed by another), PASSED (1), not dated in the future (1), about this kind, and — when asked —
 * for this policy, recent enough, by this verifier, for this resource, at these levels (3); then,
 * last because it is the costly step, about exactly this artifact's bytes (1). The artifact is
 * re-hashed with the serialization the authenticated summary records, or aiprov's defaults for
 * the kind: never with parameters from its own `model.sig`, which anyone who can write the model
 * can write (docs/ARCHITECTURE.md, "Rules that keep it this way").
 */
export async function verifyVsaFile(options: VerifyVsaOptions): Promise<VerifyVsaResult> {
  const now = options.now ?? new Date();
  const kind = options.kind ?? 'model';
  const bundle = parseBundle(Buffer.from(singleLine(await readBoundedText(options.vsaPath, { maxBytes: MAX_VSA_BYTES, kind: 'VSA', what: 'verification summary' }), options.vsaPath), 'utf8'), options.vsaPath);
  const { payload, signer } = authenticateSummary(bundle, options, now);
  const summary = readAuthenticated(payload, (bytes) => {
    const statement = parseVsaStatement(JSON.parse(JSON.stringify(parseStatement(bytes))));
    return { statement, serialization: recordedSerialization(statement) };
  });
  const { predicate } = summary.statement;
  const [subject] = summary.statement.subject;

  if (predicate.verificationResult !== 'PASSED') {
    throw new VerificationError('VSA_FAILED', `the verification summary says verification FAILED (${predicate.verifier.id}, ${predicate.timeVerified})`, { path: options.vsaPath });
  }
  const verified = Date.parse(predicate.timeVerified);
  if (verified > now.getTime() + MAX_FUTURE_SKEW_MS) {
    throw new VerificationError('TIMESTAMP_INVALID', `the verification summary is dated ${predicate.timeVerified}, in the future (now ${now.toISOString()})`, { path: options.vsaPath });
  }
  if (predicate.kind !== undefined && predicate.kind !== kind) {
    throw new PolicyError('VSA_KIND_MISMATCH', `the verification summary is about a ${predicate.kind}, not a ${kind}${ARTIFACT_KINDS.some((known) => known === predicate.kind) ? ` (pass --kind ${predicate.kind} if that is what ${options.modelPath} is)` : ''}`, { path: options.vsaPath });
  }
  if (summary.serialization === undefined || predicate.resourcesDigest === undefined) {
    // The root digest binds the files' contents in order, not their names: without the resource
    // list's digest a renamed pickle would pass; without the serialization the gate could only
    // guess what the verifier left out.
    throw new InputError('VSA_INCOMPLETE', `the verification summary records no ${summary.serialization === undefined ? 'serialization' : 'resourcesDigest'}: it was written before summaries recorded them, and bound the files' contents but not their names; write a new one (verify --vsa-out or verify lineage --vsa-out)`, { path: options.vsaPath });
  }
  if (options.maxAgeMs !== undefined && now.getTime() - verified > options.maxAgeMs) {
    throw new PolicyError('VSA_TOO_OLD', `the verification summary is from ${predicate.timeVerified}, older than the ${String(Math.round(options.maxAgeMs / 1000))} s accepted`, { path: options.vsaPath });
  }
  const expectedVerifier = options.verifierId ?? AIPROV_VERIFIER_ID;
  if (predicate.verifier.id !== expectedVerifier) {
    throw new PolicyError('VSA_VERIFIER_MISMATCH', `the verification summary is by verifier ${JSON.stringify(predicate.verifier.id)}, not ${JSON.stringify(expectedVerifier)}`, { path: options.vsaPath });
  }
  if (options.policyDigest !== undefined) {
    const expected = normalizeSha256(options.policyDigest);
    if (predicate.policy.digest?.sha256 !== expected) {
      throw new PolicyError('VSA_POLICY_MISMATCH', `the verification summary applied policy ${predicate.policy.uri} (sha256:${predicate.policy.digest?.sha256 ?? 'none'}), not sha256:${expected}`, { path: options.vsaPath });
    }
  }
  if (options.resourceUri !== undefined && predicate.resourceUri !== options.resourceUri) {
    throw new PolicyError('VSA_RESOURCE_MISMATCH', `the verification summary is for ${JSON.stringify(predicate.resourceUri)}, not ${JSON.stringify(options.resourceUri)}`, { path: options.vsaPath });
  }
  const missingLevels = (options.verifiedLevels ?? []).filter((level) => !predicate.verifiedLevels.includes(level));
  if (missingLevels.length > 0) {
    throw new PolicyError('VSA_LEVEL_MISMATCH', `the verification summary asserts ${predicate.verifiedLevels.length === 0 ? 'no level' : predicate.verifiedLevels.join(', ')}, not ${missingLevels.join(', ')}`, { path: options.vsaPath });
  }

  // Every file not left out by the recorded serialization counts: an extra file changes the root,
  // a renamed or moved one the resource list.
  await refuseDisguisedMetadata(options.modelPath, summary.serialization.ignorePaths, options.vsaPath);
  const artifact = await rehashManifest(options.modelPath, summary.serialization);
  const rootDigest = computeRootDigest(artifact.resources);
  if (subject === undefined || subject.digest.sha256 !== rootDigest) {
    throw new VerificationError('VSA_SUBJECT_MISMATCH', `the verification summary is about sha256:${subject?.digest.sha256 ?? '?'}, but ${options.modelPath} is sha256:${rootDigest} (hashed with the serialization the summary records: a file added, removed or changed since changes it)`, { path: options.vsaPath });
  }
  if (computeResourcesDigest(artifact.resources) !== predicate.resourcesDigest.sha256) {
    throw new VerificationError('VSA_SUBJECT_MISMATCH', `${options.modelPath} has the contents the verification summary names, under other file names: a file was renamed or moved since it was verified`, { path: options.vsaPath });
  }
  return {
    verified: true,
    name: artifact.name,
    kind,
    rootDigest: `sha256:${rootDigest}`,
    serialization: summary.serialization,
    signer,
    verifier: predicate.verifier.id,
    timeVerified: predicate.timeVerified,
    resourceUri: predicate.resourceUri,
    policy: { uri: predicate.policy.uri, ...(predicate.policy.digest === undefined ? {} : { digest: `sha256:${predicate.policy.digest.sha256}` }) },
    verificationResult: 'PASSED',
    verifiedLevels: predicate.verifiedLevels,
  };
}

/**
 * A summary signed by someone other than the trusted signer (another key, a certificate that does
 * not chain to the trusted CA, another identity) is authentic to nobody the gate trusts: a policy
 * denial, exit 3. One whose signature does not verify under the trusted key is forged or
 * altered: exit 1, as the error says.
 */
function authenticateSummary(bundle: BundleJson, options: VerifyVsaOptions, now: Date): ReturnType<typeof authenticateDsseBundle> {
  try {
    return authenticateDsseBundle(bundle, options.trust, now);
  } catch (error) {
    if (isAiprovError(error) && NOT_THIS_SIGNER.has(error.code)) {
      throw new PolicyError('VSA_UNTRUSTED_SIGNER', `the verification summary is not signed by the signer trusted here: ${error.message}`, { path: options.vsaPath, cause: error });
    }
    throw error;
  }
}

/**
 * A verifier leaves out a signature, attestations or evidence file because it is one (a file of
 * Sigstore bundles); the summary then records its name among the ignore paths. At the gate each
 * such name must still be absent or such a file: a folder of code, or any other content, under a
 * metadata name is not what was left out.
 */
async function refuseDisguisedMetadata(modelPath: string, ignorePaths: readonly string[], vsaPath: string): Promise<void> {
  const hubBlobs = await artifactHubBlobs(modelPath);
  for (const name of ignorePaths.filter((path) => KIND_METADATA_NAMES.includes(path))) {
    const path = join(modelPath, name);
    if ((await metadataFileState(path, hubBlobs)) === 'other') {
      throw new VerificationError('VSA_SUBJECT_MISMATCH', `${path} is not a file of Sigstore bundles, but the verification summary left ${name} out as one: the artifact is not what was verified`, { path: vsaPath });
    }
  }
}

/** A VSA file holds one bundle (one line); a second one would be a second, unchecked claim. */
function singleLine(text: string, path: string): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const [line, ...others] = lines;
  if (line === undefined || others.length > 0) throw new InputError('VSA_INVALID', `${path} must hold exactly one Sigstore bundle (one line), found ${String(lines.length)}`, { path });
  return line;
}

function normalizeSha256(value: string): string {
  const hex = value.replace(/^sha256:/, '');
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new InputError('DIGEST_INVALID', `--policy-digest takes sha256:<64 hex>, got ${JSON.stringify(value.slice(0, 80))}`);
  return hex.toLowerCase();
}
