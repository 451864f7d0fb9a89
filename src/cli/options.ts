import { InvalidArgumentError, Option, type Command } from 'commander';
import type { HashType } from '../hashing/hash-type.js';
import type { ManifestOptions } from '../manifest/compute.js';
import type { SerializationMethod } from '../manifest/manifest.js';
import type { CliContext } from './context.js';
import { createProgressReporter, type ProgressUpdate } from './progress.js';

export function positiveInteger(value: string): number {
  const number = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(number) || number <= 0) {
    throw new InvalidArgumentError('must be a positive integer');
  }
  return number;
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `15m`, `24h`, `7d`: a duration in milliseconds. */
export function duration(value: string): number {
  const match = /^([1-9][0-9]{0,8})([smhd])$/.exec(value);
  const unit = match?.[2] === undefined ? undefined : DURATION_UNITS_MS[match[2]];
  if (match?.[1] === undefined || unit === undefined) throw new InvalidArgumentError('must be a whole number with a unit: s, m, h or d (e.g. 24h)');
  return Number(match[1]) * unit;
}

export interface ManifestFlags {
  readonly hash: HashType;
  readonly method?: SerializationMethod;
  readonly shardSize?: number;
  readonly ignorePaths?: string[];
  readonly allowSymlinks?: boolean;
  readonly allowExternalSymlinks?: boolean;
}

/** The serialization flags shared by `digest` and `sign` (model_signing's names, kebab-case). */
export function addManifestOptions(command: Command): Command {
  return command
    .addOption(new Option('--hash <type>', 'content hash').choices(['sha256', 'blake2b', 'blake3']).default('sha256'))
    .addOption(new Option('--method <method>', 'hash whole files or fixed-size shards').choices(['files', 'shards']))
    .option('--shard-size <bytes>', 'shard size in bytes (implies --method shards; default 1000000000)', positiveInteger)
    .option('--ignore-paths <path...>', 'paths inside the artifact to leave out (whole components)')
    .option('--allow-symlinks', 'hash a symbolic link\'s target under the link\'s name')
    .option('--allow-external-symlinks', 'also follow links that leave the artifact (e.g. a Hugging Face cache snapshot)');
}

export function manifestOptionsFrom(flags: ManifestFlags): ManifestOptions {
  const method = flags.method ?? (flags.shardSize === undefined ? 'files' : 'shards');
  return {
    hashType: flags.hash,
    method,
    ...(flags.shardSize === undefined ? {} : { shardSize: flags.shardSize }),
    ...(flags.ignorePaths === undefined ? {} : { ignorePaths: flags.ignorePaths }),
    allowSymlinks: flags.allowSymlinks === true || flags.allowExternalSymlinks === true,
    allowExternalSymlinks: flags.allowExternalSymlinks === true,
  };
}

/**
 * Runs hashing work with a progress bar on stderr (only on a terminal, only for work longer than a
 * moment, never with --quiet or --json) and Ctrl-C wired to the work's abort signal.
 */
export async function withProgress<T>(context: CliContext, flags: { readonly quiet?: boolean; readonly json?: boolean }, label: string, work: (hooks: { onProgress: (progress: ProgressUpdate) => void; signal: AbortSignal }) => Promise<T>): Promise<T> {
  const reporter = createProgressReporter({ stream: context.stderr, enabled: flags.quiet !== true && flags.json !== true, label });
  try {
    return await work({ onProgress: (progress) => { reporter.onProgress(progress); }, signal: context.signal });
  } finally {
    reporter.stop();
  }
}

/** `--trusted-root FILE` or `--staging` (the default is the embedded public-good root). */
export function trustRootChoiceFrom(flags: { readonly trustedRoot?: string; readonly staging?: boolean }): { trustedRoot?: string; staging?: boolean } {
  return { ...(flags.trustedRoot === undefined ? {} : { trustedRoot: flags.trustedRoot }), ...(flags.staging === true ? { staging: true } : {}) };
}
