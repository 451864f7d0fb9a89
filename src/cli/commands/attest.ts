import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import type { CliContext, SetExitStatus } from '../context.js';
import { readInputFile } from '../files.js';
import { addSigningOptions, signingMethodFromFlags, type SigningFlags } from '../signing.js';

interface DatasetFlags extends SigningFlags {
  readonly card: string;
  readonly json?: boolean;
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
}

export function registerAttestCommands(program: Command, context: CliContext, _setExitStatus: SetExitStatus): void {
  const write = (text: string): void => {
    context.stdout.write(`${text}\n`);
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
    .action(async (path: string, flags: DatasetFlags) => {
      const { parseDatasetCard } = await import('../../statement/dataset-card.js');
      const { attestDataset } = await import('../../sign/attest.js');
      const card = parseDatasetCard(await readInputFile(flags.card, 'dataset card'), flags.card);
      const result = await attestDataset(path, card, await signingMethodFromFlags(flags, context));
      write(flags.json === true ? JSON.stringify({ attestationsPath: result.attestationsPath, predicateType: result.predicateType, subject: result.subject }, null, 2) : `Attested dataset card for ${result.subject.name} ${result.subject.digest} -> ${result.attestationsPath}`);
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
    .action(async (flags: TrainingFlags) => {
      const { attestTraining } = await import('../../sign/attest.js');
      const { ciEnvironmentDefaults } = await import('../../statement/provenance.js');
      const ci = ciEnvironmentDefaults(context.env);
      const builderId = flags.builderId ?? ci?.builderId;
      if (builderId === undefined) throw new InputError('USAGE', 'attest training needs --builder-id outside GitHub Actions and GitLab CI');
      const code = flags.code === undefined ? ci?.code : splitAt(flags.code, '--code', (uri, gitCommit) => ({ uri, gitCommit }));
      const container = flags.container === undefined ? undefined : splitAt(flags.container, '--container', (uri, digest) => ({ uri, sha256: digest.replace(/^sha256:/, '') }));
      const invocationId = flags.invocationId ?? ci?.invocationId;
      const result = await attestTraining(
        {
          model: flags.model,
          recipe: flags.recipe,
          datasets: flags.dataset,
          ...(flags.baseModel === undefined ? {} : { baseModel: flags.baseModel }),
          ...(flags.uri === undefined ? {} : { uris: Object.fromEntries(flags.uri.map((pair) => splitAt(pair, '--uri', (path, uri) => [path, uri] as const, '='))) }),
          ...(code === undefined ? {} : { code }),
          ...(container === undefined ? {} : { container }),
          ...(flags.hyperparameters === undefined ? {} : { hyperparameters: await readHyperparameters(flags.hyperparameters) }),
          ...(flags.entrypoint === undefined ? {} : { entrypoint: flags.entrypoint }),
          builderId,
          ...(invocationId === undefined ? {} : { invocationId }),
          ...(flags.started === undefined ? {} : { startedOn: flags.started }),
          ...(flags.finished === undefined ? {} : { finishedOn: flags.finished }),
          ...(flags.byproduct === undefined ? {} : { byproducts: await Promise.all(flags.byproduct.map(byproductDigest)) }),
        },
        await signingMethodFromFlags(flags, context),
      );
      write(flags.json === true ? JSON.stringify({ attestationsPath: result.attestationsPath, predicateType: result.predicateType, subject: result.subject }, null, 2) : `Attested training provenance for ${result.subject.name} ${result.subject.digest} -> ${result.attestationsPath}`);
    });
}

/** Splits `left<sep>right` at the last separator (a URI may contain the separator itself). */
function splitAt<T>(value: string, flag: string, build: (left: string, right: string) => T, separator = '@'): T {
  const index = value.lastIndexOf(separator);
  if (index <= 0 || index === value.length - 1) throw new InputError('USAGE', `${flag} ${JSON.stringify(value)}: expected <left>${separator}<right>`);
  return build(value.slice(0, index), value.slice(index + 1));
}

async function readHyperparameters(path: string): Promise<Record<string, import('../../statement/provenance.js').JsonValue>> {
  const { parse } = await import('yaml');
  let value: unknown;
  try {
    value = parse(await readInputFile(path, 'hyperparameters'));
  } catch (error) {
    if (error instanceof Error && error.name.startsWith('YAML')) throw new InputError('HYPERPARAMETERS_INVALID', `${path} is not JSON or YAML: ${error.message.split('\n')[0] ?? ''}`, { path });
    throw error;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError('HYPERPARAMETERS_INVALID', `${path} must hold an object of hyperparameters`, { path });
  return value as Record<string, import('../../statement/provenance.js').JsonValue>;
}

async function byproductDigest(path: string): Promise<{ name: string; sha256: string }> {
  const { computeManifest } = await import('../../manifest/compute.js');
  const manifest = await computeManifest(path);
  return { name: manifest.name, sha256: manifest.resources[0]?.digest ?? '' };
}
