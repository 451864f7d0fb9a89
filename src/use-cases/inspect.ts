/** `aiprov inspect`: what a bundle, or each bundle of an attestations file, claims — unverified. */
import { readAttestations } from '../format/attestation-file.js';
import { readBundleFile } from '../format/bundle.js';
import { inspectBundle, type BundleInspection } from '../verify/inspect.js';

export type FileInspection =
  | { readonly kind: 'bundle'; readonly inspection: BundleInspection }
  | { readonly kind: 'attestations'; readonly path: string; readonly attestations: readonly { readonly line: number; readonly inspection: BundleInspection }[] };

/** A `.jsonl` file is read as JSON Lines of bundles (the layout of `gh attestation download`). */
export async function inspectFile(path: string): Promise<FileInspection> {
  if (path.endsWith('.jsonl')) {
    const stored = await readAttestations(path);
    return { kind: 'attestations', path, attestations: stored.map(({ line, bundle }) => ({ line, inspection: inspectBundle(bundle) })) };
  }
  return { kind: 'bundle', inspection: inspectBundle(await readBundleFile(path)) };
}
