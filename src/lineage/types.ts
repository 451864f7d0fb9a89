import type { ArtifactRole } from '../format/artifact-kind.js';
import type { Finding } from '../findings.js';


/** A verified signer, as reported in a lineage node (never a raw key or token). */
export interface SignerSummary {
  /** The policy's name for this signer. */
  readonly name: string;
  readonly kind: 'key' | 'certificate' | 'keyless';
  /** Key hint, certificate subject, or the keyless identity (SAN). */
  readonly identity: string;
  /** OIDC issuer for keyless signers. */
  readonly issuer?: string;
}

/** One verified attestation attached to a node. */
export interface AttestationSummary {
  readonly predicateType: string;
  readonly signer: SignerSummary;
  /** Training provenance: builder id; dataset card: licence, etc. Small and display-ready. */
  readonly details: Readonly<Record<string, string>>;
}

/** One artifact in the lineage graph, with what was verified about it. */
export interface LineageNode {
  readonly id: string;
  readonly role: ArtifactRole;
  readonly name: string;
  /** Where it was found on disk, if it was. */
  readonly path?: string;
  /** `sha256:<root>` as named by the parent's provenance (or computed, for the top model). */
  readonly digest: string;
  /** undefined when the signature could not be verified. */
  readonly signer?: SignerSummary;
  readonly attestations: readonly AttestationSummary[];
  /** Training provenance facts for models (builder, hyperparameters file digest, …). */
  readonly provenance?: {
    readonly builderId: string;
    readonly buildType: string;
    readonly invocationId?: string;
    readonly startedOn?: string;
    readonly finishedOn?: string;
  };
  /** Dataset card facts for datasets. */
  readonly card?: {
    readonly license?: string;
    readonly version?: string;
    readonly description?: string;
    readonly hasSensitivePersonalInformation?: string;
  };
  readonly findings: readonly Finding[];
  /** Inputs (datasets, recipe, base model) for models; empty otherwise. */
  readonly children: readonly LineageNode[];
}

export type LineageVerdict = 'verified' | 'failed' | 'denied';

export interface LineageResult {
  /** verified: every link checks and the policy allows it; failed: something is tampered or a
   * signature is bad (exit 1); denied: authentic but the policy says no (exit 3). */
  readonly verdict: LineageVerdict;
  readonly root: LineageNode;
}
