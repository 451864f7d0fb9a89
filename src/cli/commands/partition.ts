/**
 * The partitioned forms of `digest` and `verify` (hash or verify one artifact across machines):
 * `--partition K/N` runs part K, `--merge PART…` puts the parts' `--json` outputs together.
 * `sign.ts` and `verify.ts` call these from their actions.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { EXIT_OK, exitStatusFor, InputError } from '../../errors.js';
import type { Partition } from '../../manifest/partition.js';
import type { DigestPartOptions } from '../../use-cases/digest-parts.js';
import type { ArtifactTrust, VerifyArtifactOptions } from '../../verify/verify-artifact.js';
import type { CliContext, SetExitStatus } from '../context.js';
import { withProgress } from '../options.js';

/**
 * `K/N` with 1 ≤ K ≤ N: K is 1-based, as in `jest --shard=1/3` and `playwright --shard=1/3`. The
 * library bounds N (`checkPartition`); this module stays free of it so `aiprov --version` loads
 * nothing of the manifest code.
 */
export function partitionArgument(value: string): Partition {
  const match = /^([1-9][0-9]{0,8})\/([1-9][0-9]{0,8})$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || index > count) throw new InvalidArgumentError('must be K/N with 1 <= K <= N: part K (counted from 1) of N, e.g. 1/3');
  return { index, count };
}

/**
 * Refuses flags that a mode would silently ignore (a merge reads everything from its parts: a
 * `--hash` beside it would change nothing, and a user who passed it expected it to).
 */
export function refuseGivenOptions(command: Command, mode: string, refused: (attributeName: string) => boolean, why: string): void {
  const given = command.options.filter((option) => refused(option.attributeName()) && command.getOptionValueSource(option.attributeName()) === 'cli');
  if (given.length > 0) throw new InputError('USAGE', `${mode} takes no ${given.map((option) => option.long ?? option.flags).join(', ')}: ${why}`);
}

interface MergeFlags {
  readonly merge?: string[];
  readonly json?: boolean;
}

/**
 * The PART… of `--merge` (commander gives at least one to a variadic option), and no PATH. Flags
 * other than `accepted` are refused.
 */
function mergePaths(command: Command, path: string | undefined, flags: MergeFlags, accepted: readonly string[] = []): [string, ...string[]] {
  if (path !== undefined) throw new InputError('USAGE', `--merge takes the parts' files, not an artifact: drop ${path}, or put it after --merge if it is a part`);
  refuseGivenOptions(command, '--merge', (name) => !['merge', 'json', 'quiet', ...accepted].includes(name), 'the parts record what they were made with');
  const [first, ...others] = flags.merge ?? [];
  if (first === undefined) throw new InputError('USAGE', '--merge needs the files of every part');
  return [first, ...others];
}

export async function runDigestMerge(context: CliContext, command: Command, path: string | undefined, flags: MergeFlags): Promise<void> {
  const paths = mergePaths(command, path, flags);
  const { mergeDigestPartFiles } = await import('../../use-cases/digest-parts.js');
  const { computeRootDigest } = await import('../../manifest/manifest.js');
  const manifest = await mergeDigestPartFiles(paths);
  const root = computeRootDigest(manifest.resources);
  if (flags.json === true) {
    const { digestMergeJson } = await import('../../report/json.js');
    context.stdout.write(`${JSON.stringify(digestMergeJson(manifest, root), null, 2)}\n`);
  } else {
    context.stdout.write(`sha256:${root}\n`);
  }
}

export async function runDigestPartition(context: CliContext, path: string, partition: Partition, flags: { readonly json?: boolean; readonly quiet?: boolean }, options: DigestPartOptions): Promise<void> {
  const { digestPart } = await import('../../use-cases/digest-parts.js');
  const part = await withProgress(context, flags, 'Hashing', (hooks) => digestPart(path, partition, { ...options, ...hooks }));
  if (flags.json === true) {
    const { digestPartJson } = await import('../../report/json.js');
    context.stdout.write(`${JSON.stringify(digestPartJson(part), null, 2)}\n`);
  } else {
    const { renderDigestPart } = await import('../../report/partition.js');
    context.stdout.write(`${renderDigestPart(part)}\n`);
  }
}

export async function runVerifyPartition(context: CliContext, setExitStatus: SetExitStatus, path: string, partition: Partition, flags: { readonly json?: boolean; readonly quiet?: boolean }, options: Omit<VerifyArtifactOptions, 'bundle' | 'onProgress' | 'signal'>): Promise<void> {
  const { verifyArtifactPart } = await import('../../verify/verify-part.js');
  const result = await withProgress(context, flags, 'Verifying', (hooks) => verifyArtifactPart(path, partition, { ...options, ...hooks }));
  if (flags.json === true) {
    const { verifyPartJson } = await import('../../report/json.js');
    context.stdout.write(`${JSON.stringify(verifyPartJson(result), null, 2)}\n`);
  } else {
    const { renderVerifyPart } = await import('../../report/partition.js');
    context.stdout.write(`${renderVerifyPart(result)}\n`);
  }
  setExitStatus(result.passed ? EXIT_OK : exitStatusFor('verification'));
}

/**
 * `verify --merge`: the parts' word on the signature is not evidence, so the merge takes the trust
 * flags of `verify` (`trustFlags`, their attribute names; resolved by `resolveTrust`) and
 * `--signature`, and authenticates the bundle itself.
 */
export async function runVerifyMerge(
  context: CliContext,
  setExitStatus: SetExitStatus,
  command: Command,
  path: string | undefined,
  flags: MergeFlags & { readonly signature?: string },
  trustFlags: readonly string[],
  resolveTrust: () => Promise<ArtifactTrust>,
): Promise<void> {
  const paths = mergePaths(command, path, flags, [...trustFlags, 'signature', 'offline']);
  const trust = await resolveTrust();
  const { mergeVerifyPartFiles } = await import('../../use-cases/verify-merge.js');
  const result = await mergeVerifyPartFiles(paths, { trust, ...(flags.signature === undefined ? {} : { signaturePath: flags.signature }) });
  if (flags.json === true) {
    const { verifyMergeJson } = await import('../../report/json.js');
    context.stdout.write(`${JSON.stringify(verifyMergeJson(result), null, 2)}\n`);
  } else {
    const { renderMergedVerification } = await import('../../report/partition.js');
    context.stdout.write(`${renderMergedVerification(result)}\n`);
  }
  setExitStatus(result.verified ? EXIT_OK : exitStatusFor('verification'));
}
