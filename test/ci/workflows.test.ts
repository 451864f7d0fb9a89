import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { temporaryDirectory } from '../support/fixtures.js';
import { REPO_ROOT } from '../support/paths.js';
import { ACTION } from './run-action.js';

/** action-validator: GitHub's workflow and action schemas, compiled to WebAssembly; runs offline. */
const VALIDATOR = fileURLToPath(import.meta.resolve('@action-validator/cli/cli.mjs'));
const GITHUB_EXAMPLES = join(REPO_ROOT, 'examples', 'github');
const WORKFLOWS = readdirSync(GITHUB_EXAMPLES).filter((name) => /\.ya?ml$/.test(name));

function validate(file: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [VALIDATOR, file], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1' } });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const Workflow = z.object({
  jobs: z.record(z.string(), z.object({
    permissions: z.record(z.string(), z.string()).optional(),
    steps: z.array(z.object({ uses: z.string().optional(), with: z.record(z.string(), z.unknown()).optional() })),
  })),
});

describe('@action-validator/cli', () => {
  it('accepts action.yml', () => {
    const run = validate(join(REPO_ROOT, 'action.yml'));
    expect(run.status, run.output).toBe(0);
  });

  it.each(WORKFLOWS)('accepts examples/github/%s', (name) => {
    const run = validate(join(GITHUB_EXAMPLES, name));
    expect(run.status, run.output).toBe(0);
  });

  it('rejects a workflow with an unknown step key (it does validate)', async () => {
    const bad = join(await temporaryDirectory(), 'bad.yml');
    await writeFile(bad, 'name: bad\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        wiht: {}\n');
    const run = validate(bad);
    expect(run.status).toBe(1);
    expect(run.output).toContain("Additional property 'wiht' is not allowed");
  });
});

describe('the example workflows use the action as action.yml declares it', () => {
  it('examples/github has the release and the deploy workflow', () => {
    expect(WORKFLOWS).toEqual(expect.arrayContaining(['release.yml', 'deploy.yml']));
  });

  it.each(WORKFLOWS)('%s: only declared inputs, every required one, a known operation; keyless signing jobs may request an OIDC token', (name) => {
    const workflow = Workflow.parse(parse(readFileSync(join(GITHUB_EXAMPLES, name), 'utf8')));
    let uses = 0;
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps) {
        if (step.uses?.startsWith('aiprov/aiprov@') !== true) continue;
        uses++;
        const inputs = step.with ?? {};
        for (const input of Object.keys(inputs)) expect(Object.keys(ACTION.inputs), `${name}: ${input}`).toContain(input);
        for (const [input, declared] of Object.entries(ACTION.inputs)) if (declared.required === true) expect(inputs, `${name}: ${input}`).toHaveProperty(input);
        expect(['sign', 'attest-dataset', 'attest-training', 'verify', 'verify-lineage', 'verify-vsa']).toContain(inputs['operation']);
        const signs = ['sign', 'attest-dataset', 'attest-training'].includes(String(inputs['operation'])) || (inputs['vsa-out'] !== undefined && inputs['vsa-key'] === undefined);
        if (signs && inputs['key'] === undefined) expect(job.permissions?.['id-token'], `${name}: keyless signing needs id-token: write`).toBe('write');
      }
    }
    expect(uses).toBeGreaterThan(0);
  });
});

describe('examples/github/partitioned-sign.yml', () => {
  const Step = z.object({ name: z.string().optional(), uses: z.string().optional(), run: z.string().optional(), with: z.record(z.string(), z.unknown()).optional() });
  const PartitionedWorkflow = z.object({
    env: z.object({ PARTS: z.number() }),
    jobs: z.object({
      digest: z.object({ strategy: z.object({ matrix: z.object({ part: z.array(z.number()) }) }), steps: z.array(Step) }),
      sign: z.object({ needs: z.string(), permissions: z.record(z.string(), z.string()), steps: z.array(Step) }),
    }),
  });
  const workflow = PartitionedWorkflow.parse(parse(readFileSync(join(GITHUB_EXAMPLES, 'partitioned-sign.yml'), 'utf8')));
  const runs = (steps: z.infer<typeof Step>[]): string => steps.map((step) => step.run ?? '').join('\n');

  it('the matrix runs parts 1..PARTS, each hashing its part K/PARTS and uploading it as its own artifact', () => {
    const { digest } = workflow.jobs;
    expect(digest.strategy.matrix.part).toEqual(Array.from({ length: workflow.env.PARTS }, (_, index) => index + 1));
    expect(runs(digest.steps)).toContain('aiprov digest "$MODEL" --partition "${{ matrix.part }}/$PARTS" --json > "part-${{ matrix.part }}.json"');
    expect(digest.steps.find((step) => step.uses?.startsWith('actions/upload-artifact@') === true)?.with).toMatchObject({ name: 'digest-part-${{ matrix.part }}', path: 'part-${{ matrix.part }}.json', 'if-no-files-found': 'error' });
  });

  it('the final job needs every part, downloads them all, merges them and signs the merged manifest keylessly', () => {
    const { sign } = workflow.jobs;
    expect(sign.needs).toBe('digest');
    expect(sign.permissions).toMatchObject({ 'id-token': 'write' });
    expect(sign.steps.find((step) => step.uses?.startsWith('actions/download-artifact@') === true)?.with).toMatchObject({ pattern: 'digest-part-*', path: 'parts', 'merge-multiple': true });
    expect(runs(sign.steps)).toContain('aiprov digest --merge parts/part-*.json --json > merged.json');
    const signing = sign.steps.find((step) => step.uses?.startsWith('aiprov/aiprov@') === true);
    expect(signing?.with).toMatchObject({ operation: 'sign', path: '${{ env.MODEL }}' });
    expect(String(signing?.with?.['args']).split('\n').filter((line) => line !== '')).toEqual(['--manifest', 'merged.json']);
    expect(signing?.with).not.toHaveProperty('key');
  });
});

describe('examples/gitlab/.gitlab-ci.yml', () => {
  const pipeline = z.record(z.string(), z.unknown()).parse(parse(readFileSync(join(REPO_ROOT, 'examples', 'gitlab', '.gitlab-ci.yml'), 'utf8')));
  const Job = z.object({ script: z.array(z.string()), id_tokens: z.record(z.string(), z.object({ aud: z.string() })).optional() });

  it('signs keylessly with an id_token of audience sigstore exposed as SIGSTORE_ID_TOKEN', () => {
    const release = Job.parse(pipeline['release']);
    expect(release.id_tokens).toEqual({ SIGSTORE_ID_TOKEN: { aud: 'sigstore' } });
    expect(release.script.join('\n')).toMatch(/aiprov sign .*\n.*aiprov attest dataset[\s\S]*aiprov attest training[\s\S]*aiprov verify lineage[\s\S]*--evidence-out[\s\S]*--vsa-out/);
  });

  it('deploys only after a gate, which needs no token', () => {
    const deploy = Job.parse(pipeline['deploy']);
    expect(deploy.id_tokens).toBeUndefined();
    const script = deploy.script.join('\n');
    expect(script.indexOf('aiprov verify')).toBeGreaterThanOrEqual(0);
    expect(script.indexOf('aiprov verify')).toBeLessThan(script.indexOf('deploy.sh'));
  });
});
