/**
 * The one way a verification hashes an artifact: with an `AuthenticatedSerialization`
 * (`verify/authenticated.ts`), so that what is hashed, skipped or followed is never chosen by
 * unauthenticated bytes. Verification modules reach `manifest/compute.ts` only through here
 * (`npm run lint` enforces it).
 */
import { computeManifestWith, computeRootDigestWith, type ComputeOptions, type RootDigestResult } from '../manifest/compute.js';
import type { Manifest } from '../manifest/manifest.js';
import type { AuthenticatedSerialization } from './authenticated.js';

/** Verification never passes known digests: every file it vouches for is read. */
type RehashOptions = Omit<ComputeOptions, 'knownDigests'>;

export function rehashManifest(artifactPath: string, serialization: AuthenticatedSerialization, options: RehashOptions = {}): Promise<Manifest> {
  return computeManifestWith(artifactPath, serialization, options);
}

export function rehashRootDigest(artifactPath: string, serialization: AuthenticatedSerialization, options: RehashOptions = {}): Promise<RootDigestResult> {
  return computeRootDigestWith(artifactPath, serialization, options);
}
