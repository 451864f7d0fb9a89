import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { asAiprovError, EXIT_OK, exitStatusFor, InputError, IOError, type AiprovError } from '../errors.js';
import { failureJson } from '../report/json.js';
import { oneLine, renderError } from '../report/text.js';
import { registerAttestCommands } from './commands/attest.js';
import { registerBomCommands } from './commands/bom.js';
import { registerConformanceCommands } from './commands/conformance.js';
import { registerPolicyCommands } from './commands/policy.js';
import { translateModelSigningArgv } from './model-signing-compat.js';
import { registerSignCommands } from './commands/sign.js';
import { registerVerifyCommands } from './commands/verify.js';
import type { CliContext } from './context.js';

function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/**
 * The CLI only parses flags, calls one library function, prints and picks the exit status. Each
 * command's action imports what it needs when it runs, so `aiprov --version` loads no Sigstore,
 * crypto or YAML module.
 */
export async function main(argv: readonly string[], context: CliContext = processContext()): Promise<number> {
  let usageError: string | undefined;
  const program = new Command('aiprov')
    .description('Sign and verify AI models, datasets and training recipes with Sigstore')
    .version(packageVersion(), '-V, --version')
    .showSuggestionAfterError(true)
    .enablePositionalOptions()
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
      outputError: (text, write) => {
        // commander puts its did-you-mean on a line of its own; anything else is escaped.
        usageError = text.replace(/^error: /, '').trim().replace(/\n(?=\(Did you mean )/, ' ');
        write(`aiprov: USAGE: ${oneLine(usageError)}\n`);
      },
    })
    .exitOverride();
  let exitStatus = EXIT_OK;
  const setExitStatus = (status: number): void => {
    exitStatus = status;
  };
  registerSignCommands(program, context, setExitStatus);
  registerVerifyCommands(program, context, setExitStatus);
  registerAttestCommands(program, context, setExitStatus);
  registerPolicyCommands(program, context, setExitStatus);
  registerBomCommands(program, context, setExitStatus);
  registerConformanceCommands(program, context, setExitStatus);

  try {
    await program.parseAsync(translateModelSigningArgv(argv), { from: 'user' });
    return exitStatus;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed on stderr,
      // and with --json they are also the JSON failure on stdout, like every other failure.
      if (error.exitCode === 0) return EXIT_OK;
      if (wantsJson(argv)) writeFailureJson(new InputError('USAGE', usageError ?? error.message), context, argv[0]);
      return exitStatusFor('input');
    }
    if (context.signal.aborted) {
      reportError(asAiprovError(context.signal.reason), context, false);
      return INTERRUPTED_EXIT_STATUS;
    }
    return reportError(asAiprovError(error), context, wantsJson(argv), argv[0]);
  }
}

function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json') || argv.includes('--format=json') || formatIsJson(argv);
}

function writeFailureJson(error: AiprovError, context: CliContext, command = ''): void {
  context.stdout.write(`${JSON.stringify(failureJson(error, VERIFYING_COMMANDS.has(command)), null, 2)}\n`);
}

/** Commands whose JSON output answers "verified?": their failures say `verified: false` too. */
const VERIFYING_COMMANDS = new Set(['verify', 'verify-bundle', 'inspect']);

/** Prints an error as one line (or as JSON with --json) and returns its exit status. */
export function reportError(error: AiprovError, context: CliContext, json: boolean, command = ''): number {
  if (json) writeFailureJson(error, context, command);
  context.stderr.write(`${renderError(error)}\n`);
  return exitStatusFor(error.category);
}

/**
 * The real process. Ctrl-C aborts the running command (hashing workers stop; signatures are only
 * ever written whole, by rename); a second Ctrl-C exits at once.
 */
function processContext(): CliContext {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    controller.abort(new IOError('INTERRUPTED', 'interrupted (Ctrl-C); nothing was written'));
    process.once('SIGINT', () => process.exit(INTERRUPTED_EXIT_STATUS));
  });
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd(), signal: controller.signal };
}

/** `--format json` (verify lineage) asks for JSON as `--json` does. */
function formatIsJson(argv: readonly string[]): boolean {
  const index = argv.indexOf('--format');
  return index >= 0 && argv[index + 1] === 'json';
}

/** What shells report for a process ended by SIGINT (128 + 2). */
const INTERRUPTED_EXIT_STATUS = 130;
