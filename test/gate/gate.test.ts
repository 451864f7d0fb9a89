import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IN_TOTO_PAYLOAD_TYPE, parsePrivateKey, signDssePayload } from '../../src/index.js';
import { expectOneLineError, runCli, type CliRun } from '../support/cli.js';
import { writeModel } from '../support/fixtures.js';
import { gatePolicy as policy, releaseLineage } from '../support/lineage.js';

async function ok(args: readonly string[]): Promise<CliRun> {
  const run = await runCli(args);
  expect(run.status, `${args.join(' ')}\n${run.stderr}`).toBe(0);
  return run;
}

/** The lineage of `releaseLineage`: verified at release, gated where only the model and its evidence are. */
describe('gate a deployment on the model and its evidence', () => {
  let root: string;
  let release: { model: string; policy: string; evidence: string; artifacts: string };
  let deploy: { model: string; policy: string; evidence: string; dir: string };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'aiprov-gate-'));
    ({ release, deploy } = await releaseLineage(root));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const gate = (overrides: { policy?: string; evidence?: string; model?: string; extra?: string[] } = {}): Promise<CliRun> =>
    runCli(['verify', 'lineage', overrides.model ?? deploy.model, '--policy', overrides.policy ?? deploy.policy, '--evidence', overrides.evidence ?? deploy.evidence, '--json', ...(overrides.extra ?? [])]);

  it('writes exactly the bundles the verdict rested on', async () => {
    const lines = (await readFile(release.evidence, 'utf8')).trim().split('\n');
    const predicates = lines.map((line) => {
      const bundle = JSON.parse(line) as { dsseEnvelope: { payload: string } };
      return (JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as { predicateType: string; subject: { name: string }[] });
    });
    // Model: signature and provenance; recipe, datasets and base model: signatures, cards, the base's provenance.
    expect(predicates.map((statement) => `${statement.predicateType.split('/').slice(-2).join('/')} ${statement.subject[0]?.name ?? ''}`).sort()).toEqual(
      [
        'signature/v1.0 chat-1b',
        'provenance/v1 chat-1b',
        'signature/v1.0 recipe',
        'signature/v1.0 chats',
        'dataset/v1 chats',
        'signature/v1.0 base-1b',
        'provenance/v1 base-1b',
        'signature/v1.0 wiki',
        'dataset/v1 wiki',
      ].sort(),
    );
    expect(predicates[0]?.predicateType).toBe('https://model_signing/signature/v1.0');
    expect(predicates[0]?.subject[0]?.name).toBe('chat-1b');
  });

  it('passes on a host with only the model and its evidence (exit 0), every input from the evidence', async () => {
    const run = await gate();
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { verified: boolean; root: { verifiedFrom: string; children: { role: string; verifiedFrom: string; children: unknown[] }[] } };
    expect(result.verified).toBe(true);
    expect(result.root.verifiedFrom).toBe('disk');
    expect(result.root.children.map((child) => `${child.role}:${child.verifiedFrom}`).sort()).toEqual(['base-model:evidence', 'dataset:evidence', 'recipe:evidence']);
  });

  it('without the evidence, names what is missing (exit 3)', async () => {
    const run = await runCli(['verify', 'lineage', deploy.model, '--policy', deploy.policy, '--json']);
    expect(run.status).toBe(3);
    expect(run.stdout).toContain('INPUT_NOT_FOUND');
  });

  it('fails (exit 1) when a signature inside the evidence is forged', async () => {
    const lines = (await readFile(deploy.evidence, 'utf8')).trim().split('\n');
    const index = lines.findIndex((line) => Buffer.from((JSON.parse(line) as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload, 'base64').toString('utf8').includes('"name":"wiki"'));
    const bundle = JSON.parse(lines[index] ?? '') as { dsseEnvelope: { payload: string } };
    // Claim another digest for the dataset, keeping its signature: the signature no longer covers it.
    const statement = Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8').replace(/"sha256":"[0-9a-f]{64}"/, `"sha256":"${'0'.repeat(64)}"`);
    bundle.dsseEnvelope.payload = Buffer.from(statement, 'utf8').toString('base64');
    const forged = join(deploy.dir, 'forged.evidence.jsonl');
    await writeFile(forged, `${lines.map((line, at) => (at === index ? JSON.stringify(bundle) : line)).join('\n')}\n`);
    const run = await gate({ evidence: forged });
    expect(run.status, run.stdout).toBe(1);
  });

  it('is denied (exit 3) by a stricter licence policy', async () => {
    const strict = join(deploy.dir, 'strict.yaml');
    await writeFile(strict, policy('Apache-2.0'));
    const run = await gate({ policy: strict });
    expect(run.status).toBe(3);
    expect(run.stdout).toContain('LICENSE_NOT_ALLOWED');
  });

  it('is denied (exit 3) when the policy requires a role on disk that only the evidence has', async () => {
    const onDisk = join(deploy.dir, 'on-disk.yaml');
    await writeFile(onDisk, policy('CC-BY-4.0', { recipeOnDisk: true }));
    const run = await gate({ policy: onDisk });
    expect(run.status).toBe(3);
    expect(run.stdout).toContain('INPUT_NOT_FOUND');
  });

  it('re-hashes inputs that are on disk too (--search): a changed dataset fails (exit 1)', async () => {
    const copy = join(deploy.dir, 'inputs');
    await cp(release.artifacts, copy, { recursive: true });
    expect((await gate({ extra: ['--search', copy] })).status).toBe(0);
    await writeFile(join(copy, 'wiki', 'part-0.jsonl'), '{"text": "poisoned"}\n');
    expect((await gate({ extra: ['--search', copy] })).status).toBe(1);
    await rm(copy, { recursive: true, force: true });
  });

  it('a model without model.sig whose files changed since its evidence signature fails (exit 1, FILE_CHANGED), never "unsigned"', async () => {
    const model = join(deploy.dir, 'sigless', 'chat-1b');
    await cp(deploy.model, model, { recursive: true });
    await rm(join(model, 'model.sig'));
    expect((await gate({ model })).status).toBe(0);
    await writeFile(join(model, 'weights.bin'), 'backdoored weights');
    const run = await gate({ model });
    expect(run.status).toBe(1);
    const result = JSON.parse(run.stdout) as { verdict: string; root: { findings: { code: string; path?: string }[] } };
    expect(result.verdict).toBe('failed');
    expect(result.root.findings).toContainEqual(expect.objectContaining({ code: 'FILE_CHANGED', path: 'weights.bin' }));
    expect(run.stdout).not.toContain('UNSIGNED_ARTIFACT');
  });

  it('an input that must be on disk, without its signature file and changed since its evidence signature, fails (exit 1, FILE_CHANGED)', async () => {
    const onDisk = join(deploy.dir, 'recipe-on-disk.yaml');
    await writeFile(onDisk, policy('CC-BY-4.0', { recipeOnDisk: true }));
    const search = join(deploy.dir, 'changed-recipe');
    await cp(join(release.artifacts, 'recipe'), join(search, 'recipe'), { recursive: true });
    await rm(join(search, 'recipe', 'recipe.sig'));
    expect((await gate({ policy: onDisk, extra: ['--search', search] })).status).toBe(0);
    await writeFile(join(search, 'recipe', 'train.yaml'), 'lr: 100\n');
    const run = await gate({ policy: onDisk, extra: ['--search', search] });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('FILE_CHANGED');
    expect(run.stdout).not.toContain('UNSIGNED_ARTIFACT');
  });

  describe('a same-named folder under --search that is not the input does not shadow the evidence', () => {
    const searchWith = async (name: string, make: (folder: string) => Promise<void>): Promise<string> => {
      const search = join(deploy.dir, `shadow-${name}`);
      await make(join(search, 'chats'));
      return search;
    };

    it('an unsigned folder with other content: verified from the evidence (exit 0)', async () => {
      const search = await searchWith('unsigned', async (folder) => { await writeModel(folder, { 'part-0.jsonl': '{"text": "unrelated"}\n' }); });
      const run = await gate({ extra: ['--search', search] });
      expect(run.status, run.stdout).toBe(0);
      const result = JSON.parse(run.stdout) as { root: { children: { name: string; verifiedFrom: string }[] } };
      expect(result.root.children.find((child) => child.name === 'chats')?.verifiedFrom).toBe('evidence');
    });

    it('a copy of the input without its signature file, its files changed: verified from the evidence (exit 0)', async () => {
      const search = await searchWith('sigless', async (folder) => {
        await cp(join(release.artifacts, 'chats'), folder, { recursive: true });
        await rm(join(folder, 'dataset.sig'));
        await writeFile(join(folder, 'part-0.jsonl'), '{"text": "edited"}\n');
      });
      expect((await gate({ extra: ['--search', search] })).status).toBe(0);
    });

    it('a folder genuinely signed for another digest (another version): verified from the evidence (exit 0)', async () => {
      const search = await searchWith('other-version', async (folder) => {
        await writeModel(folder, { 'part-0.jsonl': '{"text": "version 2"}\n' });
        expect((await runCli(['sign', folder, '--kind', 'dataset', '--key', join(root, 'data.key'), '--quiet'])).status).toBe(0);
      });
      expect((await gate({ extra: ['--search', search] })).status).toBe(0);
      // Without evidence for it, the folder is what there is: its digest is not the one trained on.
      const alone = await runCli(['verify', 'lineage', release.model, '--policy', release.policy, '--search', search, '--search', join(release.artifacts, 'recipe'), '--json']);
      expect(alone.status).toBe(1);
      expect(alone.stdout).toContain('DIGEST_LINK_MISMATCH');
    });

    it('but the input itself, signed and changed, still fails (exit 1)', async () => {
      const search = await searchWith('tampered', async (folder) => {
        await cp(join(release.artifacts, 'chats'), folder, { recursive: true });
        await writeFile(join(folder, 'part-0.jsonl'), '{"text": "poisoned"}\n');
      });
      const run = await gate({ extra: ['--search', search] });
      expect(run.status).toBe(1);
      expect(run.stdout).toContain('FILE_CHANGED');
    });
  });

  it('fails (exit 1) on evidence the verdict does not use, and refuses a file that is not evidence (exit 2)', async () => {
    const padded = join(deploy.dir, 'padded.evidence.jsonl');
    const lines = (await readFile(deploy.evidence, 'utf8')).trim().split('\n');
    const other = await runCli(['sign', await writeModel(join(deploy.dir, 'unrelated'), { 'a.txt': 'a' }), '--key', join(root, 'ci.key'), '--quiet']);
    expect(other.status).toBe(0);
    await writeFile(padded, `${[...lines, (await readFile(join(deploy.dir, 'unrelated', 'model.sig'), 'utf8')).trim()].join('\n')}\n`);
    const run = await gate({ evidence: padded });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('EVIDENCE_UNUSED');

    const notEvidence = join(deploy.dir, 'not-evidence.jsonl');
    await writeFile(notEvidence, '{"hello": "world"}\n');
    expectOneLineError(await gate({ evidence: notEvidence }), 2, 'BUNDLE_INVALID');
  });

  /** Genuine signatures by the model's signer of `count` other artifacts: evidence the verdict does not use. */
  async function unrelatedSignatures(count: number): Promise<string[]> {
    const [modelLine] = (await readFile(deploy.evidence, 'utf8')).trim().split('\n');
    const statement = JSON.parse(Buffer.from((JSON.parse(modelLine ?? '') as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload, 'base64').toString('utf8')) as Record<string, unknown>;
    const method = { kind: 'key' as const, privateKey: parsePrivateKey(await readFile(join(root, 'ci.key'), 'utf8'), 'ci.key') };
    return Promise.all(
      Array.from({ length: count }, async (_, index) => {
        const other = { ...statement, subject: [{ name: `other-${String(index)}`, digest: { sha256: createHash('sha256').update(String(index)).digest('hex') } }] };
        return JSON.stringify(await signDssePayload(Buffer.from(JSON.stringify(other), 'utf8'), IN_TOTO_PAYLOAD_TYPE, method));
      }),
    );
  }

  type RootFindings = { root: { findings: { code: string; fields: { count?: number; values?: string[] } }[] } };

  it('reports unused evidence once, summarised: one EVIDENCE_UNUSED with the count and the first lines, not one per line (exit 1)', async () => {
    const lines = (await readFile(deploy.evidence, 'utf8')).trim().split('\n');
    const padded = join(deploy.dir, 'summarised.evidence.jsonl');
    await writeFile(padded, `${[...lines, ...(await unrelatedSignatures(12))].join('\n')}\n`);
    const run = await gate({ evidence: padded });
    expect(run.status, run.stderr).toBe(1);
    const unused = (JSON.parse(run.stdout) as RootFindings).root.findings.filter((finding) => finding.code === 'EVIDENCE_UNUSED');
    expect(unused).toHaveLength(1);
    expect(unused[0]?.fields.count).toBe(12);
    expect(unused[0]?.fields.values).toEqual(['10', '11', '12', '13', '14']);
    const text = await runCli(['verify', 'lineage', deploy.model, '--policy', deploy.policy, '--evidence', padded]);
    expect(text.stdout).toContain('12 bundle(s) of the evidence');
    expect(text.stdout).toContain('line 10, 11, 12, 13, 14, …');
  });

  it('reports forgeries among unused evidence once, summarised, and still fails (exit 1)', async () => {
    const lines = (await readFile(deploy.evidence, 'utf8')).trim().split('\n');
    // Each unrelated signature with its payload altered after signing: a forgery by the model's signer.
    const forgeries = (await unrelatedSignatures(7)).map((line) => {
      const bundle = JSON.parse(line) as { dsseEnvelope: { payload: string } };
      bundle.dsseEnvelope.payload = Buffer.from(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8').replace('other-', 'forged-'), 'utf8').toString('base64');
      return JSON.stringify(bundle);
    });
    const forged = join(deploy.dir, 'forged-unused.evidence.jsonl');
    await writeFile(forged, `${[...lines, ...forgeries].join('\n')}\n`);
    const run = await gate({ evidence: forged });
    expect(run.status, run.stderr).toBe(1);
    const findings = (JSON.parse(run.stdout) as RootFindings).root.findings;
    const invalid = findings.filter((finding) => finding.code === 'SIGNATURE_INVALID');
    expect(invalid).toHaveLength(1);
    expect(invalid[0]?.fields.count).toBe(7);
    expect(invalid[0]?.fields.values).toEqual(['10', '11', '12', '13', '14']);
    expect(findings.some((finding) => finding.code === 'EVIDENCE_UNUSED')).toBe(false);
  });

  it('refuses an evidence file of more than 10,000 bundles before verifying any (exit 2, EVIDENCE_TOO_MANY_LINES), and accepts 10,000', async () => {
    const lines = (await readFile(deploy.evidence, 'utf8')).trim().split('\n');
    const [first = ''] = lines;
    // The release's evidence, its first line repeated (repeats are the same bundle: used, not unused).
    const atLimit = [...lines, ...Array.from({ length: 10_000 - lines.length }, () => first)];
    const limit = join(deploy.dir, 'limit.evidence.jsonl');
    await writeFile(limit, `${atLimit.join('\n')}\n\n`);
    expect((await gate({ evidence: limit })).status).toBe(0);
    const over = join(deploy.dir, 'over.evidence.jsonl');
    await writeFile(over, `${[...atLimit, first].join('\n')}\n`);
    expectOneLineError(await gate({ evidence: over }), 2, 'EVIDENCE_TOO_MANY_LINES');
  });

  it('fails (exit 1) when the evidence holds two signatures for one input that name different digests', async () => {
    // A second, genuinely signed account of the dataset "wiki" with other content.
    const impostor = await writeModel(join(deploy.dir, 'impostor', 'wiki'), { 'part-0.jsonl': '{"text": "other"}\n' });
    expect((await runCli(['sign', impostor, '--kind', 'dataset', '--key', join(root, 'data.key'), '--quiet'])).status).toBe(0);
    const doubled = join(deploy.dir, 'doubled.evidence.jsonl');
    await writeFile(doubled, `${(await readFile(deploy.evidence, 'utf8')).trim()}\n${(await readFile(join(impostor, 'dataset.sig'), 'utf8')).trim()}\n`);
    const run = await gate({ evidence: doubled });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('EVIDENCE_CONFLICT');
  });

  it('writes nothing when the lineage does not verify', async () => {
    const strict = join(deploy.dir, 'strict-out.yaml');
    await writeFile(strict, policy('Apache-2.0'));
    const out = join(deploy.dir, 'never.jsonl');
    const run = await gate({ policy: strict, extra: ['--evidence-out', out] });
    expect(run.status).toBe(3);
    await expect(readFile(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  describe('verification summaries', () => {
    let vsa: string;

    beforeAll(async () => {
      vsa = join(deploy.dir, 'chat-1b.vsa.jsonl');
      await ok(['verify', 'lineage', deploy.model, '--policy', deploy.policy, '--evidence', deploy.evidence, '--vsa-out', vsa, '--vsa-key', join(root, 'ci.key'), '--resource-uri', 'hf://acme/chat-1b']);
    });

    it('writes an SLSA VSA v1 over the model\'s root, naming the policy and every evidence bundle', async () => {
      const bundle = JSON.parse((await readFile(vsa, 'utf8')).trim()) as { dsseEnvelope: { payload: string } };
      const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as { predicateType: string; subject: { name: string; digest: { sha256: string } }[]; predicate: Record<string, unknown> };
      const digest = JSON.parse((await runCli(['verify', deploy.model, '--key', join(deploy.dir, 'ci.pub'), '--json'])).stdout) as { rootDigest: string };
      expect(statement.predicateType).toBe('https://slsa.dev/verification_summary/v1');
      expect(`sha256:${statement.subject[0]?.digest.sha256 ?? ''}`).toBe(digest.rootDigest);
      expect(statement.predicate).toMatchObject({
        verifier: { id: 'https://aiprov.dev/verifier' },
        resourceUri: 'hf://acme/chat-1b',
        verificationResult: 'PASSED',
        verifiedLevels: ['AIPROV_LINEAGE_VERIFIED'],
        policy: { uri: deploy.policy },
      });
      expect((statement.predicate['inputAttestations'] as unknown[]).length).toBe((await readFile(deploy.evidence, 'utf8')).trim().split('\n').length);
    });

    it('verify vsa: 0 with the signer\'s key; 3 with another key (VSA_UNTRUSTED_SIGNER); 3 for another policy, verifier or resource, or too old', async () => {
      const policyDigest = `sha256:${(await import('node:crypto')).createHash('sha256').update(await readFile(deploy.policy)).digest('hex')}`;
      const run = await runCli(['verify', 'vsa', deploy.model, '--vsa', vsa, '--key', join(deploy.dir, 'ci.pub'), '--policy-digest', policyDigest, '--max-age', '1h', '--resource-uri', 'hf://acme/chat-1b', '--json']);
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ verified: true, verificationResult: 'PASSED', policy: { digest: policyDigest } });
      expectOneLineError(await runCli(['verify', 'vsa', deploy.model, '--vsa', vsa, '--key', join(deploy.dir, 'other.pub')]), 3, 'VSA_UNTRUSTED_SIGNER');
      expectOneLineError(await runCli(['verify', 'vsa', deploy.model, '--vsa', vsa, '--key', join(deploy.dir, 'ci.pub'), '--policy-digest', `sha256:${'1'.repeat(64)}`]), 3, 'VSA_POLICY_MISMATCH');
      expectOneLineError(await runCli(['verify', 'vsa', deploy.model, '--vsa', vsa, '--key', join(deploy.dir, 'ci.pub'), '--verifier-id', 'https://example.com/other']), 3, 'VSA_VERIFIER_MISMATCH');
      expectOneLineError(await runCli(['verify', 'vsa', deploy.model, '--vsa', vsa, '--key', join(deploy.dir, 'ci.pub'), '--resource-uri', 'hf://acme/other']), 3, 'VSA_RESOURCE_MISMATCH');
      expectOneLineError(await runCli(['verify', 'vsa', deploy.model, '--vsa', vsa, '--key', join(deploy.dir, 'ci.pub'), '--max-age', 'soon']), 2, 'USAGE');
    });

    it('a FAILED summary fails (exit 1), and so does a summary about another model', async () => {
      const strict = join(deploy.dir, 'strict-vsa.yaml');
      await writeFile(strict, policy('Apache-2.0'));
      const failed = join(deploy.dir, 'failed.vsa.jsonl');
      expect((await runCli(['verify', 'lineage', deploy.model, '--policy', strict, '--evidence', deploy.evidence, '--vsa-out', failed, '--vsa-key', join(root, 'ci.key')])).status).toBe(3);
      expectOneLineError(await runCli(['verify', 'vsa', deploy.model, '--vsa', failed, '--key', join(deploy.dir, 'ci.pub')]), 1, 'VSA_FAILED');
      const other = await writeModel(join(deploy.dir, 'other-model'), { 'weights.bin': 'other' });
      expectOneLineError(await runCli(['verify', 'vsa', other, '--vsa', vsa, '--key', join(deploy.dir, 'ci.pub')]), 1, 'VSA_SUBJECT_MISMATCH');
    });

    it('plain verify writes one too, over the model\'s signature and the trust it was given', async () => {
      const summary = join(deploy.dir, 'signature.vsa.jsonl');
      await ok(['verify', deploy.model, '--key', join(deploy.dir, 'ci.pub'), '--vsa-out', summary, '--vsa-key', join(root, 'ci.key')]);
      const run = await runCli(['verify', 'vsa', deploy.model, '--vsa', summary, '--key', join(deploy.dir, 'ci.pub'), '--json']);
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ verifiedLevels: ['AIPROV_SIGNATURE_VERIFIED'], policy: { uri: 'https://aiprov.dev/policy/verify-trust/v1' } });

      const changed = join(deploy.dir, 'changed-for-verify');
      await cp(deploy.model, changed, { recursive: true });
      await writeFile(join(changed, 'config.json'), '{"tampered": true}');
      const failed = join(deploy.dir, 'failed-signature.vsa.jsonl');
      expect((await runCli(['verify', changed, '--key', join(deploy.dir, 'ci.pub'), '--vsa-out', failed, '--vsa-key', join(root, 'ci.key')])).status).toBe(1);
      expectOneLineError(await runCli(['verify', 'vsa', deploy.model, '--vsa', failed, '--key', join(deploy.dir, 'ci.pub')]), 1, 'VSA_FAILED');
    });

    it('a summary older than --max-age is denied (exit 3), one dated in the future fails (exit 1), an oversized file is refused (exit 2)', async () => {
      const { writeVsa } = await import('../../src/use-cases/vsa.js');
      const { parsePrivateKey, parsePublicKey } = await import('../../src/format/keys.js');
      const { verifyArtifact } = await import('../../src/verify/verify-artifact.js');
      const verified = await verifyArtifact(deploy.model, { trust: { kind: 'key', publicKey: parsePublicKey(await readFile(join(deploy.dir, 'ci.pub')), 'ci.pub') } });
      const rootDigest = verified.signedRootDigest;
      const signingMethod = { kind: 'key' as const, privateKey: parsePrivateKey(await readFile(join(root, 'ci.key'), 'utf8'), 'ci.key') };
      const summary = (timeVerified: Date) => ({
        subject: { name: 'chat-1b', rootDigest },
        verifierId: 'https://aiprov.dev/verifier',
        verifierVersion: 'test',
        timeVerified,
        resourceUri: 'chat-1b',
        policy: { uri: 'policy.yaml', sha256: '0'.repeat(64) },
        inputAttestations: [],
        passed: true,
        level: 'AIPROV_LINEAGE_VERIFIED' as const,
        kind: 'model',
        verifiedWith: { serialization: verified.verifiedWith, resourcesDigest: verified.resourcesDigest },
      });
      const old = join(deploy.dir, 'old.vsa.jsonl');
      await writeVsa(old, summary(new Date(Date.now() - 2 * 86_400_000)), signingMethod);
      expect((await runCli(['verify', 'vsa', deploy.model, '--vsa', old, '--key', join(deploy.dir, 'ci.pub')])).status).toBe(0);
      expectOneLineError(await runCli(['verify', 'vsa', deploy.model, '--vsa', old, '--key', join(deploy.dir, 'ci.pub'), '--max-age', '24h']), 3, 'VSA_TOO_OLD');
      const future = join(deploy.dir, 'future.vsa.jsonl');
      await writeVsa(future, summary(new Date(Date.now() + 86_400_000)), signingMethod);
      expectOneLineError(await runCli(['verify', 'vsa', deploy.model, '--vsa', future, '--key', join(deploy.dir, 'ci.pub')]), 1, 'TIMESTAMP_INVALID');

      const huge = join(deploy.dir, 'huge.vsa.jsonl');
      await writeFile(huge, '');
      await (await import('node:fs/promises')).truncate(huge, 5 * 1024 * 1024);
      expectOneLineError(await runCli(['verify', 'vsa', deploy.model, '--vsa', huge, '--key', join(deploy.dir, 'ci.pub')]), 2, 'VSA_TOO_LARGE');
      const hugeEvidence = join(deploy.dir, 'huge.evidence.jsonl');
      await writeFile(hugeEvidence, '');
      await (await import('node:fs/promises')).truncate(hugeEvidence, 300 * 1024 * 1024);
      expectOneLineError(await gate({ evidence: hugeEvidence }), 2, 'EVIDENCE_TOO_LARGE');
      await rm(hugeEvidence);
    });

    it('the gate never hashes with an unverified model.sig: files listed in a forged ignore_paths fail verify vsa as they fail verify (exit 1)', async () => {
      const forged = join(deploy.dir, 'forged');
      await cp(deploy.model, forged, { recursive: true });
      await writeFile(join(forged, 'adapter_config.json'), '{"base_model_name_or_path": "evil/base"}');
      await mkdir(join(forged, 'extra'));
      await writeFile(join(forged, 'extra', 'loader.py'), 'import os\n');
      // The signature is junk (its payload no longer matches it), but until it is authenticated
      // nothing in it may decide what is hashed.
      const bundle = JSON.parse(await readFile(join(forged, 'model.sig'), 'utf8')) as { dsseEnvelope: { payload: string } };
      const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as { predicate: { serialization: { ignore_paths: string[] } } };
      statement.predicate.serialization.ignore_paths.push('adapter_config.json', 'extra');
      bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
      await writeFile(join(forged, 'model.sig'), JSON.stringify(bundle));
      expect((await runCli(['verify', forged, '--key', join(deploy.dir, 'ci.pub')])).status).toBe(1);
      expectOneLineError(await runCli(['verify', 'vsa', forged, '--vsa', vsa, '--key', join(deploy.dir, 'ci.pub')]), 1, 'VSA_SUBJECT_MISMATCH');
      // The untouched model still passes the same gate.
      expect((await runCli(['verify', 'vsa', deploy.model, '--vsa', vsa, '--key', join(deploy.dir, 'ci.pub'), '--verified-level', 'AIPROV_LINEAGE_VERIFIED'])).status).toBe(0);
    });

    it('a lineage summary records the kind and the serialization the model was verified with', async () => {
      const bundle = JSON.parse((await readFile(vsa, 'utf8')).trim()) as { dsseEnvelope: { payload: string } };
      const { predicate } = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as { predicate: Record<string, unknown> };
      expect(predicate['kind']).toBe('model');
      expect(predicate['serialization']).toMatchObject({ method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: expect.arrayContaining(['model.sig', 'model.intoto.jsonl', 'model.evidence.jsonl']) as unknown });
    });

    it('a changed model file fails both gates (exit 1)', async () => {
      const changed = join(deploy.dir, 'changed');
      await cp(deploy.model, changed, { recursive: true });
      await writeFile(join(changed, 'weights.bin'), 'tampered weights');
      expect((await gate({ model: changed })).status).toBe(1);
      expectOneLineError(await runCli(['verify', 'vsa', changed, '--vsa', vsa, '--key', join(deploy.dir, 'ci.pub')]), 1, 'VSA_SUBJECT_MISMATCH');
    });
  });
});
