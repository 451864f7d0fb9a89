import { PolicyError as SigstorePolicyError, VerificationError as SigstoreVerificationError } from '@sigstore/verify';
import { AiprovError, isAiprovError, InputError, PolicyError, VerificationError } from '../errors.js';


/** Re-codes `@sigstore/verify` errors; their messages are replaced, their cause kept. */
export function recodeVerifyError(error: unknown): AiprovError {
  if (isAiprovError(error)) return error;
  if (error instanceof SigstorePolicyError) {
    return new PolicyError('IDENTITY_MISMATCH', 'the signer does not match the identity policy', { cause: error });
  }
  if (error instanceof SigstoreVerificationError) {
    switch (error.code) {
      case 'TLOG_INCLUSION_PROOF_ERROR':
        return new VerificationError('TLOG_INVALID', 'a transparency log inclusion proof does not verify (wrong root hash, path or checkpoint, or a checkpoint not signed by a trusted log)', { cause: error });
      case 'TLOG_INCLUSION_PROMISE_ERROR':
        return new VerificationError('TLOG_INVALID', 'a transparency log signed entry timestamp (inclusion promise) does not verify with a trusted log key valid at its time', { cause: error });
      case 'TLOG_MISSING_INCLUSION_ERROR':
        return new VerificationError('TLOG_INVALID', 'a transparency log entry has neither an inclusion proof nor an inclusion promise', { cause: error });
      case 'TLOG_BODY_ERROR':
        return new VerificationError('TLOG_INVALID', 'a transparency log entry records another signature, digest or key than the bundle\'s', { cause: error });
      case 'TLOG_ERROR':
        return new VerificationError('TLOG_INVALID', 'the transparency log entries do not meet the required count', { cause: error });
      case 'CERTIFICATE_ERROR':
        return new VerificationError('CERTIFICATE_CHAIN_INVALID', 'the signing certificate does not chain to a trusted CA valid at the verified time, or lacks a valid SCT from a trusted CT log', { cause: error });
      case 'PUBLIC_KEY_ERROR':
        return new VerificationError('PUBLIC_KEY_INVALID', 'the public key is unknown or not valid at the verified time', { cause: error });
      case 'SIGNATURE_ERROR':
        return new VerificationError('SIGNATURE_INVALID', 'the signature does not verify: the artifact or payload was altered, or another key signed it', { cause: error });
      case 'TIMESTAMP_ERROR':
        return new VerificationError('TIMESTAMP_INVALID', 'a timestamp does not verify (untrusted or expired timestamp authority, or it covers another signature), or timestamps are repeated', { cause: error });
      case 'NOT_IMPLEMENTED_ERROR':
        return new InputError('BUNDLE_UNSUPPORTED', 'the bundle uses a feature aiprov cannot verify', { cause: error });
    }
  }
  // Anything else (an ASN.1, certificate or timestamp parse error deep in verification) is
  // malformed evidence, never a pass.
  return new VerificationError('VERIFICATION_FAILED', 'the bundle could not be verified: part of its evidence is malformed', { cause: error });
}

