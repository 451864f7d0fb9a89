import type { Command } from 'commander';
import { exitStatusFor, EXIT_OK, InputError } from '../../errors.js';
import type { CliContext, SetExitStatus } from '../context.js';
import { readInputFile } from '../files.js';

interface VerifyFlags {
  readonly signature?: string;
  readonly key?: string;
  readonly certificateChain?: string[];
  readonly ignoreUnsignedFiles?: boolean;
  readonly ignorePaths?: string[];
  readonly allowExternalSymlinks?: boolean;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

interface InspectFlags {
  readonly json?: boolean;
}

export function registerVerifyCommands(program: Command, context: CliContext, setExitStatus: SetExitStatus): void {
  const write = (text: string): void => {
    context.stdout.write(`${text}\n`);
  };

  program
    .command('verify')
    .description('verify a model, dataset or file against its OMS signature and report every difference')
    .argument('<path>', 'artifact directory or file')
    .option('--signature <file>', 'the bundle (default: model.sig inside a directory, <file>.sig beside a file)')
    .option('--key <public-key.pem>', 'trust signatures made by this public key')
    .option('--certificate-chain <ca.pem...>', 'trust certificates that chain to these CA certificates (the files must hold the root)')
    .option('--ignore-unsigned-files', 'accept files that the signature does not list')
    .option('--ignore-paths <path...>', 'paths inside the artifact to leave out, besides those the signature records')
    .option('--allow-external-symlinks', 'follow symbolic links that leave the artifact (only if the signature allows symlinks)')
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'no progress output')
    .action(async (path: string, flags: VerifyFlags) => {
      const { verifyArtifact } = await import('../../verify/verify-artifact.js');
      const { renderVerifyResult } = await import('../render.js');
      const trust = await trustFromFlags(flags);
      const result = await verifyArtifact(path, {
        trust,
        ...(flags.signature === undefined ? {} : { signaturePath: flags.signature }),
        ...(flags.ignorePaths === undefined ? {} : { extraIgnorePaths: flags.ignorePaths }),
        ignoreUnsignedFiles: flags.ignoreUnsignedFiles === true,
        allowExternalSymlinks: flags.allowExternalSymlinks === true,
      });
      write(flags.json === true ? JSON.stringify(result, null, 2) : renderVerifyResult(result));
      setExitStatus(result.verified ? EXIT_OK : exitStatusFor('verification'));
    });

  program
    .command('inspect')
    .description('show what a bundle claims, without verifying it')
    .argument('<bundle>', 'a Sigstore bundle file')
    .option('--json', 'print the result as JSON')
    .action(async (bundlePath: string, flags: InspectFlags) => {
      const { readBundleFile } = await import('../../verify/verify-artifact.js');
      const { inspectBundle } = await import('../../verify/inspect.js');
      const { renderInspection } = await import('../render.js');
      const inspection = inspectBundle(await readBundleFile(bundlePath));
      write(flags.json === true ? JSON.stringify(inspection, null, 2) : renderInspection(inspection));
    });
}

async function trustFromFlags(flags: VerifyFlags): Promise<import('../../verify/verify-artifact.js').ArtifactTrust> {
  if ((flags.key === undefined) === (flags.certificateChain === undefined)) {
    throw new InputError('USAGE', 'verify needs exactly one of --key or --certificate-chain');
  }
  if (flags.key !== undefined) {
    const { parsePublicKey } = await import('../../sign/keys.js');
    return { kind: 'key', publicKey: parsePublicKey(await readInputFile(flags.key, 'public key'), flags.key) };
  }
  const { parseCertificates } = await import('../../verify/certificate-chain.js');
  const files = flags.certificateChain ?? [];
  const trustedCertificates = (await Promise.all(files.map(async (file) => parseCertificates(await readInputFile(file, 'certificate chain'), file)))).flat();
  return { kind: 'certificate', trustedCertificates };
}
