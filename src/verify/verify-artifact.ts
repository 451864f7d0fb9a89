import { createHash, verify as cryptoVerify, type KeyObject, type X509Certificate } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { isAiprovError, InputError, IOError, VerificationError } from '../errors.js';
import { lstat } from 'node:fs/promises';
import { SINGLE_FILE_RESOURCE_NAME } from '../hashing/walk.js';
import { HUB_LOCAL_DIR_METADATA, resolveArtifactPath, type HubEnvironment } from '../hashing/hub-cache.js';
import type { ManifestOptions } from '../manifest/compute.js';
import { resolveIgnorePaths } from '../manifest/ignore-paths.js';
import { computeResourcesDigest, diffManifests, resourcePath, type ManifestDiff, type Serialization } from '../manifest/manifest.js';
import { legacyModelSigningPae, preAuthEncoding } from '../format/dsse.js';
import { curveOf, hashForKey, publicKeyHint, sameEmbeddedKey } from '../format/keys.js';
import { ARTIFACT_KINDS, artifactFiles, artifactHubBlobs, KIND_METADATA_NAMES, metadataFileState, pathInsideArtifact, type ArtifactFiles, type ArtifactKind } from '../format/artifact-kind.js';
import { readAttestations } from '../format/attestation-file.js';
import { manifestFromStatement, OMS_LEGACY_DIGESTS_V01, type SignedManifest } from '../statement/oms.js';
import { parseStatement } from '../statement/parse.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../statement/statement.js';
import { BUNDLE_V03_MEDIA_TYPE, MAX_BUNDLE_BYTES, parseBundle, peekUnverifiedStatement, type BundleJson } from '../format/bundle.js';
import { readBounded } from '../input/read-bounded.js';
import { certificateFromDer, issuerOf, subjectOf } from '../format/certificates.js';
import { verifyCertificateChain } from './certificate-chain.js';
import { refuseFulcioLeaf } from './fulcio-ca.js';
import { checkCertificatePins, type CertificatePins } from './certificate-pins.js';
import { findingFromError, type Finding } from '../findings.js';
import { requireKeylessIdentity, type IdentityPolicy } from './identity.js';
import { chainCertificate, rfc3339, type Signer } from './signer.js';
import { verifySigstoreBundle } from './sigstore-bundle.js';
import { toVerifierTrustMaterial, type SigstoreTrustRoot } from './trust.js';
import { verifyRfc3161Timestamps, type TimestampAuthorities } from './timestamps.js';
import { markAuthenticated, type AuthenticatedPayload } from './authenticated-payload.js';
import { readAuthenticated, withVerifierChoices, type AuthenticatedSerialization } from './authenticated.js';
import { rehashManifest } from './rehash.js';

/**
 * What the verifier trusts: one public key, a set of CA certificates (roots), or a Sigstore
 * instance's trust root together with the identity that must have signed. A key or certificate
 * bundle's RFC 3161 timestamps verify only against `timestampAuthorities`; without them such a
 * bundle is refused (TIMESTAMP_AUTHORITY_REQUIRED), and a bundle without timestamps verifies at now.
 */
export type ArtifactTrust =
  | { readonly kind: 'key'; readonly publicKey: KeyObject; readonly timestampAuthorities?: TimestampAuthorities }
  | { readonly kind: 'certificate'; readonly trustedCertificates: readonly X509Certificate[]; readonly timestampAuthorities?: TimestampAuthorities; /** Which of the CA's leaves are accepted (a policy's pins). */ readonly pins?: CertificatePins }
  | { readonly kind: 'sigstore'; readonly trustRoot: SigstoreTrustRoot; readonly identity: IdentityPolicy };

export interface VerifyArtifactOptions extends Pick<ManifestOptions, 'allowExternalSymlinks' | 'onProgress' | 'signal'> {
  readonly trust: ArtifactTrust;
  /** Names the default signature and attestation files; default model. */
  readonly kind?: ArtifactKind;
  /** Defaults to `<kind>.sig` in a directory, `<file>.sig` beside a file. */
  readonly signaturePath?: string;
  /** Accept files on disk that the signature does not list (they are reported, not hashed). */
  readonly ignoreUnsignedFiles?: boolean;
  /** Paths inside the artifact that are not part of it (e.g. an attestations file). */
  readonly extraIgnorePaths?: readonly string[];
  /** Reference time for certificate validity; defaults to now. */
  readonly now?: Date;
  /**
   * The signature itself, when it does not come from `signaturePath` (e.g. from an evidence file
   * shipped with the model); the signature file is still left out of the artifact if present.
   */
  readonly bundle?: BundleJson;
  /** Follow symbolic links even if the signer did not (model_signing's `--allow_symlinks`). */
  readonly allowSymlinks?: boolean;
  /** Where `hf://` references are looked up (HF_HUB_CACHE, HF_HOME, HOME); nothing is downloaded. */
  readonly hubEnvironment?: HubEnvironment;
}

export interface VerifyArtifactResult {
  /** True only when the signature is authentic and every signed file matches. */
  readonly verified: boolean;
  readonly artifactPath: string;
  readonly signaturePath: string;
  readonly name: string;
  readonly predicateType: string;
  /** The root digest the signer committed to. */
  readonly signedRootDigest: string;
  readonly serialization: Serialization;
  /**
   * What the artifact was re-hashed with: the signed serialization and the paths the verifier
   * left out. A verification summary records it, and the gate re-hashes with exactly this.
   */
  readonly verifiedWith: AuthenticatedSerialization;
  /** `computeResourcesDigest` of the signed resources: with the root, what a summary binds. */
  readonly resourcesDigest: string;
  readonly signer: Signer;
  readonly resourceCount: number;
  readonly diff: ManifestDiff;
  readonly findings: readonly Finding[];
  /** The bundle that was verified (for evidence files; not part of the JSON output). */
  readonly bundle: BundleJson;
}

/** A signature authenticated and its manifest read, before anything is re-hashed. */
export interface OpenedSignature {
  readonly artifactPath: string;
  readonly signaturePath: string;
  readonly bundle: BundleJson;
  /** SHA-256 (hex) of the bundle file's bytes; absent when the bundle was given (`options.bundle`). */
  readonly bundleSha256?: string;
  readonly signer: Signer;
  /** Findings so far (legacy encodings); verification appends to them. */
  readonly findings: Finding[];
  readonly signed: SignedManifest;
  /** The files the signature lists. */
  readonly signedPaths: ReadonlySet<string>;
  /** How to re-hash: the signed serialization, with every path verification leaves out. */
  readonly rehash: AuthenticatedSerialization;
  readonly attestationsPath: string;
}

/**
 * Verifies an artifact against its OMS signature: authenticate the bundle, check the statement,
 * recompute the root, re-hash the artifact with the bundle's own serialization parameters and
 * report every extra, missing and changed file.
 */
export async function verifyArtifact(artifactReference: string, options: VerifyArtifactOptions): Promise<VerifyArtifactResult> {
  const opened = await openSignature(artifactReference, options);
  const { artifactPath, signed, findings } = opened;
  const diff = await rehashAndCompare(opened, options, findings);
  findings.push(...diffFindings(diff, artifactPath), ...(await attestationsNote(opened.attestationsPath)));

  return {
    verified: !findings.some((finding) => finding.severity === 'error'),
    artifactPath: resolve(artifactPath),
    signaturePath: opened.signaturePath,
    name: signed.name,
    predicateType: signed.predicateType,
    signedRootDigest: signed.rootDigest,
    serialization: signed.serialization,
    verifiedWith: opened.rehash,
    resourcesDigest: computeResourcesDigest(signed.resources),
    signer: opened.signer,
    resourceCount: signed.resources.length,
    diff,
    findings,
    bundle: opened.bundle,
  };
}

/**
 * The steps of verification before the re-hash, shared with `verify --partition`: read and
 * authenticate the bundle, read the signed manifest out of it, and decide how to re-hash.
 */
export async function openSignature(artifactReference: string, options: VerifyArtifactOptions): Promise<OpenedSignature> {
  const artifactPath = await resolveArtifactPath(artifactReference, options.hubEnvironment);
  const files = await artifactFiles(artifactPath, options.kind);
  const signaturePath = options.signaturePath === undefined ? files.signaturePath : resolve(options.signaturePath);
  const { bundle, bytes }: { readonly bundle: BundleJson; readonly bytes?: Buffer } = options.bundle === undefined ? await readSignature(artifactPath, signaturePath, options.signaturePath === undefined && files.isDirectory ? options.kind ?? 'model' : undefined) : { bundle: options.bundle };
  const { payload, signer, findings } = authenticateDsseBundle(bundle, options.trust, options.now ?? new Date());

  const signatureInside = pathInsideArtifact(artifactPath, signaturePath);
  const signed = readAuthenticated(payload, (bytes): SignedManifest => manifestFromStatement(parseStatement(bytes), signatureInside === undefined ? [] : [signatureInside]));
  if (signed.predicateType === OMS_LEGACY_DIGESTS_V01) {
    findings.push({ code: 'LEGACY_SIGNATURE_FORMAT', severity: 'warning', fields: { value: OMS_LEGACY_DIGESTS_V01 } });
  }

  // The bundle's own parameters decide how to re-hash; the signature file and the attestations
  // file beside it are never part of the artifact.
  const signedPaths = new Set(signed.resources.map((resource) => resourcePath(resource.name, signed.serialization.method)));
  const ignorePaths = [...new Set([
    ...signed.serialization.ignorePaths,
    ...(await metadataToIgnore(artifactPath, signaturePath, files, signed.serialization.ignorePaths)),
    ...(await hubMetadataToIgnore(artifactPath, signedPaths)),
    ...(await resolveIgnorePaths(artifactPath, options.extraIgnorePaths ?? [])),
  ])];
  return {
    artifactPath,
    signaturePath,
    bundle,
    ...(bytes === undefined ? {} : { bundleSha256: createHash('sha256').update(bytes).digest('hex') }),
    signer,
    findings,
    signed,
    signedPaths,
    rehash: withVerifierChoices(signed.serialization, { ignorePaths, allowSymlinks: options.allowSymlinks === true }),
    attestationsPath: files.attestationsPath,
  };
}

/** The error findings of a file diff. A single-file artifact's one resource is "."; the report names the file instead. */
export function diffFindings(diff: ManifestDiff, artifactPath: string): Finding[] {
  const fileFields = (path: string): Finding['fields'] => (path === SINGLE_FILE_RESOURCE_NAME ? { subject: basename(artifactPath) } : {});
  return [
    ...diff.changed.map((path): Finding => ({ code: 'FILE_CHANGED', severity: 'error', path, fields: fileFields(path) })),
    ...diff.missing.map((path): Finding => ({ code: 'FILE_MISSING', severity: 'error', path, fields: fileFields(path) })),
    ...diff.extra.map((path): Finding => ({ code: 'FILE_UNSIGNED', severity: 'error', path, fields: {} })),
  ];
}

/**
 * Reads the signature. A default `<kind>.sig` that is missing while another kind's signature is
 * there usually means the wrong `--kind`: the error says which one to pass.
 */
async function readSignature(artifactPath: string, signaturePath: string, defaultKind: ArtifactKind | undefined): Promise<{ readonly bundle: BundleJson; readonly bytes: Buffer }> {
  try {
    const bytes = await readBounded(signaturePath, { maxBytes: MAX_BUNDLE_BYTES, kind: 'BUNDLE', what: 'signature' });
    return { bundle: parseBundle(bytes, signaturePath), bytes };
  } catch (error) {
    if (defaultKind === undefined || !isAiprovError(error) || error.code !== 'FILE_NOT_FOUND') throw error;
    for (const kind of ARTIFACT_KINDS) {
      if (kind === defaultKind) continue;
      try {
        await lstat(resolve(artifactPath, `${kind}.sig`));
      } catch {
        continue;
      }
      throw new IOError('FILE_NOT_FOUND', `${error.message}; ${artifactPath} holds a ${kind}.sig: pass --kind ${kind}`, { path: signaturePath, cause: error });
    }
    throw error;
  }
}

/** Points at the attestations beside the artifact (not verified here: `verify lineage` does). */
export async function attestationsNote(attestationsPath: string): Promise<Finding[]> {
  try {
    const stored = await readAttestations(attestationsPath);
    if (stored.length === 0) return [];
    const types = [...new Set(stored.map(({ bundle }) => peekUnverifiedStatement(bundle)?.predicateType ?? 'unknown'))];
    return [{ code: 'ATTESTATIONS_FOUND', severity: 'info', path: basename(attestationsPath), fields: { count: stored.length, values: types } }];
  } catch {
    return [];
  }
}

/**
 * The signature file is never part of the artifact. Every other metadata file, this kind's
 * attestations and evidence files and every kind's signature, attestations and evidence file
 * (a `model.sig` beside the `dataset.sig` of a folder signed both ways), is left out only when
 * the signer recorded it or it really is a regular file of Sigstore bundles
 * (`metadataFileState`): otherwise anything could be smuggled into a signed artifact under those
 * names. `sign` and `digest` leave out every such file present, so this kind's verification
 * agrees with them whatever else was signed in the folder.
 */
async function metadataToIgnore(artifactPath: string, signaturePath: string, files: ArtifactFiles, signedIgnores: readonly string[]): Promise<string[]> {
  const signatureInside = pathInsideArtifact(artifactPath, signaturePath);
  const ignores = signatureInside === undefined ? [] : [signatureInside];
  // This kind's attestations and evidence files are left out even before they exist (as `sign`
  // records them): a summary's gate then still accepts them once written, if they are bundles.
  const ownFiles = new Set([files.attestationsPath, files.evidencePath]);
  const otherFiles = files.isDirectory ? KIND_METADATA_NAMES.map((name) => resolve(artifactPath, name)).filter((path) => !ownFiles.has(path)) : [];
  const hubBlobs = files.isDirectory ? await artifactHubBlobs(artifactPath) : undefined;
  for (const path of [...ownFiles, ...otherFiles]) {
    const inside = pathInsideArtifact(artifactPath, path);
    if (inside === undefined || signedIgnores.includes(inside) || ignores.includes(inside)) continue;
    const state = await metadataFileState(path, hubBlobs);
    if (state === 'bundles' || (state === 'absent' && ownFiles.has(path))) ignores.push(inside);
  }
  return ignores;
}

/**
 * `hf download --local-dir` leaves `.cache/huggingface/` in the download, different per download:
 * left out unless the signer signed files there.
 */
async function hubMetadataToIgnore(artifactPath: string, signedPaths: ReadonlySet<string>): Promise<string[]> {
  if ([...signedPaths].some((path) => path.startsWith(`${HUB_LOCAL_DIR_METADATA}/`))) return [];
  try {
    await lstat(resolve(artifactPath, HUB_LOCAL_DIR_METADATA));
    return [HUB_LOCAL_DIR_METADATA];
  } catch {
    return [];
  }
}

/**
 * The file diff. A Hugging Face snapshot whose link leaves its repository's blobs/ was altered
 * after its download: the walk stops there, and the verification fails with that finding (exit
 * 1) rather than an error, so the report and `--json` say what was found.
 */
async function rehashAndCompare(opened: OpenedSignature, options: VerifyArtifactOptions, findings: Finding[]): Promise<ManifestDiff> {
  try {
    const actual = await recomputeManifest(opened.artifactPath, opened.rehash, options, options.ignoreUnsignedFiles === true ? opened.signedPaths : undefined, findings);
    return diffManifests(opened.signed, actual);
  } catch (error) {
    if (!isAiprovError(error) || error.code !== 'HUB_LINK_OUTSIDE_BLOBS') throw error;
    findings.push(findingFromError(error));
    return { extra: [], missing: [], changed: [] };
  }
}

/**
 * A symlink, a link outside the artifact or a special file stays what the walk says it is, bad
 * input (exit 2), as in `sign`: the walk refuses to read such a tree before anything is compared
 * (a link can be re-pointed between the check and the load), so the same tree gets the same code
 * and exit status from every command. (It was recoded as a failed verification, exit 1, which
 * made one condition exit 1 in verify and 2 in sign.) Either way the artifact is not verified.
 */
function recomputeManifest(artifactPath: string, serialization: AuthenticatedSerialization, options: VerifyArtifactOptions, onlyPaths: ReadonlySet<string> | undefined, findings: Finding[]): ReturnType<typeof rehashManifest> {
  return rehashManifest(artifactPath, serialization, {
    ...(options.allowExternalSymlinks === undefined ? {} : { allowExternalSymlinks: options.allowExternalSymlinks }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(onlyPaths === undefined
      ? {}
      : {
          selectFiles: (name: string) => {
            if (onlyPaths.has(name)) return true;
            findings.push({ code: 'UNSIGNED_FILE_IGNORED', severity: 'info', path: name, fields: {} });
            return false;
          },
        }),
  });
}

export interface AuthenticatedBundle {
  /** The DSSE payload, exactly the signed bytes: parse the statement only from here. */
  readonly payload: AuthenticatedPayload;
  readonly signer: Signer;
  /** Warnings about the bundle (legacy encodings). */
  readonly findings: Finding[];
}

/**
 * Authenticates a DSSE bundle holding an in-toto statement (a model signature or an attestation):
 * checks its shape, the trust anchor, and the signature over the exact payload bytes. Nothing in
 * the payload is trusted before this returns.
 */
export function authenticateDsseBundle(bundle: BundleJson, trust: ArtifactTrust, now: Date): AuthenticatedBundle {
  const findings: Finding[] = [];
  if (bundle.mediaType !== BUNDLE_V03_MEDIA_TYPE) {
    throw new InputError('BUNDLE_UNSUPPORTED_MEDIA_TYPE', `signatures and attestations are ${BUNDLE_V03_MEDIA_TYPE} bundles, found ${bundle.mediaType}`);
  }
  const envelope = bundle.dsseEnvelope;
  if (envelope === undefined) throw new InputError('BUNDLE_INVALID', 'expected a DSSE envelope, this bundle has a message signature');
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new InputError('BUNDLE_INVALID', `DSSE payload type is ${JSON.stringify(envelope.payloadType)}, expected ${IN_TOTO_PAYLOAD_TYPE}`);
  }
  const [signatureEntry, ...others] = envelope.signatures;
  if (signatureEntry === undefined || others.length > 0) {
    throw new InputError('BUNDLE_INVALID', `expected exactly one DSSE signature, found ${String(envelope.signatures.length)}`);
  }
  const payload = Buffer.from(envelope.payload, 'base64');
  const signature = Buffer.from(signatureEntry.sig, 'base64');
  const material = bundle.verificationMaterial;

  switch (trust.kind) {
    case 'sigstore': {
      // Keyless: Fulcio certificate chain, SCTs, transparency-log inclusion and timestamps are
      // checked against the given trust root, the identity exactly as asked. A bundle proves
      // nothing until the identity is pinned: anyone can get a certificate for themselves.
      const { identity: required } = trust;
      requireKeylessIdentity(required);
      const verified = verifySigstoreBundle({ bundleJson: bundle, trustMaterial: toVerifierTrustMaterial(trust.trustRoot), identity: required, now });
      if (verified.signer.kind !== 'certificate' || verified.dsse === undefined) {
        throw new VerificationError('VERIFICATION_MATERIAL_MISMATCH', 'the bundle is not a keyless DSSE signature; verify it with --key or --certificate-chain');
      }
      const { identity } = verified.signer;
      return {
        payload: markAuthenticated(verified.dsse.payload),
        findings,
        signer: {
          kind: 'keyless',
          ...(identity.subjectAlternativeName === undefined ? {} : { identity: identity.subjectAlternativeName }),
          ...(identity.issuer === undefined ? {} : { issuer: identity.issuer }),
          claims: identity.extensions,
          notBefore: verified.signer.certificate.notBefore,
          notAfter: verified.signer.certificate.notAfter,
          timestamps: verified.timestamps,
          trustRoot: trust.trustRoot.source,
        },
      };
    }
    case 'key': {
      if (material.publicKey === undefined) {
        throw new VerificationError('VERIFICATION_MATERIAL_MISMATCH', 'the bundle was signed with a certificate; verify it with --certificate-chain');
      }
      const hint = publicKeyHint(trust.publicKey);
      if ('hint' in material.publicKey) {
        if (material.publicKey.hint !== '' && material.publicKey.hint !== hint) {
          throw new VerificationError('KEY_MISMATCH', `the bundle was signed with another key (hint ${material.publicKey.hint}, the given key is ${hint})`);
        }
      } else if (!sameEmbeddedKey(Buffer.from(material.publicKey.rawBytes, 'base64'), trust.publicKey)) {
        throw new VerificationError('KEY_MISMATCH', 'the bundle embeds another public key than the one given');
      }
      verifyDsseSignature(payload, signature, trust.publicKey, hashForKey(trust.publicKey), findings);
      const timestamps = verifyRfc3161Timestamps(bundle, signature, trust.publicKey, trust.timestampAuthorities, now);
      return { payload: markAuthenticated(payload), findings, signer: { kind: 'key', keyHint: hint, curve: curveOf(trust.publicKey), ...(timestamps.length === 0 ? {} : { timestamps }) } };
    }
    case 'certificate': {
      const certificates = material.x509CertificateChain?.certificates ?? (material.certificate === undefined ? undefined : [material.certificate]);
      if (certificates === undefined) {
        throw new VerificationError('VERIFICATION_MATERIAL_MISMATCH', 'the bundle was signed with a bare key; verify it with --key');
      }
      const [leafJson, ...intermediateJson] = certificates;
      if (leafJson === undefined) throw new InputError('CERTIFICATE_CHAIN_EMPTY', 'the bundle has an empty certificate chain');
      const leaf = certificateFromDer(Buffer.from(leafJson.rawBytes, 'base64'));
      const intermediates = intermediateJson.map((item) => certificateFromDer(Buffer.from(item.rawBytes, 'base64')));
      // model_signing v0.2 hashed with SHA-256 whatever the curve when signing with a certificate.
      const verifySignature = (): void => {
        verifyDsseSignature(payload, signature, leaf.publicKey, hashForKey(leaf.publicKey), findings, 'sha256');
      };
      let chain: X509Certificate[];
      let timestamps: ReturnType<typeof verifyRfc3161Timestamps> = [];
      if ((material.timestampVerificationData?.rfc3161Timestamps ?? []).length === 0) {
        chain = verifyCertificateChain(leaf, intermediates, trust.trustedCertificates, now);
        verifySignature();
      } else {
        // Timestamped: the signature existed at each verified time, so the chain must be valid
        // then (not now: a leaf that has since expired still vouches for what it signed).
        verifySignature();
        timestamps = verifyRfc3161Timestamps(bundle, signature, leaf.publicKey, trust.timestampAuthorities, now);
        chain = [];
        for (const timestamp of timestamps) chain = verifyCertificateChain(leaf, intermediates, trust.trustedCertificates, new Date(timestamp.time));
      }
      refuseFulcioLeaf(leaf);
      if (trust.pins !== undefined) checkCertificatePins(leaf, trust.pins);
      return {
        payload: markAuthenticated(payload),
        findings,
        signer: { kind: 'certificate', subject: subjectOf(leaf), issuer: issuerOf(leaf), ...(leaf.subjectAltName === undefined ? {} : { subjectAlternativeName: leaf.subjectAltName }), notBefore: rfc3339(leaf.validFrom), notAfter: rfc3339(leaf.validTo), chain: chain.map(chainCertificate), ...(timestamps.length === 0 ? {} : { timestamps }) },
      };
    }
  }
}


/**
 * Checks the DSSE signature over the PAE. Only a payload with the legacy v0.1 predicate may fall
 * back to model_signing v0.2.0's malformed PAE (which model_signing itself still accepts): a
 * current statement signed that way is rejected, so the fallback cannot widen what v1.0 accepts.
 */
function verifyDsseSignature(payload: Buffer, signature: Buffer, key: KeyObject, hash: string, findings: Finding[], legacyHash: string = hash): void {
  const verifies = (data: Buffer, algorithm: string): boolean => {
    try {
      return cryptoVerify(algorithm, data, { key, dsaEncoding: 'der' }, signature);
    } catch {
      return false;
    }
  };
  if (verifies(preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, payload), hash)) return;
  if (declaresLegacyPredicate(payload) && verifies(legacyModelSigningPae(IN_TOTO_PAYLOAD_TYPE, payload), legacyHash)) {
    findings.push({ code: 'LEGACY_DSSE_ENCODING', severity: 'warning', fields: {} });
    return;
  }
  throw new VerificationError('SIGNATURE_INVALID', 'the signature does not verify with the given key or certificate: the bundle was signed by another key or its payload was altered');
}

function declaresLegacyPredicate(payload: Buffer): boolean {
  try {
    return (JSON.parse(payload.toString('utf8')) as { predicateType?: unknown }).predicateType === OMS_LEGACY_DIGESTS_V01;
  } catch {
    return false;
  }
}
