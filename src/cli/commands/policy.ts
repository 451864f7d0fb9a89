import type { Command } from 'commander';
import { EXIT_OK, exitStatusFor, InputError } from '../../errors.js';
import type { PolicyCheckResult } from '../../policy/resolve.js';
import type { CliContext, SetExitStatus } from '../context.js';

interface InitFlags {
  readonly output?: string;
  readonly force?: boolean;
}

interface CheckFlags {
  readonly json?: boolean;
}

/**
 * `aiprov policy init` and `aiprov policy check`. `check` prints its findings on stdout (every
 * problem, one per line, `file:line:col: path: message`) and, when there are any, one
 * `aiprov: POLICY_INVALID: …` line on stderr; it exits 0 when the policy is valid and 2 when it
 * is not. A policy file that cannot be read at all is an error like any other (exit 4).
 */
export function registerPolicyCommands(program: Command, context: CliContext, setExitStatus: SetExitStatus): void {
  const write = (text: string): void => {
    context.stdout.write(`${text}\n`);
  };

  const policy = program.command('policy').description('write and check policy files (who may sign what, what must be attested)');

  policy
    .command('init')
    .description('write a commented example policy (to stdout unless --output)')
    .option('-o, --output <file>', 'write the policy to this file')
    .option('--force', 'overwrite an existing file')
    .action(async (flags: InitFlags) => {
      const { EXAMPLE_POLICY, writeExamplePolicy } = await import('../../policy/example.js');
      if (flags.output === undefined) {
        context.stdout.write(EXAMPLE_POLICY);
        return;
      }
      await writeExamplePolicy(flags.output, flags.force === true);
      write(`Wrote ${flags.output}; edit it, then run: aiprov policy check ${flags.output}`);
    });

  policy
    .command('check')
    .description('validate a policy file and load the keys, certificates and trusted roots it names')
    .argument('<file>', 'the policy (YAML, or JSON for a .json file)')
    .option('--json', 'print the result as JSON: {valid, file, problems, summary}')
    .action(async (file: string, flags: CheckFlags) => {
      const { checkPolicyFile } = await import('../../policy/resolve.js');
      const { renderError } = await import('../render.js');
      const result = await checkPolicyFile(file);
      write(flags.json === true ? JSON.stringify(result, null, 2) : renderPolicyCheck(result));
      if (result.valid) {
        setExitStatus(EXIT_OK);
        return;
      }
      const count = result.problems.length;
      const error = new InputError('POLICY_INVALID', `${file}: ${String(count)} problem${count === 1 ? '' : 's'}`, { path: file });
      context.stderr.write(`${renderError(error)}\n`);
      setExitStatus(exitStatusFor(error.category));
    });
}

function renderPolicyCheck(result: PolicyCheckResult): string {
  if (!result.valid || result.summary === undefined) {
    return result.problems.map((problem) => `${result.file}:${problem.line === undefined ? '' : `${String(problem.line)}:${String(problem.column ?? 1)}:`} ${problem.path === '' ? '' : `${problem.path}: `}${problem.message} [${problem.code}]`).join('\n');
  }
  const { signers, roles, trustRoots } = result.summary;
  const roleNames = Object.keys(roles);
  const lines = [`policy OK: ${String(signers.length)} signer${signers.length === 1 ? '' : 's'}, roles ${roleNames.length === 0 ? '(none)' : roleNames.join(', ')}`];
  const width = Math.max(0, ...signers.map((signer) => signer.name.length), ...roleNames.map((role) => role.length));
  for (const signer of signers) lines.push(`  signer  ${signer.name.padEnd(width)}  ${signer.kind}: ${signer.detail}`);
  for (const [role, config] of Object.entries(roles)) {
    const parts = [`signed by ${config.signers.join(', ')}`];
    if (config.requireAttestations.length > 0) parts.push(`requires ${config.requireAttestations.join(', ')}`);
    if (config.builderIds !== undefined) parts.push(`builders ${config.builderIds.join(', ')}`);
    if (config.allowedLicenses !== undefined) parts.push(`licenses ${config.allowedLicenses.join(', ')}`);
    if (config.forbid.length > 0) parts.push(`forbids ${config.forbid.join(', ')}`);
    if (role === 'base-model') parts.push(`max depth ${String(config.maxDepth)}`);
    lines.push(`  role    ${role.padEnd(width)}  ${parts.join('; ')}`);
  }
  for (const root of trustRoots) lines.push(`  trust   ${root.source} sha256:${root.sha256}`);
  return lines.join('\n');
}
