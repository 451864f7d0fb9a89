// The aiprov library: compute manifests, sign, verify and inspect. Everything here is free of
// `process`: no printing, no exiting, no environment reads.
export * from './errors.js';
export { computeManifest, computeManifestWith, resolveSerialization, type ManifestOptions } from './manifest/compute.js';
export { computeRootDigest, diffManifests, type Manifest, type ManifestDiff, type Resource, type Serialization, type SerializationMethod } from './manifest/manifest.js';
export { DEFAULT_SHARD_SIZE } from './hashing/hash-jobs.js';
export { HASH_TYPES, type HashType } from './hashing/hash-type.js';
export { DEFAULT_IGNORED_PATHS } from './hashing/walk.js';
export { CURVE_NAMES, generateKeyPair, parsePrivateKey, parsePublicKey, publicKeyHint, type CurveName } from './sign/keys.js';
export { ARTIFACT_KINDS, artifactFiles, type ArtifactFiles, type ArtifactKind } from './sign/artifact-kind.js';
export { signArtifact, type SignArtifactOptions, type SignArtifactResult } from './sign/sign-artifact.js';
export type { SigningMethod } from './sign/signer.js';
export { buildOmsStatement, OMS_LEGACY_DIGESTS_V01, OMS_SIGNATURE_V1 } from './statement/oms.js';
export { IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT_V1, type Statement } from './statement/statement.js';
export { parseBundle, type BundleJson } from './verify/bundle.js';
export { parseCertificates } from './verify/certificate-chain.js';
export type { Finding, Severity } from './verify/findings.js';
export { inspectBundle, type BundleInspection } from './verify/inspect.js';
export { readBundleFile, verifyArtifact, type ArtifactTrust, type VerifiedSigner, type VerifyArtifactOptions, type VerifyArtifactResult } from './verify/verify-artifact.js';
