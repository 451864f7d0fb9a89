import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createProgressReporter, describeProgress, formatBytes, formatDuration, type ProgressUpdate } from '../../src/cli/progress.js';
import { REPO_ROOT } from '../support/paths.js';

const GiB = 1024 ** 3;
const HALF_WAY: ProgressUpdate = { bytesHashed: 2 * GiB, jobsDone: 1_000, totalBytes: 4 * GiB, totalFiles: 2_004 };

/** A stream that records what is written, optionally claiming to be a terminal. */
function recorder(isTTY: boolean): Writable & { isTTY: boolean; columns: number; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return Object.assign(stream, { isTTY, columns: 120, text: () => chunks.join('') });
}

describe('createProgressReporter', () => {
  it('draws a bar with files, bytes, rate and time left on a terminal once the delay has passed', () => {
    const stream = recorder(true);
    let clock = 0;
    const reporter = createProgressReporter({ stream, enabled: true, label: 'Hashing model', now: () => clock });
    reporter.onProgress({ ...HALF_WAY, bytesHashed: 0, jobsDone: 0 });
    expect(stream.text()).toBe('');
    clock = 1_000;
    reporter.onProgress(HALF_WAY);
    reporter.stop();
    const text = stream.text();
    expect(text).toContain('Hashing model');
    expect(text).toContain('50%');
    expect(text).toContain('1,000/2,004 files');
    expect(text).toContain('2.00 GiB/4.00 GiB');
    expect(text).toContain('2.00 GiB/s');
    expect(text).toContain('1s left');
  });

  it('shows nothing for work that ends before the delay', () => {
    const stream = recorder(true);
    const reporter = createProgressReporter({ stream, enabled: true, label: 'Hashing', now: () => 0 });
    reporter.onProgress(HALF_WAY);
    reporter.onProgress({ ...HALF_WAY, bytesHashed: HALF_WAY.totalBytes, jobsDone: HALF_WAY.totalFiles });
    reporter.stop();
    expect(stream.text()).toBe('');
  });

  it('shows nothing when disabled (--quiet, --json), on a terminal or not', () => {
    for (const isTTY of [true, false]) {
      const stream = recorder(isTTY);
      const reporter = createProgressReporter({ stream, enabled: false, label: 'Hashing', delayMs: 0, logIntervalMs: 0 });
      reporter.onProgress(HALF_WAY);
      reporter.stop();
      expect(stream.text()).toBe('');
    }
  });

  it('writes a plain line every interval when the stream is not a terminal (a CI log), and nothing before the first', () => {
    const stream = recorder(false);
    let clock = 0;
    const reporter = createProgressReporter({ stream, enabled: true, label: 'Hashing', now: () => clock, logIntervalMs: 5000 });
    clock = 1000;
    reporter.onProgress(HALF_WAY);
    expect(stream.text()).toBe('');
    clock = 5000;
    reporter.onProgress(HALF_WAY);
    clock = 6000;
    reporter.onProgress(HALF_WAY);
    clock = 10_000;
    reporter.onProgress(HALF_WAY);
    reporter.stop();
    clock = 20_000;
    reporter.onProgress(HALF_WAY);
    const lines = stream.text().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Hashing: [0-9.]+ [KMG]?i?B\/[0-9.]+ [KMG]?i?B, [0-9,]+\/[0-9,]+ (files|shards), [0-9.]+ [KMG]?i?B\/s$/);
    expect(stream.text()).not.toContain('\u001b');
  });

  it('ignores updates after stop, and stop twice', () => {
    const stream = recorder(true);
    const reporter = createProgressReporter({ stream, enabled: true, label: 'Hashing', delayMs: 0 });
    reporter.onProgress(HALF_WAY);
    reporter.stop();
    const written = stream.text();
    reporter.onProgress(HALF_WAY);
    reporter.stop();
    expect(stream.text()).toBe(written);
  });
});

describe('progress text', () => {
  it('formats sizes in binary units and durations compactly', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(200 * 1024 * 1024)).toBe('200.0 MiB');
    expect(formatDuration(0.2)).toBe('1s');
    expect(formatDuration(65)).toBe('1m05s');
    expect(formatDuration(3 * 3600 + 7 * 60)).toBe('3h07m');
  });

  it('counts shards when the jobs are shards', () => {
    expect(describeProgress({ ...HALF_WAY, jobsDone: 3, totalJobs: 9 }, 1_000).jobs).toBe('3/9 shards');
    expect(describeProgress({ ...HALF_WAY, totalJobs: HALF_WAY.totalFiles }, 1_000).jobs).toBe('1,000/2,004 files');
  });

  it('has no rate and no time left before anything is hashed', () => {
    expect(describeProgress({ ...HALF_WAY, bytesHashed: 0 }, 0)).toMatchObject({ rate: '0 B/s', left: '--' });
  });
});

// A real terminal: the reporter runs in a child process whose stderr is a pseudo-terminal made
// by util-linux `script`, and the compiled module (vitest's global setup builds dist/).
describe.skipIf(!existsSync('/usr/bin/script'))('in a pseudo-terminal', () => {
  const child = `
    const { createProgressReporter } = await import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist', 'cli', 'progress.js')).href)});
    const reporter = createProgressReporter({ stream: process.stderr, enabled: true, label: 'Hashing model', delayMs: 0 });
    reporter.onProgress(${JSON.stringify(HALF_WAY)});
    reporter.stop();
    process.stdout.write('done');
  `;
  const nodeCommand = `${JSON.stringify(process.execPath)} --input-type=module -e ${shellQuote(child)}`;

  it('draws the bar when stderr is a terminal', () => {
    const result = spawnSync('script', ['-qec', nodeCommand, '/dev/null'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Hashing model');
    expect(result.stdout).toContain('1,000/2,004 files');
    expect(result.stdout).toContain('done');
  });

  it('writes nothing when stderr is a pipe', () => {
    const result = spawnSync('sh', ['-c', nodeCommand], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('done');
  });
});

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
