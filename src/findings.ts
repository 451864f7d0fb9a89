/**
 * Findings are data: verification returns them, `--json` prints them with their structured
 * fields, and human text is rendered from the code and fields in one place
 * (`src/report/findings.ts`), as publint's `formatMessage` is the one place its prose is written.
 */
import type { AiprovError, ErrorCategory } from './errors.js';

export type Severity = 'error' | 'warning' | 'info';

/** What a finding may carry besides its code; every renderer reads these and nothing else. */
export interface FindingFields {
  /** The artifact, role or input concerned (`the dataset wiki`), in the words of the report. */
  readonly subject?: string;
  /** A digest (`sha256:<hex>`) the finding is about; `expectedDigest` what another link names. */
  readonly digest?: string;
  readonly expectedDigest?: string;
  /** Names for lists: predicate types, signer names, licences, builders. */
  readonly values?: readonly string[];
  /** A single value the finding reports (a licence, a builder id, a disclosure, a URI). */
  readonly value?: string;
  /** A count or a depth. */
  readonly count?: number;
  readonly limit?: number;
  /** For findings made from an error: the error's own one-line message. */
  readonly message?: string;
}

/** Codes of findings that are not errors of the hierarchy in `errors.ts`. */
export type FindingCode =
  // verify: the file diff and notes
  | 'FILE_CHANGED'
  | 'FILE_MISSING'
  | 'FILE_UNSIGNED'
  | 'UNSIGNED_FILE_IGNORED'
  | 'ATTESTATIONS_FOUND'
  | 'LEGACY_SIGNATURE_FORMAT'
  | 'LEGACY_DSSE_ENCODING'
  // sign: about the inputs
  | 'PRIVATE_KEY_READABLE_BY_OTHERS'
  | 'OTHER_KIND_SIGNATURE'
  // sign --incremental: about the digest cache (the signature is unaffected)
  | 'DIGEST_CACHE_IGNORED'
  | 'DIGEST_CACHE_UNAVAILABLE'
  | 'DIGEST_CACHE_NOT_SAVED'
  // verify lineage: links, signers and the policy's rules
  | 'ROLE_HAS_NO_SIGNERS'
  | 'UNTRUSTED_SIGNER'
  | 'UNSIGNED_ARTIFACT'
  | 'DIGEST_LINK_MISMATCH'
  | 'ATTESTATION_SUBJECT_MISMATCH'
  | 'DATASET_CARD_CONFLICT'
  | 'MISSING_DATASET_CARD'
  | 'LICENSE_NOT_ALLOWED'
  | 'FORBIDDEN_DATA'
  | 'BASE_MODEL_CYCLE'
  | 'MISSING_PROVENANCE'
  | 'PROVENANCE_CONFLICT'
  | 'BUILDER_NOT_ALLOWED'
  | 'LINEAGE_TOO_DEEP'
  | 'INPUT_NOT_FOUND'
  // verify lineage --evidence
  | 'EVIDENCE_MISSING'
  | 'EVIDENCE_CONFLICT'
  | 'EVIDENCE_UNUSED';

export interface Finding {
  readonly code: FindingCode | AiprovError['code'];
  readonly severity: Severity;
  /**
   * For errors: what kind of failure it is, as in the error hierarchy. `policy` means authentic
   * but not acceptable (exit 3); anything else means tampered, forged or unreadable (exit 1).
   */
  readonly category?: ErrorCategory;
  /** The file or resource concerned, relative to the artifact. */
  readonly path?: string;
  readonly fields: FindingFields;
}

/** An error of the hierarchy as a finding: its code, category and message are kept. */
export function findingFromError(error: AiprovError, subject?: string): Finding {
  return {
    code: error.code,
    severity: 'error',
    category: error.category === 'policy' ? 'policy' : 'verification',
    ...(error.path === undefined ? {} : { path: error.path }),
    fields: { ...(subject === undefined ? {} : { subject }), message: error.message },
  };
}
