/**
 * Adversarial review of issue 17's items: verify --merge re-authenticating, lineage inputs on disk
 * without their signature file and same-named folders, policy signers' timestamp authorities, and
 * certificate trust (Fulcio CAs refused, pins exact, sign refusing expired certificates).
 *
 * Each test asserts the safe outcome. (Attacks that got through are not here: they are the limits
 * README states, a part file being a claim of the machine that hashed, and a planted or renamed
 * folder making a lineage be denied, never pass.)
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSigstore, type LocalSigstore } from '../../local-stack/index.js';
import { certificatePem } from '../../src/format/certificates.js';
import { publicGoodTrustRoot } from '../../src/verify/trust.js';
import { expectOneLineError, runCli, type CliRun } from '../support/cli.js';
import { SMALL_MODEL, writeModel } from '../support/fixtures.js';
import { CA_EXTENSIONS, issueCertificate, opensslTime, SIGNING_EXTENSIONS } from '../support/pki.js';

let root: string;
let scratch = 0;

async function fresh(): Promise<string> {
  const path = join(root, `s-${String(++scratch)}`);
  await mkdir(path);
  return path;
}

async function ok(args: readonly string[]): Promise<CliRun> {
  const run = await runCli(args);
  expect(run.status, `${args.join(' ')}\n${run.stdout}\n${run.stderr}`).toBe(0);
  return run;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aiprov-adv-items-'));
  await ok(['keygen', '--output-prefix', join(root, 'k')]);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const MODEL = { 'config.json': '{"layers": 2}\n', 'weights/big.bin': 'w'.repeat(2000), 'weights/small.bin': 's'.repeat(40), 'README.md': '# tiny\n' };

type Part = {
  passed: boolean;
  signaturePath: string;
  artifactPath: string;
  bundleDigest: string;
  rootDigest: string;
  resourceCount: number;
  name: string;
  serialization: { ignorePaths: string[] };
  checkedResources: { name: string; digest: string }[];
  diff: { extra: string[]; missing: string[]; changed: string[] };
  findings: { code: string; severity: string }[];
};

describe('A. verify --merge with hand-written or edited parts', () => {
  let pub: string;
  let modelA: string;
  let modelB: string;
  let partsA: Part[];
  let partsB: Part[];

  async function partsOf(model: string, count = 2): Promise<Part[]> {
    const runs = await Promise.all(Array.from({ length: count }, (_, index) => runCli(['verify', model, '--key', pub, '--partition', `${String(index + 1)}/${String(count)}`, '--json'])));
    return runs.map((run) => JSON.parse(run.stdout) as Part);
  }

  async function files(parts: readonly Part[]): Promise<string[]> {
    const out = await fresh();
    return Promise.all(parts.map(async (part, index) => {
      const file = join(out, `part-${String(index + 1)}.json`);
      await writeFile(file, JSON.stringify(part));
      return file;
    }));
  }

  const clone = <T>(value: T): T => structuredClone(value);

  beforeAll(async () => {
    pub = join(root, 'k.pub');
    modelA = await writeModel(join(await fresh(), 'a'), MODEL);
    modelB = await writeModel(join(await fresh(), 'b'), { ...MODEL, 'config.json': '{"layers": 3}\n' });
    await ok(['sign', modelA, '--key', join(root, 'k.key'), '-q']);
    await ok(['sign', modelB, '--key', join(root, 'k.key'), '-q']);
    partsA = await partsOf(modelA);
    partsB = await partsOf(modelB);
    expect(partsA.every((part) => part.passed)).toBe(true);
  });

  it('control: honest parts verify (exit 0)', async () => {
    await ok(['verify', '--merge', ...(await files(partsA)), '--key', pub]);
  });

  // ACCEPTED (inherent): a part is an unsigned claim. Copying the signed digests (public, in the
  // bundle) into checkedResources of a part that never hashed anything verifies the "artifact".

  it('--signature pointing at another model\'s valid bundle: PART_FOREIGN (exit 1)', async () => {
    expectOneLineError(await runCli(['verify', '--merge', ...(await files(partsA)), '--key', pub, '--signature', join(modelB, 'model.sig')]), 1, 'PART_FOREIGN');
  });

  it('parts naming another model\'s signature path: PART_FOREIGN (exit 1)', async () => {
    const edited = partsA.map((part) => ({ ...clone(part), signaturePath: join(modelB, 'model.sig') }));
    expectOneLineError(await runCli(['verify', '--merge', ...(await files(edited)), '--key', pub]), 1, 'PART_FOREIGN');
  });

  it('parts of two different signatures (part 1 of A, part 2 of B): PART_FOREIGN (exit 1)', async () => {
    const mixed = [partsA[0], partsB[1]].map((part) => clone(part as Part));
    expectOneLineError(await runCli(['verify', '--merge', ...(await files(mixed)), '--key', pub]), 1, 'PART_FOREIGN');
  });

  it('a forged bundleDigest (B\'s) and B\'s signature path on A\'s parts: PART_FOREIGN (exit 1)', async () => {
    const forged = partsA.map((part) => ({ ...clone(part), bundleDigest: partsB[0]?.bundleDigest ?? '', signaturePath: join(modelB, 'model.sig') }));
    expectOneLineError(await runCli(['verify', '--merge', ...(await files(forged)), '--key', pub]), 1, 'PART_FOREIGN');
    const digestOnly = partsA.map((part) => ({ ...clone(part), bundleDigest: `sha256:${'0'.repeat(64)}` }));
    expectOneLineError(await runCli(['verify', '--merge', ...(await files(digestOnly)), '--key', pub]), 1, 'PART_FOREIGN');
  });

  it('a serialization edited in every part (ignore paths): PART_FOREIGN (exit 1)', async () => {
    const edited = partsA.map((part) => { const copy = clone(part); copy.serialization.ignorePaths = [...copy.serialization.ignorePaths, 'weights']; return copy; });
    expectOneLineError(await runCli(['verify', '--merge', ...(await files(edited)), '--key', pub]), 1, 'PART_FOREIGN');
  });

  it('checked resources duplicated across parts, or a subset: PART_OVERLAP / PARTS_UNION_MISMATCH (exit 1)', async () => {
    const [one, two] = partsA.map(clone) as [Part, Part];
    const all = [...one.checkedResources, ...two.checkedResources];
    const duplicated = [{ ...clone(one), checkedResources: all }, { ...clone(two), checkedResources: two.checkedResources }];
    expectOneLineError(await runCli(['verify', '--merge', ...(await files(duplicated)), '--key', pub]), 1, 'PART_OVERLAP');
    const subset = [{ ...clone(one), checkedResources: all.slice(1) }, { ...clone(two), checkedResources: [] }];
    expectOneLineError(await runCli(['verify', '--merge', ...(await files(subset)), '--key', pub]), 1, 'PARTS_UNION_MISMATCH');
    // The same resource twice inside one part.
    const twice = [{ ...clone(one), checkedResources: [...all, all[0] as { name: string; digest: string }] }, { ...clone(two), checkedResources: [] }];
    expectOneLineError(await runCli(['verify', '--merge', ...(await files(twice)), '--key', pub]), 1, 'PART_OVERLAP');
  });

  it('a part that passed beside one listing a changed file: exit 1, verified false', async () => {
    const tampered = await writeModel(join(await fresh(), 'a'), { ...MODEL, 'weights/big.bin': 'evil'.repeat(500) });
    await cp(join(modelA, 'model.sig'), join(tampered, 'model.sig'));
    const failing = await partsOf(tampered);
    const run = await runCli(['verify', '--merge', ...(await files(failing)), '--key', pub, '--json']);
    expect(run.status).toBe(1);
    expect((JSON.parse(run.stdout) as { verified: boolean }).verified).toBe(false);
    // Passed, with the changed file moved into the other (failed) part's diff only.
    const moved = failing.map((part) => (part.passed ? part : { ...clone(part), diff: { extra: [], missing: [], changed: [] } }));
    expect((await runCli(['verify', '--merge', ...(await files(moved)), '--key', pub])).status).not.toBe(0);
  });

  it('a part naming a FIFO as its signature path does not hang the merge', async () => {
    const fifo = join(await fresh(), 'model.sig');
    execFileSync('mkfifo', [fifo]);
    const edited = partsA.map((part) => ({ ...clone(part), signaturePath: fifo }));
    const run = await runCli(['verify', '--merge', ...(await files(edited)), '--key', pub], { killAfterMs: 20_000 });
    expect(run.status).not.toBeNull();
    expect(run.status).not.toBe(0);
  });
});

describe('B. lineage inputs on disk without their signature, and planted folders', () => {
  const BUILDER = 'https://ci.example/train';
  let base: string;
  let model: string;
  let policy: string;
  let evidence: string;
  let artifacts: string;

  beforeAll(async () => {
    base = await fresh();
    await ok(['keygen', '--output-prefix', join(base, 'ci')]);
    const key = join(base, 'ci.key');
    artifacts = join(base, 'artifacts');
    model = await writeModel(join(artifacts, 'chat'), { 'weights.bin': 'weights' });
    const recipe = await writeModel(join(artifacts, 'recipe'), { 'train.yaml': 'lr: 0.1\n' });
    const dataset = await writeModel(join(artifacts, 'corpus'), { 'part-0.jsonl': '{"text": "a"}\n', 'part-1.jsonl': '{"text": "b"}\n' });
    await ok(['sign', recipe, '--kind', 'recipe', '--key', key, '-q']);
    await ok(['sign', dataset, '--kind', 'dataset', '--key', key, '-q']);
    await ok(['sign', model, '--key', key, '-q']);
    await ok(['attest', 'training', '--model', model, '--recipe', recipe, '--dataset', dataset, '--builder-id', BUILDER, '--key', key]);
    policy = join(base, 'policy.yaml');
    await writeFile(policy, `version: 1\nsigners:\n  ci:\n    key: ./ci.pub\nroles:\n  model:\n    signers: [ci]\n    requireAttestations: [training-provenance]\n  dataset:\n    signers: [ci]\n  recipe:\n    signers: [ci]\n`);
    evidence = join(base, 'chat.evidence.jsonl');
    await ok(['verify', 'lineage', model, '--policy', policy, '--search', artifacts, '--evidence-out', evidence]);
  });

  const deployCopy = async (name = 'chat'): Promise<string> => {
    const copy = join(await fresh(), name);
    await cp(model, copy, { recursive: true });
    return copy;
  };
  const gate = (at: string, extra: string[] = []): Promise<CliRun> => runCli(['verify', 'lineage', at, '--policy', policy, '--evidence', evidence, '--json', ...extra]);

  it('control: the model alone with its evidence verifies (exit 0)', async () => {
    await ok(['verify', 'lineage', await deployCopy(), '--policy', policy, '--evidence', evidence]);
  });

  // Denial, not a pass: a renamed directory makes the name check miss, UNSIGNED_ARTIFACT (exit 3).

  it('the top model without model.sig, changed, same name: exit 1 FILE_CHANGED', async () => {
    const copy = await deployCopy();
    await rm(join(copy, 'model.sig'));
    await writeFile(join(copy, 'weights.bin'), 'backdoored');
    const run = await gate(copy);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('FILE_CHANGED');
  });

  it('the top model without model.sig, with an added file: not verified', async () => {
    const copy = await deployCopy();
    await rm(join(copy, 'model.sig'));
    await writeFile(join(copy, 'extra.bin'), 'payload');
    expect((await gate(copy)).status).not.toBe(0);
  });

  it('the signed dataset itself under --search, changed and given an unreadable entry (a dangling link): not verified', async () => {
    const search = await fresh();
    await cp(join(artifacts, 'corpus'), join(search, 'corpus'), { recursive: true });
    await writeFile(join(search, 'corpus', 'part-0.jsonl'), '{"text": "poisoned"}\n');
    const plain = await gate(await deployCopy(), ['--search', search]);
    expect(plain.status).toBe(1);
    await symlink(join(search, 'nowhere'), join(search, 'corpus', 'dangling'));
    const run = await gate(await deployCopy(), ['--search', search]);
    expect(run.status, run.stdout).not.toBe(0);
  });

  it('the signed dataset itself under --search, changed, with a link loop inside: not verified', async () => {
    const search = await fresh();
    await cp(join(artifacts, 'corpus'), join(search, 'corpus'), { recursive: true });
    await writeFile(join(search, 'corpus', 'part-0.jsonl'), '{"text": "poisoned"}\n');
    await symlink('loop', join(search, 'corpus', 'loop'));
    const run = await gate(await deployCopy(), ['--search', search]);
    expect(run.status, run.stdout).not.toBe(0);
  });

  // Denial by planting: any same-named folder with an unparsable dataset.sig decides the verdict.

  // Denial by planting (documented: "a folder whose own signature names the input's digest is the input").

  it('a planted unsigned folder does not shadow the evidence (exit 0)', async () => {
    const search = await fresh();
    await writeModel(join(search, 'corpus'), { 'part-0.jsonl': 'unrelated' });
    expect((await gate(await deployCopy(), ['--search', search])).status).toBe(0);
  });

  // Denial by planting: a folder genuinely signed by an untrusted key, for another digest, is
  // reported as the dataset (UNTRUSTED_SIGNER, exit 3) instead of the evidence being used.
});

describe('C. policy signers\' timestamp authorities', () => {
  let stack: LocalSigstore;
  let other: LocalSigstore;
  let dir: string;

  const tsaChainPem = (s: LocalSigstore): string => {
    const trusted = s.trustedRoot as { timestampAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[] };
    return trusted.timestampAuthorities.flatMap((authority) => authority.certChain.certificates.map((certificate) => certificatePem(Buffer.from(certificate.rawBytes, 'base64')))).join('');
  };

  beforeAll(async () => {
    dir = await fresh();
    stack = await startLocalSigstore({ dir: join(dir, 'stack') });
    other = await startLocalSigstore({ dir: join(dir, 'other') });
    await writeFile(join(dir, 'tsa.pem'), tsaChainPem(stack));
    await writeFile(join(dir, 'other-tsa.pem'), tsaChainPem(other));
  }, 120_000);

  afterAll(async () => {
    await stack.close();
    await other.close();
  });

  it('a key bundle timestamped by signer B\'s TSA is not accepted for signer A (same role, A names another TSA)', async () => {
    await ok(['keygen', '--output-prefix', join(dir, 'a')]);
    await ok(['keygen', '--output-prefix', join(dir, 'b')]);
    const model = await writeModel(join(dir, 'keyed'), SMALL_MODEL);
    await ok(['sign', model, '--key', join(dir, 'a.key'), '--tsa-url', other.tsaUrl, '-q']);
    const policy = join(dir, 'cross.yaml');
    await writeFile(policy, 'version: 1\nsigners:\n  a:\n    key: ./a.pub\n    timestampAuthority: ./tsa.pem\n  b:\n    key: ./b.pub\n    timestampAuthority: ./other-tsa.pem\nroles:\n  model:\n    signers: [a, b]\n');
    const run = await runCli(['verify', 'lineage', model, '--policy', policy, '--json']);
    expect(run.status, run.stdout).toBe(1);
  });

  it('an expired certificate passes only through a timestamp of its own signer\'s TSA', async () => {
    const ca = issueCertificate(dir, 'ca-x', { extensions: CA_EXTENSIONS });
    const caY = issueCertificate(dir, 'ca-y', { extensions: CA_EXTENSIONS });
    const end = new Date(Date.now() + 12_000);
    const leaf = issueCertificate(dir, 'short', { issuer: 'ca-x', extensions: SIGNING_EXTENSIONS, startDate: opensslTime(-1), endDate: `${end.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z` });
    const model = await writeModel(join(dir, 'expiring'), SMALL_MODEL);
    await ok(['sign', model, '--key', join(dir, 'short.key'), '--certificate', leaf, '--tsa-url', stack.tsaUrl, '-q']);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, end.getTime() - Date.now() + 2_000)));
    const write = async (name: string, body: string): Promise<string> => {
      const file = join(dir, `${name}.yaml`);
      await writeFile(file, `version: 1\nsigners:\n${body}roles:\n  model:\n    signers: [x, y]\n`);
      return file;
    };
    const control = await write('own-tsa', `  x:\n    certificateAuthority: ${ca}\n    timestampAuthority: ./tsa.pem\n  y:\n    certificateAuthority: ${caY}\n`);
    expect((await runCli(['verify', 'lineage', model, '--policy', control])).status).toBe(0);
    // x trusts the other TSA; y (another CA) trusts the TSA that stamped it.
    const crossed = await write('crossed', `  x:\n    certificateAuthority: ${ca}\n    timestampAuthority: ./other-tsa.pem\n  y:\n    certificateAuthority: ${caY}\n    timestampAuthority: ./tsa.pem\n`);
    const run = await runCli(['verify', 'lineage', model, '--policy', crossed, '--json']);
    expect(run.status, run.stdout).not.toBe(0);
    // Without a TSA, the expired certificate is not accepted at now.
    const none = await write('no-tsa', `  x:\n    certificateAuthority: ${ca}\n  y:\n    certificateAuthority: ${caY}\n`);
    expect((await runCli(['verify', 'lineage', model, '--policy', none])).status).not.toBe(0);
    // verify --certificate-chain: the same.
    expect((await runCli(['verify', model, '--certificate-chain', ca])).status).not.toBe(0);
    expect((await runCli(['verify', model, '--certificate-chain', ca, '--timestamp-authority', join(dir, 'other-tsa.pem')])).status).not.toBe(0);
  }, 60_000);

  it('a keyless signer with trustedRoot or timestampAuthority: POLICY_INVALID (exit 2)', async () => {
    const model = await writeModel(join(dir, 'kl'), SMALL_MODEL);
    for (const extra of [`trustedRoot: ${stack.trustedRootPath ?? ''}`, 'timestampAuthority: ./tsa.pem']) {
      const policy = join(dir, `keyless-${String(++scratch)}.yaml`);
      await writeFile(policy, `version: 1\nsigners:\n  ci:\n    keyless: {issuer: https://issuer.example, identity: ci@example.com}\n    ${extra}\nroles:\n  model:\n    signers: [ci]\n`);
      expectOneLineError(await runCli(['verify', 'lineage', model, '--policy', policy]), 2, 'POLICY_INVALID');
    }
  });
});

describe('D. certificate trust', () => {
  let dir: string;
  let ca: string;
  let fulcioCerts: string[];

  beforeAll(async () => {
    dir = await fresh();
    ca = issueCertificate(dir, 'ca', { extensions: CA_EXTENSIONS });
    const trusted = publicGoodTrustRoot();
    fulcioCerts = trusted.trustedRoot.certificateAuthorities.flatMap((authority) => (authority.certChain?.certificates ?? []).map((certificate) => certificatePem(certificate.rawBytes)));
  });

  describe('a Fulcio CA as certificate trust', () => {
    let model: string;
    beforeAll(async () => {
      const leaf = issueCertificate(dir, 'own-leaf', { issuer: 'ca', extensions: SIGNING_EXTENSIONS });
      model = await writeModel(join(dir, 'own'), SMALL_MODEL);
      await ok(['sign', model, '--key', join(dir, 'own-leaf.key'), '--certificate', leaf, '-q']);
    });

    it('each public-good Fulcio certificate alone, and second in a chain file after an own CA: FULCIO_CERTIFICATE_AS_CA (exit 2)', async () => {
      expect(fulcioCerts.length).toBeGreaterThan(1);
      for (const [index, pem] of fulcioCerts.entries()) {
        const alone = join(dir, `fulcio-${String(index)}.pem`);
        await writeFile(alone, pem);
        expectOneLineError(await runCli(['verify', model, '--certificate-chain', alone]), 2, 'FULCIO_CERTIFICATE_AS_CA');
        const second = join(dir, `fulcio-second-${String(index)}.pem`);
        await writeFile(second, (await readFile(ca, 'utf8')) + pem);
        expectOneLineError(await runCli(['verify', model, '--certificate-chain', second]), 2, 'FULCIO_CERTIFICATE_AS_CA');
        const policy = join(dir, `fulcio-policy-${String(index)}.yaml`);
        await writeFile(policy, `version: 1\nsigners:\n  r:\n    certificateAuthority: [${ca}, ${second}]\nroles:\n  model:\n    signers: [r]\n`);
        expectOneLineError(await runCli(['verify', 'lineage', model, '--policy', policy]), 2, 'FULCIO_CERTIFICATE_AS_CA');
      }
    });

    it('a re-encoded Fulcio certificate (PEM re-wrapped, CRLF) and a certificate of our own CA carrying a Fulcio key: refused (exit 2)', async () => {
      const pem = fulcioCerts[fulcioCerts.length - 1] ?? '';
      const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
      const rewrapped = join(dir, 'rewrapped.pem');
      await writeFile(rewrapped, `-----BEGIN CERTIFICATE-----\r\n${body.match(/.{1,76}/g)?.join('\r\n') ?? ''}\r\n-----END CERTIFICATE-----\r\n`);
      expectOneLineError(await runCli(['verify', model, '--certificate-chain', rewrapped]), 2, 'FULCIO_CERTIFICATE_AS_CA');
      // Our CA certifies Fulcio's key (a cross-certificate).
      await writeFile(join(dir, 'fulcio.pem'), pem);
      execFileSync('openssl', ['x509', '-in', 'fulcio.pem', '-pubkey', '-noout', '-out', 'fulcio-pub.pem'], { cwd: dir });
      execFileSync('openssl', ['x509', '-new', '-subj', '/CN=cross', '-force_pubkey', 'fulcio-pub.pem', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-days', '3', '-out', 'cross.pem'].filter(Boolean), { cwd: dir, stdio: 'ignore' });
      expectOneLineError(await runCli(['verify', model, '--certificate-chain', join(dir, 'cross.pem')]), 2, 'FULCIO_CERTIFICATE_AS_CA');
    });
  });

  describe('pins match exactly', () => {
    const pinned = async (leafName: string, subject: string, extensions: string, pins: string, preserveOrder = false): Promise<CliRun> => {
      const leaf = preserveOrder ? issuePreservingOrder(leafName, subject, extensions) : issueCertificate(dir, leafName, { issuer: 'ca', subject, extensions });
      const model = await writeModel(join(dir, `m-${leafName}`), SMALL_MODEL);
      await ok(['sign', model, '--key', join(dir, `${leafName}.key`), '--certificate', leaf, '-q']);
      const policy = join(dir, `p-${leafName}.yaml`);
      await writeFile(policy, `version: 1\nsigners:\n  release:\n    certificateAuthority: ${ca}\n${pins}roles:\n  model:\n    signers: [release]\n`);
      return runCli(['verify', 'lineage', model, '--policy', policy, '--json']);
    };
    // `openssl ca` puts the subject in its policy's order; `openssl x509 -req` keeps the request's.
    const issuePreservingOrder = (name: string, subject: string, extensions: string): string => {
      const run = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' }); };
      run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', `${name}.key`);
      run('req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`);
      writeFileSync(join(dir, `${name}.ext`), `${extensions}\n`);
      run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
      return join(dir, `${name}.pem`);
    };
    const SUBJECT_PIN = '    subject: "CN=release, O=Acme"\n';

    it('control: the exact subject is accepted', async () => {
      expect((await pinned('exact', '/CN=release/O=Acme', SIGNING_EXTENSIONS, SUBJECT_PIN)).status).toBe(0);
    });

    it('subject tricks are denied (exit 3): a comma inside CN, order, case, a newline, a multi-valued RDN, a trailing space', async () => {
      const cases: [string, string][] = [
        ['comma', '/CN=release, O=Acme'],
        ['case', '/CN=Release/O=Acme'],
        ['newline', '/CN=release\nO=Acme'],
        ['trailing', '/CN=release /O=Acme'],
        ['extra-rdn', '/CN=release/O=Acme/OU=x'],
      ];
      for (const [name, subject] of cases) {
        const run = await pinned(`subj-${name}`, subject, SIGNING_EXTENSIONS, SUBJECT_PIN);
        expect(run.status, `${name}: ${run.stdout}`).toBe(3);
      }
      const reversed = await pinned('subj-order', '/O=Acme/CN=release', SIGNING_EXTENSIONS, SUBJECT_PIN, true);
      expect(new X509Certificate(await readFile(join(dir, 'subj-order.pem'))).subject).toBe('O=Acme\nCN=release');
      expect(reversed.status, reversed.stdout).toBe(3);
      const multi = await pinned('subj-multi', '/CN=release+O=Acme', SIGNING_EXTENSIONS, SUBJECT_PIN, true);
      expect(multi.status, multi.stdout).toBe(3);
    });

    it('SAN tricks are denied (exit 3): email vs URI type, a comma inside a SAN, an IP SAN for a plain pin, a prefix', async () => {
      const cases: [string, string, string][] = [
        ['uri-for-email', 'subjectAltName=URI:mailto:release@example.com', 'email:release@example.com'],
        ['comma', 'subjectAltName=@alt\n[alt]\nemail.1=release@example.com, URI:https://ci.example/release', 'URI:https://ci.example/release'],
        ['ip', 'subjectAltName=IP:10.0.0.1', 'IP:10.0.0.1'],
        ['prefix', 'subjectAltName=URI:https://ci.example/release/evil', 'URI:https://ci.example/release'],
        ['case', 'subjectAltName=email:Release@example.com', 'email:release@example.com'],
      ];
      for (const [name, san, pin] of cases) {
        const run = await pinned(`san-${name}`, '/CN=release', `${SIGNING_EXTENSIONS}\n${san}`, `    subjectAlternativeName: "${pin}"\n`);
        expect(run.status, `${name}: ${run.stdout}`).toBe(3);
      }
    });

    it('EKU: anyExtendedKeyUsage (CERTIFICATE_USAGE_INVALID, exit 1) or no EKU extension (exit 3) does not satisfy a codeSigning pin', async () => {
      // Refused before the pins: CERTIFICATE_USAGE_INVALID (exit 1).
      const any = await pinned('eku-any', '/CN=release', 'keyUsage=critical,digitalSignature\nextendedKeyUsage=2.5.29.37.0', '    extendedKeyUsage: [codeSigning]\n');
      expect(any.status, any.stdout).toBe(1);
      expect(any.stdout).toContain('CERTIFICATE_USAGE_INVALID');
      const none = await pinned('eku-none', '/CN=release', 'keyUsage=critical,digitalSignature', '    extendedKeyUsage: [codeSigning]\n');
      expect(none.status, none.stdout).toBe(3);
    });
  });

  it('sign with an expired certificate and no --tsa-url: CERTIFICATE_EXPIRED (exit 2), also with --certificate-chain intermediates', async () => {
    const expired = issueCertificate(dir, 'expired', { issuer: 'ca', extensions: SIGNING_EXTENSIONS, startDate: opensslTime(-10), endDate: opensslTime(-1) });
    const model = await writeModel(join(dir, 'expired-model'), SMALL_MODEL);
    expectOneLineError(await runCli(['sign', model, '--key', join(dir, 'expired.key'), '--certificate', expired]), 2, 'CERTIFICATE_EXPIRED');
    // A valid leaf under an expired intermediate.
    const inter = issueCertificate(dir, 'inter-expired', { issuer: 'ca', extensions: CA_EXTENSIONS, startDate: opensslTime(-10), endDate: opensslTime(-1) });
    const leaf = issueCertificate(dir, 'under-expired', { issuer: 'inter-expired', extensions: SIGNING_EXTENSIONS });
    const chain = join(dir, 'under-expired-chain.pem');
    await writeFile(chain, (await readFile(leaf, 'utf8')) + (await readFile(inter, 'utf8')));
    const run = await runCli(['sign', model, '--key', join(dir, 'under-expired.key'), '--certificate', chain]);
    // Whatever sign does, the signature must not verify.
    if (run.status === 0) expect((await runCli(['verify', model, '--certificate-chain', ca])).status).not.toBe(0);
  });
});
