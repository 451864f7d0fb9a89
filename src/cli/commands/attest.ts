import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import type { CliContext, SetExitStatus } from '../context.js';
import { attestJson } from '../../report/json.js';
import { oneLine } from '../../report/text.js';
import type { AttestationResult } from '../../sign/attest.js';
import { addSigningOptions, signingMethodFromFlags, type SigningFlags } from '../signing.js';

interface DatasetFlags extends SigningFlags {
  readonly card: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

interface TrainingFlags extends SigningFlags {
  readonly model: string;
  readonly recipe: string;
  readonly dataset: string[];
  readonly baseModel?: string;
  readonly code?: string;
  readonly container?: string;
  readonly hyperparameters?: string;
  readonly entrypoint?: string;
  readonly builderId?: string;
  readonly invocationId?: string;
  readonly started?: string;
  readonly finished?: string;
  readonly byproduct?: string[];
  readonly uri?: string[];
  readonly json?: boolean;
  readonly quiet?: boolean;
}

export function registerAttestCommands(program: Command, context: CliContext, _setExitStatus: SetExitStatus): void {
  const report = (result: AttestationResult, what: string, flags: { readonly json?: boolean; readonly quiet?: boolean }): void => {
    const json = flags.json === true;
    // --quiet as for scripts: nothing on success (errors still go to stderr); --json wins.
    if (flags.quiet === true && !json) return;
    context.stdout.write(`${json ? JSON.stringify(attestJson(result), null, 2) : `Attested ${what} for ${oneLine(result.subject.name)} ${result.subject.digest} -> ${oneLine(result.attestationsPath)}`}\n`);
  };
  const attest = program.command('attest').description('sign in-toto attestations about artifacts (stored beside them as <kind>.intoto.jsonl)');

  addSigningOptions(
    attest
      .command('dataset')
      .description('sign a dataset card (https://aiprov.dev/dataset/v1) whose subject is the dataset\'s root digest')
      .argument('<path>', 'the dataset directory or file')
      .requiredOption('--card <card.yaml|json>', 'the dataset card'),
  )
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'print nothing on success')
    .action(async (path: string, flags: DatasetFlags) => {
      const { attestDatasetCardFile } = await import('../../use-cases/attest.js');
      report(await attestDatasetCardFile(path, flags.card, await signingMethodFromFlags(flags, context)), 'dataset card', flags);
    });

  addSigningOptions(
    attest
      .command('training')
      .description('sign SLSA Provenance v1 recording how a model was trained, naming every input by root digest')
      .requiredOption('--model <dir>', 'the trained model')
      .requiredOption('--recipe <path>', 'the training recipe (configs and scripts)')
      .requiredOption('--dataset <path...>', 'the datasets trained on')
      .option('--base-model <path>', 'the model fine-tuned from')
      .option('--code <uri@commit>', 'the training code, e.g. git+https://github.com/org/repo@<40-hex commit>')
      .option('--container <image@sha256:…>', 'the container image the training ran in')
      .option('--hyperparameters <file>', 'a JSON or YAML file of hyperparameters')
      .option('--entrypoint <command>', 'how training was started')
      .option('--builder-id <uri>', 'who trained it (default in GitHub Actions / GitLab CI: the workflow)')
      .option('--invocation-id <id>', 'this training run (default in CI: the run URL)')
      .option('--started <time>', 'RFC 3339 start time')
      .option('--finished <time>', 'RFC 3339 end time')
      .option('--byproduct <file...>', 'eval reports, logs: recorded by SHA-256')
      .option('--uri <path=uri...>', 'where an input can be fetched, e.g. data/wiki=hf://datasets/org/wiki'),
  )
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'print nothing on success')
    .action(async (flags: TrainingFlags) => {
      const { attestTrainingRun } = await import('../../use-cases/attest.js');
      const result = await attestTrainingRun(
        {
          model: flags.model,
          recipe: flags.recipe,
          datasets: flags.dataset,
          ...(flags.baseModel === undefined ? {} : { baseModel: flags.baseModel }),
          ...(flags.uri === undefined ? {} : { uris: Object.fromEntries(flags.uri.map((pair) => splitAt(pair, '--uri', (path, uri) => [path, uri] as const, '='))) }),
          ...(flags.code === undefined ? {} : { code: splitAt(flags.code, '--code', (uri, gitCommit) => ({ uri, gitCommit })) }),
          ...(flags.container === undefined ? {} : { container: splitAt(flags.container, '--container', (uri, digest) => ({ uri, sha256: digest.replace(/^sha256:/, '') })) }),
          ...(flags.hyperparameters === undefined ? {} : { hyperparametersPath: flags.hyperparameters }),
          ...(flags.entrypoint === undefined ? {} : { entrypoint: flags.entrypoint }),
          ...(flags.builderId === undefined ? {} : { builderId: flags.builderId }),
          ...(flags.invocationId === undefined ? {} : { invocationId: flags.invocationId }),
          ...(flags.started === undefined ? {} : { startedOn: flags.started }),
          ...(flags.finished === undefined ? {} : { finishedOn: flags.finished }),
          ...(flags.byproduct === undefined ? {} : { byproductPaths: flags.byproduct }),
          env: context.env,
        },
        await signingMethodFromFlags(flags, context),
      );
      report(result, 'training provenance', flags);
    });
}

/** Splits `left<sep>right` at the last separator (a URI may contain the separator itself). */
function splitAt<T>(value: string, flag: string, build: (left: string, right: string) => T, separator = '@'): T {
  const index = value.lastIndexOf(separator);
  if (index <= 0 || index === value.length - 1) throw new InputError('USAGE', `${flag} ${JSON.stringify(value)}: expected <left>${separator}<right>`);
  return build(value.slice(0, index), value.slice(index + 1));
}
