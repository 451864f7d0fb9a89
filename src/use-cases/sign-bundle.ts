/**
 * `aiprov sign-bundle`: sign a file keylessly as a message-signature bundle (the
 * sigstore-conformance client protocol's `sign-bundle` step), and never hand out a bundle that
 * the instance's own trust root does not verify.
 */
import { writeFileAtomic } from '../format/atomic-write.js';
import { readBounded } from '../input/read-bounded.js';
import { parseIdentityToken } from '../sign/identity/jwt.js';
import { signMessageKeyless, type SigningServices } from '../sign/keyless.js';
import { verifySigstoreBundle } from '../verify/sigstore-bundle.js';
import { loadTrustRoot, toVerifierTrustMaterial } from '../verify/trust.js';

/** Artifacts signed whole as message signatures are read into memory; bound what that may be. */
const MAX_SIGN_BUNDLE_ARTIFACT_BYTES = 1024 * 1024 * 1024;

export interface SignBundleFileOptions {
  readonly artifactPath: string;
  readonly bundlePath: string;
  readonly services: SigningServices;
  /** The OIDC identity token; never printed, never part of an error. */
  readonly identityToken: string;
  /** Verify the new bundle against this trusted_root.json before writing it. */
  readonly trustedRoot?: string;
}

export async function signBundleFile(options: SignBundleFileOptions): Promise<{ readonly bundlePath: string }> {
  const artifact = await readBounded(options.artifactPath, { maxBytes: MAX_SIGN_BUNDLE_ARTIFACT_BYTES, kind: 'ARTIFACT', what: 'artifact' });
  const bundle = await signMessageKeyless({ ...options.services, identityToken: options.identityToken, artifact });
  if (options.trustedRoot !== undefined) {
    const claims = parseIdentityToken(options.identityToken);
    verifySigstoreBundle({ bundleJson: bundle, artifact, trustMaterial: toVerifierTrustMaterial(await loadTrustRoot({ trustedRoot: options.trustedRoot })), identity: { certificateOidcIssuer: claims.issuer } });
  }
  await writeFileAtomic(options.bundlePath, `${JSON.stringify(bundle)}\n`);
  return { bundlePath: options.bundlePath };
}
