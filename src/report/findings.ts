/**
 * The one place a finding's prose is written: from its code and structured fields. Results stay
 * data; the text and JSON reporters both call `findingMessage`.
 */
import type { Finding } from '../findings.js';

const list = (values: readonly string[] | undefined): string => (values === undefined || values.length === 0 ? '(none)' : values.join(', '));

export function findingMessage(finding: Finding): string {
  const { fields: f, path } = finding;
  const subject = f.subject ?? path ?? 'the artifact';
  switch (finding.code) {
    case 'FILE_CHANGED':
      return `${f.subject ?? path ?? '?'} differs from the signed content`;
    case 'FILE_MISSING':
      return `${f.subject ?? path ?? '?'} is signed but missing`;
    case 'FILE_UNSIGNED':
      return `${path ?? '?'} is not covered by the signature`;
    case 'UNSIGNED_FILE_IGNORED':
      return `${path ?? '?'} is not covered by the signature (ignored as asked)`;
    case 'ATTESTATIONS_FOUND':
      return `${String(f.count ?? 0)} attestation(s) beside the artifact (${list(f.values)}); \`aiprov verify lineage\` verifies them`;
    case 'LEGACY_SIGNATURE_FORMAT':
      return 'signed by model_signing v0.2 (per-file subjects, no serialization parameters); re-sign to get an OMS v1.0 signature';
    case 'LEGACY_DSSE_ENCODING':
      return 'the signature covers model_signing v0.2.0\'s malformed DSSE encoding (accepted for that legacy format only)';
    case 'PRIVATE_KEY_READABLE_BY_OTHERS':
      return `${path ?? '?'} is a private key readable by other users (mode ${f.value ?? '?'}); run chmod 600 on it and consider the key exposed`;
    case 'OTHER_KIND_SIGNATURE':
      return `the folder already holds ${path ?? '?'}, another kind's signature; this ${f.value ?? '?'} signature leaves it out (if the folder is not a ${f.value ?? '?'}, sign it with the --kind it is)`;
    case 'DIGEST_CACHE_IGNORED':
      return `digest cache ${f.subject ?? '?'} ignored (${f.value ?? '?'}): every file is hashed and the cache rewritten`;
    case 'DIGEST_CACHE_UNAVAILABLE':
      return `digest cache directory ${f.subject ?? '?'} not used (${f.value ?? '?'}): every file is hashed, nothing is cached`;
    case 'DIGEST_CACHE_NOT_SAVED':
      return `digest cache ${f.subject ?? '?'} not saved (${f.value ?? '?'}); the signature is not affected`;
    case 'ROLE_HAS_NO_SIGNERS':
      return `the policy trusts no signer for the ${f.value ?? '?'} role, so ${subject} cannot be accepted`;
    case 'UNTRUSTED_SIGNER':
      return `${subject} is not signed by any signer the policy trusts for the ${f.value ?? '?'} role (${list(f.values)})`;
    case 'UNSIGNED_ARTIFACT':
      return `${subject} (${f.digest ?? '?'}) has no signature (${f.value ?? '?'})`;
    case 'DIGEST_LINK_MISMATCH':
      return `the provenance names ${subject} as ${f.expectedDigest ?? '?'}, but its signature covers ${f.digest ?? '?'}`;
    case 'ATTESTATION_SUBJECT_MISMATCH':
      return `the ${f.value ?? '?'} attestation is about another artifact (${(f.values ?? []).join('; ')}), not ${f.digest ?? '?'}`;
    case 'DATASET_CARD_CONFLICT':
      return `${subject} has ${String(f.count ?? 0)} trusted dataset cards that disagree`;
    case 'MISSING_DATASET_CARD':
      return `${subject} has no dataset card signed by a trusted signer`;
    case 'LICENSE_NOT_ALLOWED':
      return `${subject} is licensed ${f.value ?? '?'}, which the policy does not allow (${list(f.values)})`;
    case 'FORBIDDEN_DATA':
      return `${subject} declares sensitive personal information "${f.value ?? '?'}"; the policy requires "no"`;
    case 'BASE_MODEL_CYCLE':
      return `${subject} (${f.digest ?? '?'}) is its own ancestor`;
    case 'MISSING_PROVENANCE':
      return `${subject} has no training provenance signed by a trusted signer`;
    case 'PROVENANCE_CONFLICT':
      return `two training provenance attestations for ${subject} disagree (builder or inputs differ)`;
    case 'BUILDER_NOT_ALLOWED':
      return `${subject} was built by ${f.value ?? '?'}, which the policy does not allow (${list(f.values)})`;
    case 'LINEAGE_TOO_DEEP':
      return `${subject} is base-model level ${String(f.count ?? 0)}; the policy follows at most ${String(f.limit ?? 0)}`;
    case 'INPUT_NOT_FOUND':
      return `${subject} (${f.digest ?? '?'}) was not found${f.value === undefined ? '' : ` at ${f.value}`}; pass --search DIR`;
    case 'EVIDENCE_MISSING':
      return `${subject} (${f.digest ?? '?'}) is neither on disk nor signed in the evidence${f.value === undefined ? ' (no --evidence given)' : ` ${f.value}`}`;
    case 'EVIDENCE_CONFLICT':
      return `the evidence holds other signatures for ${subject} that name another digest than ${f.digest ?? '?'} (${(f.values ?? []).join(', ')})`;
    case 'EVIDENCE_UNUSED':
      // `values` holds the first few line numbers only; `count` says how many lines there are.
      return `${String(f.count ?? 0)} bundle(s) of the evidence ${f.value ?? ''} (line ${(f.values ?? []).join(', ')}${(f.count ?? 0) > (f.values ?? []).length ? ', …' : ''}) are not part of this lineage: evidence about something else, or a second account of an input`;
    default:
      // A finding made from an error of the hierarchy: the error's own message.
      return f.subject === undefined ? f.message ?? finding.code : `${f.subject}: ${f.message ?? finding.code}`;
  }
}
