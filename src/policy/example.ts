/**
 * The policy `aiprov policy init` writes: every key, each with a comment saying what it does.
 * Tests parse it with the real schema, so it cannot drift from what aiprov accepts.
 */
import { InputError } from '../errors.js';
import { entryExists, writeFileAtomic } from '../format/atomic-write.js';

export const EXAMPLE_POLICY = `# aiprov policy: who may sign which kind of artifact, and what must be attested.
# Check it with: aiprov policy check <this file>
# Unknown keys are errors. Paths are relative to this file.
version: 1

trust:
  # Sigstore trusted roots for keyless signers: "public-good" and "staging" are built in;
  # anything else is a trusted_root.json file (a private Sigstore instance).
  # Default when left out: [public-good].
  sigstore: [public-good]

# Named signers. Each has exactly one of: keyless, key, certificateAuthority.
signers:
  release-ci:
    # Keyless (Sigstore Fulcio): the OIDC issuer and the identity are both required, and matched
    # exactly. Use identityRegexp / issuerRegexp instead for a pattern; patterns are always
    # anchored (they must match the whole value).
    keyless:
      issuer: https://token.actions.githubusercontent.com
      identity: https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main
      # identityRegexp: '^https://github\\.com/org/repo/\\.github/workflows/[^/]+@refs/tags/v.*$'
      # Optional claims of the certificate, matched exactly (names from Fulcio's OID list:
      # sourceRepositoryUri, sourceRepositoryRef, sourceRepositoryDigest, buildSignerUri,
      # runnerEnvironment, buildTrigger, deploymentEnvironment, ...).
      sourceRepositoryUri: https://github.com/org/repo
      sourceRepositoryRef: refs/heads/main
  data-team:
    # A PEM public key (ECDSA P-256, P-384 or P-521), e.g. one written by "aiprov keygen".
    key: ./keys/data-team.pub
  corp-pki:
    # PEM CA certificates (one file or a list); together they must include the root.
    certificateAuthority: ./pki/root.pem
    # Key and certificate signatures timestamped by a TSA (sign --tsa-url) verify only when the
    # signer names it: its certificate chain, signing certificate first (one file or a list), or
    # a trusted_root.json whose timestampAuthorities to trust. Not for keyless signers.
    # timestampAuthority: ./pki/tsa-chain.pem
    # trustedRoot: ./pki/trusted_root.json

# What is required of each kind of artifact in a model's lineage. A role left out trusts no
# signer: an artifact of that role anywhere in the lineage is refused.
roles:
  model:
    signers: [release-ci]                    # names defined under signers
    requireAttestations: [training-provenance]
    # Accepted builders (runDetails.builder.id of the training provenance), exactly.
    builderIds:
      - https://github.com/org/repo/.github/workflows/train.yml@refs/heads/main
  dataset:
    signers: [data-team, corp-pki]
    requireAttestations: [dataset-card]
    # SPDX license ids. A card's license expression must be satisfiable with these alone:
    # "MIT OR GPL-3.0-only" passes, "MIT AND GPL-3.0-only" does not.
    allowedLicenses: [Apache-2.0, CC-BY-4.0, MIT]
    # sensitive-personal-information: the card must state hasSensitivePersonalInformation: no.
    forbid: [sensitive-personal-information]
  recipe:
    signers: [release-ci]
  base-model:
    signers: [release-ci]
    requireAttestations: [training-provenance]
    # How many base-model levels may be followed (1 = the base model, but not its own base).
    maxDepth: 2
`;

/**
 * Writes `EXAMPLE_POLICY` to `path`. An existing file is kept unless `overwrite`: it is probably
 * a policy someone edited (POLICY_FILE_EXISTS).
 */
export async function writeExamplePolicy(path: string, overwrite: boolean): Promise<void> {
  const exists = (): InputError => new InputError('POLICY_FILE_EXISTS', `${path} already exists; pass --force to overwrite it`, { path });
  if (!overwrite && (await entryExists(path))) throw exists();
  if ((await writeFileAtomic(path, EXAMPLE_POLICY, { exclusive: !overwrite })) === 'exists') throw exists();
}
