/**
 * The evidence a lineage verdict rests on: every signature and attestation that was accepted,
 * written once at release time (`verify lineage --evidence-out`) and read back on a host that
 * has only the model (`--evidence`). Nothing in an evidence file is trusted for being there:
 * each bundle is authenticated against the policy's signers for its role and bound to the digest
 * the verified provenance names, exactly as if it had been found beside its artifact.
 */
import type { StoredAttestation } from '../format/attestation-file.js';
import { peekUnverifiedStatement, type BundleJson } from '../format/bundle.js';
import { OMS_LEGACY_DIGESTS_V01, OMS_SIGNATURE_V1 } from '../statement/oms.js';

/** A bundle and where it came from (`file:line`), for messages. */
export interface SourcedBundle {
  readonly where: string;
  readonly bundle: BundleJson;
}

/** The identity of a bundle: the same bundle read from two files counts once. */
export function bundleKey(bundle: BundleJson): string {
  return JSON.stringify(bundle);
}

const SIGNATURE_PREDICATES: readonly string[] = [OMS_SIGNATURE_V1, OMS_LEGACY_DIGESTS_V01];

export class EvidenceStore {
  constructor(
    /** The evidence file's name, for messages. */
    readonly source: string,
    readonly items: readonly StoredAttestation[],
  ) {}

  /** Artifact signatures (OMS) whose statement claims `rootDigest`: candidates, not yet trusted. */
  signaturesOf(rootDigest: string): SourcedBundle[] {
    return this.matching((predicateType, subject) => SIGNATURE_PREDICATES.includes(predicateType) && subject === rootDigest);
  }

  /**
   * Artifact signatures that claim the name `name` but another digest than `rootDigest`: a second
   * account of an input (or a forgery of one), which a verifier must not leave unexamined.
   */
  otherSignaturesNamed(name: string, rootDigest: string): SourcedBundle[] {
    return this.matching((predicateType, subject, subjectName) => SIGNATURE_PREDICATES.includes(predicateType) && subjectName === name && subject !== rootDigest);
  }

  /** Every artifact signature in the file, for an artifact whose digest is not known before hashing. */
  signatures(): SourcedBundle[] {
    return this.matching((predicateType) => SIGNATURE_PREDICATES.includes(predicateType));
  }

  /** Attestations (anything but a signature) that claim to be about `rootDigest`. */
  attestationsAbout(rootDigest: string): SourcedBundle[] {
    return this.matching((predicateType, subject) => !SIGNATURE_PREDICATES.includes(predicateType) && subject === rootDigest);
  }

  /** Lines no accepted piece of the verdict used: evidence about something else, or a second account. */
  unused(used: ReadonlySet<string>): StoredAttestation[] {
    return this.items.filter(({ bundle }) => !used.has(bundleKey(bundle)));
  }

  private matching(test: (predicateType: string, subject: string | undefined, subjectName: string | undefined) => boolean): SourcedBundle[] {
    return this.items.flatMap(({ line, bundle }) => {
      const claimed = peekUnverifiedStatement(bundle);
      return claimed?.predicateType !== undefined && test(claimed.predicateType, claimed.subjectDigest, claimed.subjectName) ? [{ where: `${this.source}:${String(line)}`, bundle }] : [];
    });
  }
}
