/**
 * Verifies a bundle the way aiprov's verifier will: @sigstore/verify with an explicit trusted root,
 * no TUF, no network. Shared by the local-stack and keyless tests.
 */
import { bundleFromJSON, type SerializedBundle } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier, type Signer, type VerificationPolicy } from '@sigstore/verify';

export interface VerifyOptions {
  readonly trustedRoot: Record<string, unknown>;
  readonly policy?: VerificationPolicy;
  readonly timestampThreshold?: number;
}

export function verifyBundle(bundle: SerializedBundle, options: VerifyOptions): Signer {
  const trust = toTrustMaterial(TrustedRoot.fromJSON(options.trustedRoot));
  const verifier = new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: options.timestampThreshold ?? 1 });
  return verifier.verify(toSignedEntity(bundleFromJSON(bundle)), options.policy);
}
