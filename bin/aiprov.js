#!/usr/bin/env node
// Thin launcher: everything lives in the compiled CLI (built by `npm install` via `prepare`).
// `--version` is answered here, before the CLI's modules load: scripts call it to probe for the
// tool, and it should cost no more than starting Node.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(args);
}
