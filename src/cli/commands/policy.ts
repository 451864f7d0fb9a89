import type { Command } from 'commander';
import { EXIT_OK, exitStatusFor, InputError } from '../../errors.js';
import { oneLine } from '../../report/text.js';
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
      write(`Wrote ${oneLine(flags.output)}; edit it, then run: aiprov policy check ${oneLine(flags.output)}`);
    });

  policy
    .command('digest')
    .description('print sha256:<hex> of a policy file\'s bytes, the digest `verify vsa --policy-digest` pins')
    .argument('<file>', 'the policy file')
    .action(async (file: string) => {
      const { policyFileDigest } = await import('../../policy/resolve.js');
      write(await policyFileDigest(file));
    });

  policy
    .command('check')
    .description('validate a policy file and load the keys, certificates and trusted roots it names')
    .argument('<file>', 'the policy (YAML, or JSON for a .json file)')
    .option('--json', 'print the result as JSON: {valid, file, problems, summary}')
    .action(async (file: string, flags: CheckFlags) => {
      const { checkPolicyFile } = await import('../../policy/resolve.js');
      const { renderError } = await import('../../report/text.js');
      const { renderPolicyCheck } = await import('../../report/policy.js');
      const { policyCheckJson } = await import('../../report/json.js');
      const result = await checkPolicyFile(file);
      const count = result.problems.length;
      const error = result.valid ? undefined : new InputError('POLICY_INVALID', `${file}: ${String(count)} problem${count === 1 ? '' : 's'}`, { path: file });
      write(flags.json === true ? JSON.stringify(policyCheckJson(result, error), null, 2) : renderPolicyCheck(result));
      if (error === undefined) {
        setExitStatus(EXIT_OK);
        return;
      }
      context.stderr.write(`${renderError(error)}\n`);
      setExitStatus(exitStatusFor(error.category));
    });
}
