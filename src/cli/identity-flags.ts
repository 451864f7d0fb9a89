import type { Command } from 'commander';
import type { FulcioExtensionName, IdentityPolicy } from '../verify/identity.js';

/** Identity flags in the style of cosign and `gh attestation verify`; model_signing's names as aliases. */
export interface IdentityFlags {
  readonly certificateIdentity?: string;
  readonly certificateIdentityRegexp?: string;
  readonly certificateOidcIssuer?: string;
  readonly certificateOidcIssuerRegexp?: string;
  readonly identity?: string;
  readonly identityProvider?: string;
  readonly sourceRepository?: string;
  readonly sourceRef?: string;
  readonly sourceDigest?: string;
  readonly signerWorkflow?: string;
  readonly runnerEnvironment?: string;
  readonly denySelfHostedRunners?: boolean;
}

export function addIdentityOptions(command: Command): Command {
  return command
    .option('--certificate-identity <identity>', 'keyless: the exact signer identity (certificate SAN)')
    .option('--certificate-identity-regexp <regexp>', 'keyless: a regexp the whole identity must match (always anchored)')
    .option('--certificate-oidc-issuer <url>', 'keyless: the exact OIDC issuer')
    .option('--certificate-oidc-issuer-regexp <regexp>', 'keyless: a regexp the whole issuer must match (always anchored)')
    .option('--identity <identity>', 'alias of --certificate-identity (model_signing)')
    .option('--identity-provider <url>', 'alias of --certificate-oidc-issuer (model_signing)')
    .option('--source-repository <uri>', 'keyless CI claim: source repository URI, e.g. https://github.com/org/repo')
    .option('--source-ref <ref>', 'keyless CI claim: source ref, e.g. refs/tags/v1.0.0')
    .option('--source-digest <sha>', 'keyless CI claim: source commit')
    .option('--signer-workflow <uri>', 'keyless CI claim: the workflow that signed (build signer URI)')
    .option('--runner-environment <env>', 'keyless CI claim: runner environment (github-hosted, self-hosted)')
    .option('--deny-self-hosted-runners', 'keyless CI claim: require runner environment github-hosted');
}

export function identityPolicyFrom(flags: IdentityFlags): IdentityPolicy {
  const identity = flags.certificateIdentity ?? flags.identity;
  const issuer = flags.certificateOidcIssuer ?? flags.identityProvider;
  const extensions: Partial<Record<FulcioExtensionName, string>> = {
    ...(flags.sourceRepository === undefined ? {} : { sourceRepositoryUri: flags.sourceRepository }),
    ...(flags.sourceRef === undefined ? {} : { sourceRepositoryRef: flags.sourceRef }),
    ...(flags.sourceDigest === undefined ? {} : { sourceRepositoryDigest: flags.sourceDigest }),
    ...(flags.signerWorkflow === undefined ? {} : { buildSignerUri: flags.signerWorkflow }),
    ...(flags.runnerEnvironment === undefined ? {} : { runnerEnvironment: flags.runnerEnvironment }),
    ...(flags.denySelfHostedRunners === true ? { runnerEnvironment: 'github-hosted' } : {}),
  };
  return {
    ...(identity === undefined ? {} : { certificateIdentity: identity }),
    ...(flags.certificateIdentityRegexp === undefined ? {} : { certificateIdentityRegExp: flags.certificateIdentityRegexp }),
    ...(issuer === undefined ? {} : { certificateOidcIssuer: issuer }),
    ...(flags.certificateOidcIssuerRegexp === undefined ? {} : { certificateOidcIssuerRegExp: flags.certificateOidcIssuerRegexp }),
    ...(Object.keys(extensions).length === 0 ? {} : { extensions }),
  };
}
