// Layering of src/ (docs/ARCHITECTURE.md): a folder may import only from the folders listed
// before it, and from nothing after it. `npm run lint` runs this; test/layering.test.ts shows
// that an upward import and a cycle each fail it.
/** Lowest first. Folders on one line are peers: neither may import the other. */
const LAYERS = [
  ['errors.ts', 'findings.ts'],
  ['input'],
  ['hashing'],
  ['manifest'],
  ['statement'],
  ['format'],
  ['sign', 'verify'],
  ['policy'],
  ['lineage'],
  ['use-cases'],
  ['report'],
  ['cli'],
  ['index.ts'],
];

const pattern = (names) => `^src/(${names.map((name) => name.replace('.', '\\.')).join('|')})($|/)`;

const upward = LAYERS.flatMap((layer, index) => {
  const higher = LAYERS.slice(index + 1).flat();
  return higher.length === 0 ? [] : [{
    name: `layer-${layer.join('+')}`,
    comment: `${layer.join(', ')} may not import a higher layer (${higher.join(', ')})`,
    severity: 'error',
    from: { path: pattern(layer) },
    to: { path: pattern(higher) },
  }];
});

const peers = LAYERS.filter((layer) => layer.length > 1 && !layer[0].endsWith('.ts')).flatMap((layer) =>
  layer.map((name) => ({
    name: `peer-${name}`,
    comment: `${name} may not import its peers (${layer.filter((other) => other !== name).join(', ')})`,
    severity: 'error',
    from: { path: pattern([name]) },
    to: { path: pattern(layer.filter((other) => other !== name)) },
  })),
);

// Verification hashes only with authenticated parameters (src/verify/authenticated.ts): the
// modules that decide a verification reach the hashing of manifest/compute.ts only through
// verify/rehash.ts (whose functions take an AuthenticatedSerialization), never through
// sign/attest.ts (identifyArtifact reads a signature's parameters unverified), and only
// authenticateDsseBundle marks bytes as authenticated.
const VERIFICATION = '^src/(verify|lineage)/|^src/use-cases/(vsa|gate|bom|verify-merge|verify-bundle|inspect)\\.ts$';
const authentication = [
  {
    name: 'verification-hashes-through-rehash',
    comment: 'verification hashes an artifact only through verify/rehash.ts, with an AuthenticatedSerialization',
    severity: 'error',
    from: { path: VERIFICATION, pathNot: '^src/verify/(rehash|authenticated)\\.ts$' },
    to: { path: '^src/manifest/(compute|compute-part)\\.ts$', dependencyTypesNot: ['type-only'] },
  },
  {
    name: 'verification-never-identifies-unverified',
    comment: 'sign/attest.ts (identifyArtifact) reads a signature unverified: signing may, verification may not',
    severity: 'error',
    from: { path: VERIFICATION },
    to: { path: '^src/sign/attest\\.ts$' },
  },
  {
    name: 'only-authentication-marks-payloads',
    comment: 'only authenticateDsseBundle (verify/verify-artifact.ts) may mark bytes as authenticated',
    severity: 'error',
    from: { pathNot: '^src/verify/verify-artifact\\.ts$' },
    to: { path: '^src/verify/authenticated-payload\\.ts$', dependencyTypesNot: ['type-only'] },
  },
];

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'modules may not import each other in a cycle', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'no-test-code-in-src',
      comment: 'the published library never imports tests, the local Sigstore stack or devDependencies',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|local-stack|scripts|bench)/' },
    },
    { name: 'no-dev-dependencies-in-src', severity: 'error', from: { path: '^src/' }, to: { dependencyTypes: ['npm-dev'] } },
    ...upward,
    ...peers,
    ...authentication,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
