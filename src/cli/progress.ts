import { createRequire } from 'node:module';
import type { Options, SingleBar } from 'cli-progress';

/**
 * Progress of long hashing runs, on stderr. On a terminal, a bar that appears once the work has
 * lasted a moment (quick commands print exactly what they printed before). Elsewhere — a CI log,
 * a pipe — a log must not fill with redraws, yet a 500 GB model hashed in silence for minutes
 * looks hung: one plain line every few seconds (bytes, files, rate). `--quiet` and `--json`
 * silence both.
 */

export interface ProgressUpdate {
  readonly bytesHashed: number;
  readonly jobsDone: number;
  readonly totalBytes: number;
  readonly totalFiles: number;
  /** Jobs in all, when they are shards rather than files (`jobsDone` then counts shards). */
  readonly totalJobs?: number;
  /**
   * False while the artifact is still being listed: the totals are then of what was listed so
   * far (a large dataset is hashed while it is walked), shown with a "+".
   */
  readonly listingComplete?: boolean;
}

export interface ProgressReporter {
  onProgress(progress: ProgressUpdate): void;
  /** Removes the bar (if it was shown); idempotent. Call before printing the result. */
  stop(): void;
}

export interface ProgressReporterOptions {
  readonly stream: NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number };
  /** False for `--quiet`, `--json` and the like. */
  readonly enabled: boolean;
  /** What is being hashed, e.g. "Hashing model". */
  readonly label: string;
  /** How long work must last before the bar appears. */
  readonly delayMs?: number;
  /** Milliseconds clock; injectable so tests need no real waiting. */
  readonly now?: () => number;
  /** Not on a terminal: how often a plain progress line is written. */
  readonly logIntervalMs?: number;
}

/** A CI log gets a line this often while hashing lasts. */
export const DEFAULT_LOG_INTERVAL_MS = 5000;

/** Work shorter than this shows no bar: a flash of bar for a fast command is noise. */
export const DEFAULT_PROGRESS_DELAY_MS = 300;

const SILENT: ProgressReporter = {
  onProgress: () => undefined,
  stop: () => undefined,
};

export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  if (!options.enabled) return SILENT;
  if (options.stream.isTTY !== true) return createLogReporter(options);
  const now = options.now ?? Date.now;
  const delayMs = options.delayMs ?? DEFAULT_PROGRESS_DELAY_MS;
  const startedAt = now();
  let latest: ProgressUpdate | undefined;
  let bar: SingleBar | undefined;
  let stopped = false;

  const render = (): void => {
    if (latest === undefined) return;
    const payload = describeProgress(latest, now() - startedAt);
    if (bar === undefined) {
      bar = newBar(options);
      bar.start(latest.totalBytes, latest.bytesHashed, payload);
    } else {
      if (bar.getTotal() !== latest.totalBytes) bar.setTotal(latest.totalBytes);
      bar.update(latest.bytesHashed, payload);
    }
  };
  // Shows the bar on time even if the next update is late (one large file on few threads).
  const timer = setTimeout(render, delayMs);
  // A pending bar must never keep the process alive.
  timer.unref();

  return {
    onProgress(progress) {
      if (stopped) return;
      latest = progress;
      if (bar !== undefined || now() - startedAt >= delayMs) render();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      bar?.stop();
    },
  };
}

/**
 * Plain lines for a log: the first once the work has lasted one interval, then one per interval
 * at most (written when an update arrives, so a stalled run writes nothing new rather than a
 * repeated line), and nothing at the end: the command's result follows.
 */
function createLogReporter(options: ProgressReporterOptions): ProgressReporter {
  const now = options.now ?? Date.now;
  const interval = options.logIntervalMs ?? DEFAULT_LOG_INTERVAL_MS;
  const startedAt = now();
  let lastLine = startedAt;
  let stopped = false;
  return {
    onProgress(progress) {
      const at = now();
      if (stopped || at - lastLine < interval) return;
      lastLine = at;
      const { jobs, bytes, rate } = describeProgress(progress, at - startedAt);
      options.stream.write(`${options.label}: ${bytes}, ${jobs}, ${rate}\n`);
    },
    stop() {
      stopped = true;
    },
  };
}

function newBar(options: ProgressReporterOptions): SingleBar {
  // Loaded only when a bar is shown: most runs never need it, and start-up time matters.
  const { SingleBar: Bar } = createRequire(import.meta.url)('cli-progress') as { SingleBar: new (options: Options) => SingleBar };
  return new Bar({
    stream: options.stream,
    format: `${options.label} [{bar}] {percentage}% | {jobs} | {bytes} | {rate} | {left}`,
    barCompleteChar: '\u2588',
    barIncompleteChar: '\u2591',
    barsize: 30,
    // The result is printed where the bar was.
    clearOnComplete: true,
    hideCursor: false,
    fps: 10,
  });
}

/** The bar's text fields: counts, sizes in binary units, rate and time left at the mean rate. */
export function describeProgress(progress: ProgressUpdate, elapsedMs: number): { jobs: string; bytes: string; rate: string; left: string } {
  const bytesPerSecond = elapsedMs > 0 ? (progress.bytesHashed * 1000) / elapsedMs : 0;
  const remaining = Math.max(0, progress.totalBytes - progress.bytesHashed);
  const shards = progress.totalJobs !== undefined && progress.totalJobs !== progress.totalFiles;
  const total = shards ? (progress.totalJobs ?? 0) : progress.totalFiles;
  const listing = progress.listingComplete === false ? '+' : '';
  return {
    jobs: `${progress.jobsDone.toLocaleString('en-US')}/${total.toLocaleString('en-US')}${listing} ${shards ? 'shards' : 'files'}`,
    bytes: `${formatBytes(progress.bytesHashed)}/${formatBytes(progress.totalBytes)}${listing}`,
    rate: `${formatBytes(bytesPerSecond)}/s`,
    left: bytesPerSecond > 0 && listing === '' ? `${formatDuration(remaining / bytesPerSecond)} left` : '--',
  };
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? String(Math.round(value)) : value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit] ?? 'B'}`;
}

export function formatDuration(seconds: number): string {
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${String(whole)}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${String(minutes)}m${String(whole % 60).padStart(2, '0')}s`;
  return `${String(Math.floor(minutes / 60))}h${String(minutes % 60).padStart(2, '0')}m`;
}
