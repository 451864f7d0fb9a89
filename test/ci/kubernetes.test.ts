import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { ConfigMap, PersistentVolumeClaim, Secret } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { AIPROV_BIN, runCli } from '../support/cli.js';
import { SMALL_MODEL, temporaryDirectory, writeModel } from '../support/fixtures.js';
import { REPO_ROOT } from '../support/paths.js';

const DIR = join(REPO_ROOT, 'examples', 'kubernetes');
const FILES = readdirSync(DIR).filter((name) => name.endsWith('.yaml'));

interface Manifest { readonly file: string; readonly object: { apiVersion: string; kind: string; metadata: { name: string } } & Record<string, unknown> }

function manifests(dir: string, files: readonly string[]): Manifest[] {
  return files.flatMap((file) => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((document) => {
    expect(document.errors, file).toEqual([]);
    return { file, object: document.toJS() as Manifest['object'] };
  }));
}

/** kubernetes-models checks an object against the Kubernetes OpenAPI schema of its kind. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
};

const all = manifests(DIR, FILES);
const byKind = (kind: string): Manifest['object'] => {
  const found = all.find((manifest) => manifest.object.kind === kind);
  if (found === undefined) throw new Error(`no ${kind} in examples/kubernetes`);
  return found.object;
};

interface Container { name?: string; image: string; args: string[]; securityContext: Record<string, unknown>; volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[] }
interface PodSpec { securityContext: Record<string, unknown>; initContainers: Container[]; containers: Container[]; volumes: Record<string, unknown>[] }

describe('examples/kubernetes', () => {
  it.each(all.map((manifest) => [`${manifest.file}: ${manifest.object.kind} ${manifest.object.metadata.name}`, manifest] as const))('%s is valid against the Kubernetes schema', (_name, manifest) => {
    const Model = MODELS[`${manifest.object.apiVersion}/${manifest.object.kind}`];
    expect(Model, `no schema for ${manifest.object.apiVersion} ${manifest.object.kind}`).toBeDefined();
    expect(() => { new (Model as new (data: unknown) => { validate(): void })(manifest.object).validate(); }).not.toThrow();
  });

  // kubernetes-models checks types, enums and required fields, but not unknown fields (the
  // OpenAPI schemas do not forbid them; the API server's strict field validation does).
  it('the schema check does catch a mistake (a wrong type, a missing required field)', () => {
    const replicas = structuredClone(byKind('Deployment'));
    (replicas['spec'] as Record<string, unknown>)['replicas'] = 'one';
    expect(() => { new Deployment(replicas).validate(); }).toThrow();
    const unnamed = structuredClone(byKind('Deployment'));
    delete (unnamed['spec'] as { template: { spec: PodSpec } }).template.spec.initContainers[0]?.name;
    expect(() => { new Deployment(unnamed).validate(); }).toThrow();
  });

  it('the init container gates the model server: aiprov verify lineage with the evidence, offline, non-root, read-only root filesystem', () => {
    const pod = (byKind('Deployment')['spec'] as { template: { spec: PodSpec } }).template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    const [init] = pod.initContainers;
    expect(init?.args.slice(0, 2)).toEqual(['verify', 'lineage']);
    expect(init?.args).toEqual(expect.arrayContaining(['--policy', '--evidence', '--offline']));
    expect(init?.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(init?.volumeMounts.every((mount) => mount.readOnly === true)).toBe(true);
    // The server reads the very volume the init container verified.
    const model = init?.volumeMounts.find((mount) => mount.name === 'model');
    expect(pod.containers[0]?.volumeMounts).toContainEqual(model);
    expect(JSON.stringify(pod.volumes)).toMatch(/"configMap":\{"name":"aiprov-policy".*"secret":\{"name":"aiprov-keys"/);
  });

  it('the policy in the ConfigMap, with the key of the Secret where the pod mounts it, passes aiprov policy check', async () => {
    const dir = await temporaryDirectory();
    await mkdir(join(dir, 'keys'));
    await writeFile(join(dir, 'policy.yaml'), (byKind('ConfigMap')['data'] as Record<string, string>)['policy.yaml'] ?? '');
    await writeFile(join(dir, 'keys', 'data-team.pub'), (byKind('Secret')['stringData'] as Record<string, string>)['data-team.pub'] ?? '');
    const run = await runCli(['policy', 'check', join(dir, 'policy.yaml'), '--json']);
    expect(run.status, run.stdout).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ valid: true });
  });

  // No npm package carries KServe's CRD schemas as kubernetes-models does for the core kinds
  // (@kubernetes-models/kserve does not exist), so the InferenceService is only parsed here; its
  // pod-level parts are checked with the core schema of a PodSpec.
  it('kserve/inferenceservice.yaml parses and its predictor is a valid pod spec (KServe CRD schema not available: not validated)', async () => {
    const [service] = manifests(join(DIR, 'kserve'), ['inferenceservice.yaml']);
    expect(service?.object).toMatchObject({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService' });
    const { PodSpec: PodSpecModel } = await import('kubernetes-models/v1');
    const { automountServiceAccountToken, securityContext, initContainers, containers, volumes } = (service?.object['spec'] as { predictor: Record<string, unknown> }).predictor;
    expect(() => { new PodSpecModel({ automountServiceAccountToken, securityContext, initContainers, containers, volumes } as never).validate(); }).not.toThrow();
  });
});

interface JobObject {
  metadata: { name: string };
  spec: { completionMode?: string; completions?: number; parallelism?: number; template: { spec: { containers: (Container & { command: string[]; env: { name: string; value: string }[] })[]; volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[] } } };
}

/** Runs a container's `sh -c` script on this machine, with its paths moved into `root` and `aiprov` on PATH. */
async function runScript(script: string, env: Record<string, string>, root: string): Promise<{ status: number | null; stderr: string }> {
  const bin = join(root, 'bin');
  const local = script.replaceAll('/models/', `${join(root, 'models')}/`).replaceAll('/parts', join(root, 'parts')).replaceAll('/etc/aiprov-signing/', `${join(root, 'keys')}/`);
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', local], { env: { PATH: `${bin}:${process.env['PATH'] ?? ''}`, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => { resolve({ status, stderr }); });
  });
}

describe('examples/kubernetes/partitioned: hash on N pods, merge and sign', () => {
  const PARTITIONED = join(DIR, 'partitioned');
  const objects = manifests(PARTITIONED, readdirSync(PARTITIONED).filter((name) => name.endsWith('.yaml')));
  const job = (name: string): JobObject => {
    const found = objects.find((manifest) => manifest.object.kind === 'Job' && manifest.object.metadata.name === name);
    if (found === undefined) throw new Error(`no Job ${name}`);
    return found.object as unknown as JobObject;
  };

  it.each(objects.map((manifest) => [`${manifest.object.kind} ${manifest.object.metadata.name}`, manifest] as const))('%s is valid against the Kubernetes schema', (_name, manifest) => {
    const Model = MODELS[`${manifest.object.apiVersion}/${manifest.object.kind}`];
    expect(Model, `no schema for ${manifest.object.apiVersion} ${manifest.object.kind}`).toBeDefined();
    expect(() => { new (Model as new (data: unknown) => { validate(): void })(manifest.object).validate(); }).not.toThrow();
  });

  it('the digest Job is Indexed, N completions N at a time, part K = JOB_COMPLETION_INDEX + 1 of PARTS = N', () => {
    const digest = job('chat-1b-digest');
    const [container] = digest.spec.template.spec.containers;
    expect(digest.spec).toMatchObject({ completionMode: 'Indexed' });
    const parts = Number(container?.env.find((variable) => variable.name === 'PARTS')?.value);
    expect(digest.spec.completions).toBe(parts);
    expect(digest.spec.parallelism).toBe(parts);
    const script = container?.args.join('\n') ?? '';
    expect(script).toContain('K=$((JOB_COMPLETION_INDEX + 1))');
    expect(script).toMatch(/aiprov digest \S+ --partition "\$K\/\$PARTS" --json/);
    const sign = job('chat-1b-sign');
    expect(Number(sign.spec.template.spec.containers[0]?.env.find((variable) => variable.name === 'PARTS')?.value)).toBe(parts);
    // Both Jobs share the parts volume, which the file declares.
    const claims = (spec: JobObject): string[] => spec.spec.template.spec.volumes.flatMap((volume) => (volume.persistentVolumeClaim === undefined ? [] : [volume.persistentVolumeClaim.claimName]));
    expect(claims(digest)).toEqual(expect.arrayContaining(['chat-1b-model', 'chat-1b-parts']));
    expect(claims(sign)).toEqual(expect.arrayContaining(['chat-1b-model', 'chat-1b-parts']));
    expect(objects.some((manifest) => manifest.object.kind === 'PersistentVolumeClaim' && manifest.object.metadata.name === 'chat-1b-parts')).toBe(true);
  });

  it('its scripts, run as the pods would (all N digest pods at once, then the sign pod), sign what `aiprov sign` signs', async () => {
    const root = await temporaryDirectory();
    await mkdir(join(root, 'bin'));
    await symlink(AIPROV_BIN, join(root, 'bin', 'aiprov'));
    await mkdir(join(root, 'parts'));
    await mkdir(join(root, 'keys'));
    const model = await writeModel(join(root, 'models', 'chat-1b'), SMALL_MODEL);
    expect((await runCli(['keygen', '--output-prefix', join(root, 'keys', 'release')])).status).toBe(0);

    const digest = job('chat-1b-digest');
    const container = digest.spec.template.spec.containers[0];
    const env = Object.fromEntries((container?.env ?? []).map((variable) => [variable.name, variable.value]));
    const pods = Array.from({ length: digest.spec.completions ?? 0 }, (_, index) => runScript(container?.args.join('\n') ?? '', { ...env, JOB_COMPLETION_INDEX: String(index) }, root));
    for (const pod of await Promise.all(pods)) expect(pod.status, pod.stderr).toBe(0);

    const signer = job('chat-1b-sign').spec.template.spec.containers[0];
    const signed = await runScript(signer?.args.join('\n') ?? '', Object.fromEntries((signer?.env ?? []).map((variable) => [variable.name, variable.value])), root);
    expect(signed.status, signed.stderr).toBe(0);
    const merged = JSON.parse(await readFile(join(root, 'parts', 'merged.json'), 'utf8')) as { rootDigest: string };
    const whole = await runCli(['digest', model]);
    expect(merged.rootDigest).toBe(whole.stdout.trim());
    const verify = await runCli(['verify', model, '--key', join(root, 'keys', 'release.pub'), '--json']);
    expect(verify.status, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ verified: true, rootDigest: merged.rootDigest });
  });
});
