import type { Command } from 'commander';
import type { CliContext, SetExitStatus } from '../context.js';
import { blockNetwork } from '../offline.js';

interface BomFlags {
  readonly policy: string;
  readonly search?: string[];
  readonly output?: string;
  readonly offline?: boolean;
}

export function registerBomCommands(program: Command, context: CliContext, _setExitStatus: SetExitStatus): void {
  program
    .command('bom')
    .description('write a CycloneDX 1.6 ML-BOM of a model from its verified lineage')
    .argument('<model>', 'the model directory or file')
    .requiredOption('--policy <file>', 'the policy the lineage must satisfy')
    .option('--search <dir...>', 'directories where the datasets, recipe and base models are looked for')
    .option('--output <file>', 'write the BOM here (default: stdout)')
    .option('--offline', 'guarantee no network access')
    .action(async (modelPath: string, flags: BomFlags) => {
      if (flags.offline === true) blockNetwork();
      const { buildVerifiedMlBom } = await import('../../use-cases/bom.js');
      const outcome = await buildVerifiedMlBom({ modelPath, policyPath: flags.policy, searchDirectories: flags.search ?? [], toolVersion: program.version() ?? 'unknown', now: new Date() });
      if (!outcome.ok) {
        const { renderLineage } = await import('../../report/lineage.js');
        context.stderr.write(`${renderLineage(outcome.lineage, 'tree')}\n`);
        throw outcome.error;
      }
      const bom = `${JSON.stringify(outcome.bom, null, 2)}\n`;
      if (flags.output === undefined) {
        context.stdout.write(bom);
        return;
      }
      const { writeFileAtomic } = await import('../../format/atomic-write.js');
      await writeFileAtomic(flags.output, bom);
      context.stderr.write(`Wrote ML-BOM of ${outcome.lineage.root.name} to ${flags.output}\n`);
    });
}
