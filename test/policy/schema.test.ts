import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { EXAMPLE_POLICY } from '../../src/policy/example.js';
import type { Problem } from '../../src/input/problem.js';
import { MAX_POLICY_BYTES, parsePolicy, PolicyValidationError } from '../../src/policy/schema.js';

/** Parses and returns the problems; fails the test when the policy is valid. */
function problemsOf(text: string, fileName = 'policy.yaml'): readonly Problem[] {
  try {
    parsePolicy(text, fileName);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyValidationError);
    expect(error).toBeInstanceOf(InputError);
    expect((error as PolicyValidationError).code).toBe('POLICY_INVALID');
    return (error as PolicyValidationError).problems;
  }
  throw new Error('the policy was accepted');
}

const MINIMAL = `version: 1
signers:
  ci:
    key: ./ci.pub
roles:
  model:
    signers: [ci]
`;

describe('parsePolicy', () => {
  it('accepts the example policy of `aiprov policy init`', () => {
    const policy = parsePolicy(EXAMPLE_POLICY, 'policy.yaml');
    expect(policy.version).toBe(1);
    expect(Object.keys(policy.signers)).toEqual(['release-ci', 'data-team', 'corp-pki']);
    expect(policy.signers['release-ci']?.keyless).toMatchObject({ issuer: 'https://token.actions.githubusercontent.com', sourceRepositoryRef: 'refs/heads/main' });
    expect(policy.signers['corp-pki']?.certificateAuthority).toEqual(['./pki/root.pem']);
    expect(policy.roles.dataset).toMatchObject({ allowedLicenses: ['Apache-2.0', 'CC-BY-4.0', 'MIT'], forbid: ['sensitive-personal-information'] });
    expect(policy.roles['base-model']?.maxDepth).toBe(2);
  });

  it('reads the same policy from YAML and from JSON', () => {
    const json = JSON.stringify({ version: 1, signers: { ci: { key: './ci.pub' } }, roles: { model: { signers: ['ci'] } } }, null, 2);
    expect(parsePolicy(json, 'policy.json')).toEqual(parsePolicy(MINIMAL, 'policy.yaml'));
    // A .json file must be JSON, not YAML.
    expect(problemsOf(MINIMAL, 'policy.json')[0]?.message).toMatch(/^not JSON/);
  });

  it('names a misspelt key, its line and the key it should be', () => {
    const text = `version: 1
signers:
  ci:
    key: ./ci.pub
roles:
  model:
    signer: [ci]
  dataset:
    signers: [ci]
    requireAttestations: [dataset-card]
    alowedLicenses: [MIT]
`;
    const problems = problemsOf(text);
    expect(problems).toContainEqual({ code: 'POLICY_INVALID', path: 'roles.model.signer', line: 7, column: 5, message: 'unknown key "signer" (did you mean "signers"?)' });
    expect(problems).toContainEqual({ code: 'POLICY_INVALID', path: 'roles.model.signers', line: 6, column: 3, message: 'is required' });
    expect(problems).toContainEqual({ code: 'POLICY_INVALID', path: 'roles.dataset.alowedLicenses', line: 11, column: 5, message: 'unknown key "alowedLicenses" (did you mean "allowedLicenses"?)' });
    const error = (() => {
      try {
        parsePolicy(text, 'policy.yaml');
      } catch (caught) {
        return caught as PolicyValidationError;
      }
      return undefined;
    })();
    // Every problem in the one-line message, each `file:line:col: path: message`.
    expect(error?.message.split('; ')).toEqual(['policy.yaml:6:3: roles.model.signers: is required', 'policy.yaml:7:5: roles.model.signer: unknown key "signer" (did you mean "signers"?)', 'policy.yaml:11:5: roles.dataset.alowedLicenses: unknown key "alowedLicenses" (did you mean "allowedLicenses"?)']);
    expect(error?.path).toBe('policy.yaml');
  });

  it('gives JSON line numbers too', () => {
    const text = '{\n  "version": 1,\n  "signers": {"ci": {"key": "ci.pub"}},\n  "roles": {\n    "model": {"signers": ["ci"], "builderIDs": ["x"]}\n  }\n}\n';
    expect(problemsOf(text, 'policy.json')).toEqual([{ code: 'POLICY_INVALID', path: 'roles.model.builderIDs', line: 5, column: 34, message: 'unknown key "builderIDs" (did you mean "builderIds"?)' }]);
  });

  it('refuses a role naming a signer that is not defined', () => {
    const problems = problemsOf(`${MINIMAL}  recipe:\n    signers: [ci, ghost]\n`);
    expect(problems).toEqual([{ code: 'POLICY_INVALID', path: 'roles.recipe.signers[1]', line: 9, column: 19, message: 'role recipe names signer "ghost", which is not defined under signers' }]);
  });

  it('reports every problem at once, in file order', () => {
    const text = `version: 2
trust:
  sigstore: []
signers:
  ci:
    key: 3
  two-kinds:
    key: a.pub
    certificateAuthority: a.pem
  nothing: {}
  "bad name":
    key: a.pub
roles:
  model:
    signers: [ci]
    builderIds: [https://builder]
    allowedLicenses: [MIT]
  dataset:
    signers: [ci]
    requireAttestations: [training-provenance]
    allowedLicenses: [mit, MIT OR Apache-2.0]
    forbid: [pii]
  base-model:
    signers: [ci]
    maxDepth: 100
  modle: {}
`;
    const problems = problemsOf(text);
    expect(problems.map((problem) => [problem.line, problem.path])).toEqual([
      [1, 'version'],
      [3, 'trust.sigstore'],
      [6, 'signers.ci.key'],
      [7, 'signers.two-kinds'],
      [10, 'signers.nothing'],
      [11, 'signers["bad name"]'],
      [16, 'roles.model.builderIds'],
      [17, 'roles.model.allowedLicenses'],
      [20, 'roles.dataset.requireAttestations[0]'],
      [21, 'roles.dataset.allowedLicenses'],
      [21, 'roles.dataset.allowedLicenses[0]'],
      [21, 'roles.dataset.allowedLicenses[1]'],
      [22, 'roles.dataset.forbid'],
      [22, 'roles.dataset.forbid[0]'],
      [25, 'roles.base-model.maxDepth'],
      [26, 'roles.modle'],
    ]);
    const message = (path: string): string | undefined => problems.find((problem) => problem.path === path)?.message;
    expect(message('version')).toBe('unsupported policy version 2: this aiprov reads version 1');
    expect(message('signers.ci.key')).toBe('must be a string, found the number 3 (quote it: "3")');
    expect(message('signers.two-kinds')).toMatch(/only one of keyless, key, certificateAuthority/);
    expect(message('signers.nothing')).toMatch(/needs one of keyless, key, certificateAuthority/);
    expect(message('roles.model.builderIds')).toMatch(/add "training-provenance" to requireAttestations/);
    expect(message('roles.model.allowedLicenses')).toBe('unknown key "allowedLicenses": it applies to role dataset, not model');
    expect(message('roles.dataset.requireAttestations[0]')).toMatch(/"training-provenance" cannot be required of a dataset/);
    expect(message('roles.dataset.allowedLicenses[0]')).toMatch(/did you mean "MIT"/);
    expect(message('roles.dataset.allowedLicenses[1]')).toMatch(/is an expression/);
    expect(message('roles.base-model.maxDepth')).toBe('must be at most 16');
    expect(message('roles.modle')).toBe('unknown key "modle" (did you mean "model"?)');
  });

  it('requires version 1 and the signers and roles sections', () => {
    expect(problemsOf('signers: {}\n').map((problem) => [problem.path, problem.message])).toEqual([
      ['version', 'is required: the first line of a policy is "version: 1"'],
      ['roles', 'is required'],
      ['signers', 'define at least one signer'],
    ]);
    expect(problemsOf('')).toEqual([{ code: 'POLICY_INVALID', path: '', message: 'a policy must be a mapping that starts with "version: 1"' }]);
    expect(problemsOf('- version: 1\n')[0]?.message).toBe('a policy must be a mapping that starts with "version: 1"');
  });

  it('checks keyless signers: identity and issuer each exactly once, regexps valid', () => {
    const policy = (keyless: string): string => `version: 1\nsigners:\n  ci:\n    keyless:\n${keyless}roles:\n  model:\n    signers: [ci]\n`;
    expect(problemsOf(policy('      issuer: https://issuer\n')).map((problem) => problem.message)).toEqual(['a keyless signer needs one of identity, identityRegexp']);
    expect(problemsOf(policy('      identity: a\n      identityRegexp: a.*\n      issuerRegexp: "https://(a|b)"\n')).map((problem) => problem.message)).toEqual(['a keyless signer takes only one of identity, identityRegexp; found identity and identityRegexp']);
    expect(problemsOf(policy('      identityRegexp: "a)|(b"\n      issuer: https://issuer\n'))).toEqual([{ code: 'POLICY_INVALID', path: 'signers.ci.keyless.identityRegexp', line: 5, column: 7, message: 'is not a valid RE2 regular expression (no lookaround or backreferences): "a)|(b"' }]);
    // Linear-time engine: lookahead is refused when the policy is loaded, not when it is matched.
    expect(problemsOf(policy('      identity: a\n      issuerRegexp: "(?!x)https://.*"\n')).map((problem) => problem.path)).toEqual(['signers.ci.keyless.issuerRegexp']);
    expect(problemsOf(policy('      identity: a\n      issuer: https://issuer\n      sourceRepositoryURI: x\n'))[0]?.message).toBe('unknown key "sourceRepositoryURI" (did you mean "sourceRepositoryUri"?)');
    const parsed = parsePolicy(policy('      identity: a\n      issuer: https://issuer\n      buildTrigger: push\n'), 'policy.yaml');
    expect(parsed.signers['ci']?.keyless).toEqual({ identity: 'a', issuer: 'https://issuer', buildTrigger: 'push' });
  });

  it('refuses YAML syntax errors and duplicate keys with their line', () => {
    expect(problemsOf(`${MINIMAL}signers: {}\n`)).toEqual([{ code: 'POLICY_INVALID', path: '', line: 8, column: 1, message: 'Map keys must be unique' }]);
    expect(problemsOf('{"version": 1, "version": 1}', 'policy.json')[0]).toMatchObject({ line: 1, message: 'Map keys must be unique' });
    expect(problemsOf('version: 1\nroles: [\n')[0]?.line).toBeDefined();
  });

  it('refuses an oversized policy before parsing it', () => {
    const text = `${MINIMAL}#${'x'.repeat(MAX_POLICY_BYTES)}\n`;
    expect(() => parsePolicy(text, 'policy.yaml')).toThrow(expect.objectContaining({ code: 'POLICY_TOO_LARGE' }));
  });

  it('does not let a __proto__ key through', () => {
    expect(problemsOf(`${MINIMAL}__proto__: {polluted: true}\n`)[0]).toMatchObject({ code: 'POLICY_INVALID', path: '__proto__', line: 8 });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
