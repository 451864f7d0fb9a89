import type { Command } from 'commander';
import { PolicyError, VerificationError } from '../../errors.js';
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
      const { loadPolicy } = await import('../../policy/resolve.js');
      const { verifyLineage } = await import('../../lineage/verify-lineage.js');
      const { buildMlBom } = await import('../../lineage/bom.js');
      const { renderLineage } = await import('../../lineage/render.js');
      const result = await verifyLineage(modelPath, { policy: await loadPolicy(flags.policy), searchDirectories: flags.search ?? [] });
      if (result.verdict !== 'verified') {
        // A BOM states facts; one is written only from a lineage that verified.
        context.stderr.write(`${renderLineage(result, 'tree')}\n`);
        if (result.verdict === 'denied') throw new PolicyError('LINEAGE_NOT_VERIFIED', 'no ML-BOM written: the lineage is denied by the policy');
        throw new VerificationError('LINEAGE_NOT_VERIFIED', 'no ML-BOM written: the lineage failed verification');
      }
      const bom = `${JSON.stringify(buildMlBom(result, { toolVersion: program.version() ?? 'unknown', timestamp: new Date() }), null, 2)}\n`;
      if (flags.output === undefined) {
        context.stdout.write(bom);
        return;
      }
      const { writeFileAtomic } = await import('../../format/atomic-write.js');
      await writeFileAtomic(flags.output, bom);
      context.stderr.write(`Wrote ML-BOM of ${result.root.name} to ${flags.output}\n`);
    });
}
