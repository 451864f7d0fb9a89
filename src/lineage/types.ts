import type { AuthenticatedSerialization } from '../verify/authenticated.js';
import type { ArtifactRole } from '../format/artifact-kind.js';
import type { BundleJson } from '../format/bundle.js';
import type { Finding } from '../findings.js';
import type { Signer } from '../verify/signer.js';


/** A verified signer of a lineage node: who signed, and the policy's name for that signer. */
export interface PolicySigner {
  /** The policy's name for this signer. */
  readonly name: string;
  readonly signer: Signer;
}

/** One verified attestation attached to a node. */
export interface AttestationSummary {
  readonly predicateType: string;
  readonly signedBy: PolicySigner;
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
  /**
   * `disk`: its content was re-hashed and matched its signature; `evidence`: it is not on this
   * host, and its signature from the evidence file vouches for its digest.
   */
  readonly verifiedFrom?: 'disk' | 'evidence';
  /** `sha256:<root>` as named by the parent's provenance (or computed, for the top model). */
  readonly digest: string;
  /** undefined when the signature could not be verified. */
  readonly signedBy?: PolicySigner;
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
  /**
   * Every signature and attestation the verdict rests on, each once, the model's first: what
   * `--evidence-out` writes. Not part of the JSON report.
   */
  readonly evidence: readonly BundleJson[];
  /**
   * How the model itself was re-hashed (its signed serialization and what the verifier left
   * out), when its signature verified: what a verification summary records. Not in the JSON report.
   */
  readonly verifiedWith?: { readonly serialization: AuthenticatedSerialization; readonly resourcesDigest: string };
}
