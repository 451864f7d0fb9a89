/**
 * The rule that keeps a verifier from being steered by the artifact it checks: **no verification
 * decision hashes an artifact with parameters that did not come from authenticated data or from
 * aiprov's own defaults.** A signature file sits beside the model, writable by whoever can write
 * the model; read before it is authenticated, its `ignore_paths` would let that person choose
 * which files are never looked at (docs/ARCHITECTURE.md, "Rules that keep it this way").
 *
 * The types make the rule one the compiler checks: the re-hash of every verification
 * (`verify/rehash.ts`) takes only an `AuthenticatedSerialization`, which is made here, from a
 * payload whose signature verified (`AuthenticatedPayload`, made only by `authenticateDsseBundle`)
 * or from aiprov's defaults for a kind. A serialization read from an unverified bundle is a plain
 * `Serialization` and does not compile there; and `npm run lint` (dependency-cruiser) keeps
 * verification from reaching the hashing of `manifest/compute.ts` other than through
 * `verify/rehash.ts`, or `sign/attest.ts`'s `identifyArtifact`, which reads a signature unverified.
 */
import type { ArtifactKind } from '../format/artifact-kind.js';
import { artifactMetadataIgnores } from '../format/artifact-kind.js';
import { resolveSerialization } from '../manifest/compute.js';
import type { Serialization } from '../manifest/manifest.js';

import type { AuthenticatedPayload } from './authenticated-payload.js';

declare const AUTHENTICATED_SERIALIZATION: unique symbol;

/** How a verification may hash an artifact: read from authenticated bytes, or aiprov's defaults. */
export type AuthenticatedSerialization = Serialization & { readonly [AUTHENTICATED_SERIALIZATION]: true };

/**
 * A statement read from an authenticated payload by `read` (an OMS signature's manifest, a
 * verification summary), with the serialization it records marked as authenticated: the one
 * place a recorded serialization becomes one a verification may hash with.
 */
export function readAuthenticated<T extends { readonly serialization: Serialization | undefined }>(
  payload: AuthenticatedPayload,
  read: (payload: AuthenticatedPayload) => T,
): Omit<T, 'serialization'> & { readonly serialization: AuthenticatedSerialization | Exclude<T['serialization'], Serialization> } {
  return read(payload) as unknown as Omit<T, 'serialization'> & { readonly serialization: AuthenticatedSerialization | Exclude<T['serialization'], Serialization> };
}

/**
 * The verifier's own additions to an authenticated serialization: paths it was told to leave out
 * (its flags) or that aiprov's rules leave out (the signature file, bundle files, hub metadata),
 * and following links the verifier allowed. Only more is left out or followed by the verifier's
 * choice, never by the artifact's.
 */
export function withVerifierChoices(serialization: AuthenticatedSerialization, choices: { readonly ignorePaths: readonly string[]; readonly allowSymlinks: boolean }): AuthenticatedSerialization {
  return { ...serialization, ignorePaths: [...new Set([...serialization.ignorePaths, ...choices.ignorePaths])].sort(), allowSymlinks: serialization.allowSymlinks || choices.allowSymlinks };
}

/**
 * What `sign` would use for an artifact of this kind with no options: SHA-256 over files, no
 * links, the default ignores and every kind's own signature, attestations and evidence files.
 * Never anything read from the artifact's files.
 */
export async function defaultSerialization(artifactPath: string, kind: ArtifactKind): Promise<AuthenticatedSerialization> {
  return resolveSerialization({}, await artifactMetadataIgnores(artifactPath, kind)) as AuthenticatedSerialization;
}
