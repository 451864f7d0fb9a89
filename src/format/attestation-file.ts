import { InputError, IOError } from '../errors.js';
import { readBoundedText } from '../input/read-bounded.js';
import { MAX_BUNDLE_BYTES, parseBundle, type BundleJson } from './bundle.js';
import { writeFileAtomic } from './atomic-write.js';

/** An attestations file holds a few bundles per artifact; a much larger one is refused unread. */
export const MAX_ATTESTATIONS_FILE_BYTES = 256 * 1024 * 1024;

export interface StoredAttestation {
  /** 1-based line in the file, for messages. */
  readonly line: number;
  readonly bundle: BundleJson;
}

/**
 * Reads a JSON Lines file of Sigstore bundles (the layout of `gh attestation download`). A missing
 * file is an empty list; a malformed line is an error naming the line, never silently skipped.
 * ATTESTATIONS_FILE_TOO_LARGE / ATTESTATIONS_FILE_NOT_A_FILE before anything is parsed.
 */
export async function readAttestations(path: string): Promise<StoredAttestation[]> {
  return parseBundleLines(await readAttestationsText(path), path);
}

/**
 * Reads an evidence file (`verify lineage --evidence`): JSON Lines of Sigstore bundles, like an
 * attestations file, but it must exist, and its errors name it as evidence (EVIDENCE_TOO_LARGE,
 * EVIDENCE_NOT_A_FILE; a line that is not a bundle is BUNDLE_INVALID naming the line).
 */
export async function readEvidenceFile(path: string): Promise<StoredAttestation[]> {
  return parseBundleLines(await readBoundedText(path, { maxBytes: MAX_ATTESTATIONS_FILE_BYTES, kind: 'EVIDENCE', what: 'evidence file' }), path);
}

/** Every non-empty line a bundle; a malformed line is an error naming it, never skipped. */
function parseBundleLines(text: string, path: string): StoredAttestation[] {
  const bundles: StoredAttestation[] = [];
  text.split('\n').forEach((content, index) => {
    if (content.trim() === '') return;
    const bytes = Buffer.from(content, 'utf8');
    if (bytes.byteLength > MAX_BUNDLE_BYTES) throw new InputError('BUNDLE_TOO_LARGE', `${path}:${String(index + 1)}: bundle larger than ${String(MAX_BUNDLE_BYTES)} bytes`, { path });
    bundles.push({ line: index + 1, bundle: parseBundle(bytes, `${path}:${String(index + 1)}`) });
  });
  return bundles;
}

/** Appends one bundle as a line; the file is rewritten atomically so a reader never sees half a line. */
export async function appendAttestation(path: string, bundle: BundleJson): Promise<void> {
  const existing = await readAttestationsText(path);
  const prefix = existing === '' || existing.endsWith('\n') ? existing : `${existing}\n`;
  await writeFileAtomic(path, `${prefix}${JSON.stringify(bundle)}\n`);
}

/** The file's text, '' when there is none yet. */
async function readAttestationsText(path: string): Promise<string> {
  try {
    return await readBoundedText(path, { maxBytes: MAX_ATTESTATIONS_FILE_BYTES, kind: 'ATTESTATIONS_FILE', what: 'attestations file' });
  } catch (error) {
    if (error instanceof IOError && error.code === 'FILE_NOT_FOUND') return '';
    throw error;
  }
}
