import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Secret } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../support/cli.js';
import { temporaryDirectory } from '../support/fixtures.js';
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
