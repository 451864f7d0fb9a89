/**
 * Evidence the verdict did not use (`verify lineage --evidence`). Each unused line is still
 * authenticated, once, against only the policy signers it can be from: a forgery among them
 * fails the verification whatever else was found. The cost of a line is then one signature
 * check, whatever the file's length or the policy's size; trying every line against every signer
 * let a file of 10,000 lines buy tens of thousands of checks.
 */
import { isAiprovError, type AiprovError } from '../errors.js';
import type { StoredAttestation } from '../format/attestation-file.js';
import type { BundleJson } from '../format/bundle.js';
import { publicKeyHint, sameEmbeddedKey } from '../format/keys.js';
import { findingFromError, type Finding } from '../findings.js';
import type { ResolvedPolicy, ResolvedSigner } from '../policy/resolve.js';
import { authenticateDsseBundle, type ArtifactTrust } from '../verify/verify-artifact.js';
import { failure, NOT_THIS_SIGNER, trustsOf } from './trusted-signer.js';

/** How many line numbers a summary names; its count says how many there are. */
const LINES_SHOWN = 5;

/**
 * The policy's signers grouped by what a bundle's verification material can match: key signers
 * by their key hint (the `publicKey.hint` aiprov and model_signing write, `publicKeyHint`),
 * certificate and keyless signers together (a bundle carrying a certificate is verified by them
 * only; a bare key by key signers only, as `authenticateDsseBundle` itself requires).
 */
class SignerIndex {
  private readonly keySigners: { readonly hint: string; readonly signer: Extract<ResolvedSigner, { kind: 'key' }> }[] = [];
  private readonly certificateTrusts: ArtifactTrust[] = [];
  /**
   * For a bundle no signer can match: one trust whose attempt runs the checks every attempt
   * runs first (media type, one DSSE signature over an in-toto payload) and then says "not this
   * signer", so a malformed bundle is refused as it would be by every signer. A key or
   * certificate trust when there is one: a keyless attempt parses the bundle with sigstore-js.
   */
  private readonly fallback: ArtifactTrust | undefined;

  constructor(private readonly policy: ResolvedPolicy) {
    const keyless: ArtifactTrust[] = [];
    for (const signer of policy.signers.values()) {
      if (signer.kind === 'key') this.keySigners.push({ hint: publicKeyHint(signer.publicKey), signer });
      else (signer.kind === 'certificate' ? this.certificateTrusts : keyless).push(...trustsOf(signer, policy));
    }
    const [firstKey] = this.keySigners;
    this.fallback = (firstKey === undefined ? undefined : trustsOf(firstKey.signer, policy)[0]) ?? this.certificateTrusts[0] ?? keyless[0];
    this.certificateTrusts.push(...keyless);
  }

  /**
   * The trusts a bundle can authenticate against. A key bundle's hint is unauthenticated: it only
   * chooses, and a bundle whose hint names no signer's key is by nobody the policy trusts (every
   * key signer would refuse it as KEY_MISMATCH). An empty hint names no key: every key signer.
   */
  candidates(bundle: BundleJson): ArtifactTrust[] {
    const matching = this.matching(bundle);
    return matching.length > 0 || this.fallback === undefined ? matching : [this.fallback];
  }

  private matching(bundle: BundleJson): ArtifactTrust[] {
    const { publicKey } = bundle.verificationMaterial;
    if (publicKey === undefined) return this.certificateTrusts;
    const keys =
      'hint' in publicKey
        ? this.keySigners.filter(({ hint }) => publicKey.hint === '' || publicKey.hint === hint)
        : this.keySigners.filter(({ signer }) => sameEmbeddedKey(Buffer.from(publicKey.rawBytes, 'base64'), signer.publicKey));
    return keys.flatMap(({ signer }) => trustsOf(signer, this.policy));
  }
}

/**
 * A bundle no trusted signer's key verifies (a bad signature, an altered payload) is a forgery:
 * the verification fails, whatever else it found. A genuine bundle left unused is about
 * something else, or a second account of an input: a verdict that would pass must not (the file
 * is not what the release wrote); one already failed or denied is not made worse by bundles it
 * never reached (an input the policy wants on disk, a base model deeper than it follows).
 *
 * Summarised: one finding for the forgeries (the first, with how many there are and the first
 * lines) and one EVIDENCE_UNUSED (a count and the first lines), never one per line.
 */
export function unusedEvidenceFindings(source: string, unused: readonly StoredAttestation[], policy: ResolvedPolicy, now: Date, failedAlready: boolean): Finding[] {
  if (unused.length === 0) return [];
  const signers = new SignerIndex(policy);
  const forged: { readonly line: number; readonly error: AiprovError }[] = [];
  const genuine: number[] = [];
  for (const { line, bundle } of unused) {
    const decisive = decisiveFailure(bundle, signers.candidates(bundle), now);
    if (decisive !== undefined) forged.push({ line, error: decisive });
    else genuine.push(line);
  }
  const findings: Finding[] = [];
  const [first] = forged;
  if (first !== undefined) {
    const finding = findingFromError(first.error, `${source}:${String(first.line)}`);
    const more = forged.length === 1 ? '' : ` (${String(forged.length)} lines of the evidence fail: ${shownLines(forged.map(({ line }) => line), forged.length)})`;
    findings.push({ ...finding, category: 'verification', fields: { ...finding.fields, message: `${first.error.message}${more}`, count: forged.length, values: forged.slice(0, LINES_SHOWN).map(({ line }) => String(line)) } });
  }
  if (genuine.length > 0 && !failedAlready && forged.length === 0) {
    findings.push(failure('EVIDENCE_UNUSED', 'verification', { value: source, values: genuine.slice(0, LINES_SHOWN).map(String), count: genuine.length }));
  }
  return findings;
}

/** Why no candidate authenticates the bundle, when that is more than "not this signer"; undefined if one does or none is decisive. */
function decisiveFailure(bundle: BundleJson, candidates: readonly ArtifactTrust[], now: Date): AiprovError | undefined {
  const failures: AiprovError[] = [];
  for (const trust of candidates) {
    try {
      authenticateDsseBundle(bundle, trust, now);
      return undefined;
    } catch (error) {
      if (!isAiprovError(error)) throw error;
      failures.push(error);
    }
  }
  return failures.find((error) => !NOT_THIS_SIGNER.has(error.code) && error.category !== 'policy' && error.code !== 'TIMESTAMP_AUTHORITY_REQUIRED');
}

function shownLines(lines: readonly number[], count: number): string {
  return `${lines.slice(0, LINES_SHOWN).join(', ')}${count > LINES_SHOWN ? ', …' : ''}`;
}
