/**
 * The evidence a lineage verdict rests on: every signature and attestation that was accepted,
 * written once at release time (`verify lineage --evidence-out`) and read back on a host that
 * has only the model (`--evidence`). Nothing in an evidence file is trusted for being there:
 * each bundle is authenticated against the policy's signers for its role and bound to the digest
 * the verified provenance names, exactly as if it had been found beside its artifact.
 */
import { createHash } from 'node:crypto';
import type { StoredAttestation } from '../format/attestation-file.js';
import { peekUnverifiedStatement, type BundleJson } from '../format/bundle.js';
import { OMS_LEGACY_DIGESTS_V01, OMS_SIGNATURE_V1 } from '../statement/oms.js';

/** A bundle and where it came from (`file:line`), for messages. */
export interface SourcedBundle {
  readonly where: string;
  readonly bundle: BundleJson;
}

/**
 * The identity of a bundle: the same bundle read from two files counts once. A digest of its
 * JSON, computed once per bundle (the verdict asks for it several times, and the JSON of a
 * bundle is as large as its line).
 */
export function bundleKey(bundle: BundleJson): string {
  let key = keys.get(bundle);
  if (key === undefined) {
    key = createHash('sha256').update(JSON.stringify(bundle)).digest('hex');
    keys.set(bundle, key);
  }
  return key;
}

const keys = new WeakMap<BundleJson, string>();

const SIGNATURE_PREDICATES: readonly string[] = [OMS_SIGNATURE_V1, OMS_LEGACY_DIGESTS_V01];

/**
 * An evidence file, indexed once by what each line claims (unverified: the index only chooses
 * what to verify). Every lookup then costs what it returns, not a pass over every line: with a
 * pass per artifact of the lineage, 10,000 lines took seconds before any signature was checked.
 */
export class EvidenceStore {
  /** Artifact signatures (OMS), in file order. */
  private readonly allSignatures: SourcedBundle[] = [];
  private readonly signaturesByDigest = new Map<string, SourcedBundle[]>();
  private readonly signaturesByName = new Map<string, SourcedBundle[]>();
  /** Attestations (anything but a signature) by the digest they claim to be about. */
  private readonly attestationsByDigest = new Map<string, SourcedBundle[]>();

  constructor(
    /** The evidence file's name, for messages. */
    readonly source: string,
    readonly items: readonly StoredAttestation[],
  ) {
    for (const { line, bundle } of items) {
      const claimed = peekUnverifiedStatement(bundle);
      if (claimed?.predicateType === undefined) continue;
      const sourced = { where: `${source}:${String(line)}`, bundle };
      if (SIGNATURE_PREDICATES.includes(claimed.predicateType)) {
        this.allSignatures.push(sourced);
        if (claimed.subjectDigest !== undefined) append(this.signaturesByDigest, claimed.subjectDigest, sourced);
        if (claimed.subjectName !== undefined) append(this.signaturesByName, claimed.subjectName, sourced);
      } else if (claimed.subjectDigest !== undefined) {
        append(this.attestationsByDigest, claimed.subjectDigest, sourced);
      }
    }
  }

  /** Artifact signatures (OMS) whose statement claims `rootDigest`: candidates, not yet trusted. */
  signaturesOf(rootDigest: string): SourcedBundle[] {
    return [...(this.signaturesByDigest.get(rootDigest) ?? [])];
  }

  /**
   * Artifact signatures that claim the name `name` but another digest than `rootDigest`: a second
   * account of an input (or a forgery of one), which a verifier must not leave unexamined.
   */
  otherSignaturesNamed(name: string, rootDigest: string): SourcedBundle[] {
    return (this.signaturesByName.get(name) ?? []).filter(({ bundle }) => peekUnverifiedStatement(bundle)?.subjectDigest !== rootDigest);
  }

  /** Every artifact signature in the file, for an artifact whose digest is not known before hashing. */
  signatures(): SourcedBundle[] {
    return [...this.allSignatures];
  }

  /** Attestations (anything but a signature) that claim to be about `rootDigest`. */
  attestationsAbout(rootDigest: string): SourcedBundle[] {
    return [...(this.attestationsByDigest.get(rootDigest) ?? [])];
  }

  /** Lines no accepted piece of the verdict used: evidence about something else, or a second account. */
  unused(used: ReadonlySet<string>): StoredAttestation[] {
    return this.items.filter(({ bundle }) => !used.has(bundleKey(bundle)));
  }
}

function append(map: Map<string, SourcedBundle[]>, key: string, value: SourcedBundle): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
