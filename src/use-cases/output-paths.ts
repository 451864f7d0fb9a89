/**
 * Where `verify --vsa-out`, `verify lineage --vsa-out` and `--evidence-out` may write. A verifier
 * that writes into the artifact it verified changes what it just vouched for (a summary inside a
 * model is a file no signature lists, so the next `verify` fails and the next gate refuses); one
 * that writes over an input (the policy, a key, a trust root, the signature, the evidence it
 * read) destroys what the next verification must read. Both are refused before anything is
 * verified, as `sign --signature` over a file of the artifact is.
 */
import { realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { artifactFiles, pathInsideArtifact, type ArtifactKind } from '../format/artifact-kind.js';

export interface OutputTarget {
  /** The flag, for messages: `--vsa-out`. */
  readonly flag: string;
  readonly path: string;
  /**
   * The one name this output may have inside the artifact, at its top level: `--evidence-out`'s
   * `<kind>.evidence.jsonl`, which `sign` records in `ignore_paths` (absent: never inside).
   */
  readonly insideAs?: string;
}

export interface OutputCheck {
  readonly artifactPath: string;
  readonly kind: ArtifactKind;
  readonly outputs: readonly OutputTarget[];
  /** Every file the command reads besides the artifact: policy, keys, certificates, trust roots, evidence, an explicit signature. */
  readonly inputs: readonly string[];
}

/** Refuses (OUTPUT_PATH_INVALID, exit 2) an output inside the artifact, over an input, or over another output. */
export async function refuseUnsafeOutputs(check: OutputCheck): Promise<void> {
  const artifact = await canonical(check.artifactPath);
  const files = await artifactFiles(check.artifactPath, check.kind);
  const inputs = new Map<string, string>();
  for (const input of [files.signaturePath, files.attestationsPath, ...check.inputs]) inputs.set(await canonical(input), input);
  const written = new Map<string, string>();
  for (const output of check.outputs) {
    const refuse = (why: string): InputError => new InputError('OUTPUT_PATH_INVALID', `${output.flag} ${output.path} ${why}; choose a path outside the artifact that is not one of the command's inputs`, { path: output.path });
    if (['', '.', '..'].includes(basename(output.path)) || output.path.endsWith('/')) throw refuse('names a directory, not a file');
    const target = await canonical(output.path);
    if (target === artifact) throw refuse('is the artifact itself');
    const inside = pathInsideArtifact(artifact, target);
    // The evidence file beside the content, only under the name the signer already left out.
    if (inside !== undefined && (output.insideAs === undefined || inside !== output.insideAs)) {
      throw refuse(output.insideAs === undefined ? 'is inside the artifact, which would then hold a file no signature lists' : `is inside the artifact; the only name allowed there is ${output.insideAs} at its top level (the name \`sign\` leaves out)`);
    }
    const input = inputs.get(target);
    if (input !== undefined) throw refuse(`would overwrite ${input}, an input of this command`);
    const other = written.get(target);
    if (other !== undefined) throw refuse(`is also ${other}`);
    written.set(target, output.flag);
  }
}

/**
 * The path as the file system will resolve it when the output is written: component by
 * component, links followed before `..` is applied (`out/link/../x`, with `out/link` a link into
 * the model, is inside the model), so never `path.resolve` first, which drops `..` as text.
 */
async function canonical(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    try {
      return join(await realpath(dirname(path)), basename(path));
    } catch {
      // No such directory: nothing can be written there either.
      return resolve(path);
    }
  }
}
