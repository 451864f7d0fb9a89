/**
 * Which of the policy's signers vouches for an artifact or an attestation of a given role: every
 * signer the role trusts is tried, and a failure is told apart as "not this signer" (a denial,
 * exit 3) or "a bad signature" (a failure, exit 1).
 */
import { isAiprovError, type AiprovError, type ErrorCode } from '../errors.js';
import type { ArtifactRole } from '../format/artifact-kind.js';
import { findingFromError, type Finding, type FindingCode, type FindingFields } from '../findings.js';
import type { ResolvedPolicy, ResolvedSigner } from '../policy/resolve.js';
import type { Signer } from '../verify/signer.js';
import type { ArtifactTrust } from '../verify/verify-artifact.js';
import type { PolicySigner } from './types.js';

/**
 * Codes that mean "this signer is not the one who signed", as opposed to "the signature is bad".
 * When every trusted signer fails with one of these, the artifact is authentic to nobody we
 * trust: a policy denial (exit 3), not a forgery (exit 1).
 */
export const NOT_THIS_SIGNER = new Set<ErrorCode>([
  'KEY_MISMATCH',
  'VERIFICATION_MATERIAL_MISMATCH',
  'CERTIFICATE_CHAIN_INVALID',
  'IDENTITY_MISMATCH',
  'ISSUER_MISMATCH',
  'CERTIFICATE_EXTENSION_MISMATCH',
]);

/** A finding that makes the lineage fail (tampered, forged) or be denied (policy). */
export function failure(code: FindingCode, category: 'verification' | 'policy', fields: FindingFields, path?: string): Finding {
  return { code, severity: 'error', category, fields, ...(path === undefined ? {} : { path }) };
}

export function summarize(name: string, signer: Signer): PolicySigner {
  return { name, signer };
}

/** The trust each policy signer stands for (a keyless signer once per trusted Sigstore root). */
export function trustsOf(signer: ResolvedSigner, policy: ResolvedPolicy): ArtifactTrust[] {
  switch (signer.kind) {
    case 'key':
      return [{ kind: 'key', publicKey: signer.publicKey, ...(signer.timestampAuthorities === undefined ? {} : { timestampAuthorities: signer.timestampAuthorities }) }];
    case 'certificate':
      return [{ kind: 'certificate', trustedCertificates: signer.trustedCertificates, ...(signer.pins === undefined ? {} : { pins: signer.pins }), ...(signer.timestampAuthorities === undefined ? {} : { timestampAuthorities: signer.timestampAuthorities }) }];
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
export async function withTrustedSigner<T>(role: ArtifactRole, policy: ResolvedPolicy, what: string, attempt: (trust: ArtifactTrust) => Promise<T>): Promise<Attempt<T>> {
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
        // A policy CA that issued a Fulcio certificate is a trust input that checks no identity:
        // the policy is unusable (exit 2), whichever signer might have matched otherwise.
        if (!isAiprovError(error) || error.code === 'FULCIO_CERTIFICATE_AS_CA') throw error;
        failures.push(error);
      }
    }
  }
  const decisive = failures.find((error) => !NOT_THIS_SIGNER.has(error.code) && error.category !== 'policy' && error.code !== 'TIMESTAMP_AUTHORITY_REQUIRED');
  if (decisive !== undefined) {
    return { ok: false, finding: findingFromError(decisive, what) };
  }
  const untimed = failures.find((error) => error.code === 'TIMESTAMP_AUTHORITY_REQUIRED');
  if (untimed !== undefined) {
    // The signer's key or CA verified the signature; its timestamp is from a TSA the policy does
    // not name for that signer. Not a forgery: the policy cannot accept it as written.
    return { ok: false, finding: { ...findingFromError(untimed, what), category: 'policy', fields: { subject: what, message: 'the bundle carries an RFC 3161 timestamp: name the timestamp authority to trust in its policy signer (timestampAuthority or trustedRoot)' } } };
  }
  return { ok: false, finding: failure('UNTRUSTED_SIGNER', 'policy', { subject: what, value: role, values: names }) };
}

