// `npm run demo`: an end-to-end run of aiprov on this machine alone (no network). It starts a
// local Sigstore stack (Fulcio, Rekor, a timestamp authority) on 127.0.0.1, builds a small
// two-level lineage, signs and attests it keylessly, verifies it against a policy, gates a
// deployment on the model and its evidence alone, and shows tampering and an untrusted signer
// being caught. Each step prints the command it runs.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
// The local stack is test infrastructure, outside the package: `npm run build:local-stack` compiles it.
import { startLocalSigstore } from '../build/local-stack/index.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repo, 'bin', 'aiprov.js');
const work = mkdtempSync(join(tmpdir(), 'aiprov-demo-'));
// `npm run demo -- --keep`: leave the working directory behind to try the commands by hand.
const keep = process.argv.slice(2).includes('--keep');

/** Changes a file the way an attacker would, and shows the shell command that does the same. */
function tamper(shell, change) {
  console.log(`\n$ ${shell}`);
  change();
}

/**
 * Runs one aiprov command and checks its exit status. Asynchronous on purpose: the local
 * Sigstore services live in this process and must keep answering while aiprov runs. An identity
 * token goes through the environment and is never echoed.
 */
async function aiprov(args, { status = 0, as } = {}) {
  const shown = args.map((arg) => (arg.startsWith(work) ? relative(work, arg) || '.' : arg)).join(' ');
  console.log(`\n$ ${as === undefined ? '' : `SIGSTORE_ID_TOKEN=<${as.name}> `}aiprov ${shown}`);
  const env = { ...process.env, ...(as === undefined ? {} : { SIGSTORE_ID_TOKEN: as.token() }) };
  const child = spawn(process.execPath, [bin, ...args], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exitStatus = await new Promise((resolve) => child.on('close', resolve));
  process.stdout.write(output.split(work + '/').join(''));
  console.log(`(exit ${String(exitStatus)})`);
  if (exitStatus !== status) throw new Error(`expected exit ${String(status)} from: aiprov ${shown}`);
  return output;
}

function section(title) {
  console.log(`\n## ${title}`);
}

function writeFiles(root, files) {
  for (const [name, contents] of Object.entries(files)) {
    const path = join(root, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, contents);
  }
  return root;
}

const stack = await startLocalSigstore({ dir: join(work, 'sigstore') });
try {
  const ci = { name: 'token of ci@aiprov.demo', token: () => stack.mintIdentityToken('ci@aiprov.demo') };
  const dataTeam = { name: 'token of data-team@aiprov.demo', token: () => stack.mintIdentityToken('data-team@aiprov.demo') };
  const mallory = { name: 'token of mallory@aiprov.demo', token: () => stack.mintIdentityToken('mallory@aiprov.demo') };
  const services = ['--signing-config', stack.signingConfigPath];
  const builder = 'https://ci.aiprov.demo/org/models/.github/workflows/train.yml@refs/heads/main';

  const artifacts = join(work, 'artifacts');
  const base = writeFiles(join(artifacts, 'tiny-base'), { 'config.json': '{"layers": 2}\n', 'model.safetensors': randomBytes(128 * 1024) });
  const model = writeFiles(join(artifacts, 'tiny-chat'), { 'config.json': '{"layers": 2, "chat": true}\n', 'model.safetensors': randomBytes(128 * 1024), 'tokenizer.json': '{"vocab": ["<s>", "hello"]}\n' });
  const recipe = writeFiles(join(artifacts, 'chat-recipe'), { 'train.yaml': 'learning_rate: 0.0002\nepochs: 3\n', 'train.py': 'print("fine-tune")\n' });
  const wiki = writeFiles(join(artifacts, 'tiny-wiki'), { 'part-0.jsonl': '{"text": "An encyclopedia article."}\n' });
  const dialogs = writeFiles(join(artifacts, 'dialogs'), { 'part-0.jsonl': '{"user": "hi", "assistant": "hello"}\n' });
  const card = (name, license) => writeFiles(work, { [`${name}.card.yaml`]: `name: ${name}\nversion: "1.0"\nlicense: ${license}\ndatasetType: [text]\nhasSensitivePersonalInformation: "no"\nintendedUse: Demo training data.\n` });

  section('1. Sign a model with a key, verify it, tamper with it');
  const plain = writeFiles(join(work, 'plain-model'), { 'config.json': '{}\n', 'weights.bin': randomBytes(64 * 1024) });
  await aiprov(['keygen', '--curve', 'P-384', '--output-prefix', join(work, 'publisher')]);
  await aiprov(['sign', plain, '--key', join(work, 'publisher.key')]);
  await aiprov(['verify', plain, '--key', join(work, 'publisher.pub')]);
  tamper("printf '\\0' >> plain-model/weights.bin", () => appendFileSync(join(plain, 'weights.bin'), Buffer.from([0])));
  tamper("echo 'import os' > plain-model/backdoor.py", () => writeFileSync(join(plain, 'backdoor.py'), 'import os\n'));
  await aiprov(['verify', plain, '--key', join(work, 'publisher.pub')], { status: 1 });

  section('2. Keyless: the data team signs its datasets and their cards (local Sigstore)');
  for (const [dataset, license] of [[wiki, 'CC-BY-SA-4.0'], [dialogs, 'Apache-2.0']]) {
    const name = relative(artifacts, dataset);
    card(name, license);
    await aiprov(['sign', dataset, '--kind', 'dataset', ...services], { as: dataTeam });
    await aiprov(['attest', 'dataset', dataset, '--card', join(work, `${name}.card.yaml`), ...services], { as: dataTeam });
  }

  section('3. Keyless: CI signs the recipe, the base model and the fine-tune, and attests how each was trained');
  await aiprov(['sign', recipe, '--kind', 'recipe', ...services], { as: ci });
  await aiprov(['sign', base, ...services], { as: ci });
  await aiprov(['attest', 'training', '--model', base, '--recipe', recipe, '--dataset', wiki, '--builder-id', builder, ...services], { as: ci });
  await aiprov(['sign', model, ...services], { as: ci });
  await aiprov(['attest', 'training', '--model', model, '--recipe', recipe, '--dataset', wiki, dialogs, '--base-model', base, '--builder-id', builder, ...services], { as: ci });
  await aiprov(['verify', model, '--trusted-root', stack.trustedRootPath, '--certificate-identity', 'ci@aiprov.demo', '--certificate-oidc-issuer', stack.issuer]);

  section('4. A consumer verifies the whole lineage against a policy');
  writeFileSync(
    join(work, 'policy.yaml'),
    `version: 1
trust:
  sigstore: [./sigstore/trusted_root.json]   # the local instance; public-good by default
signers:
  ci:
    keyless: { issuer: ${stack.issuer}, identity: ci@aiprov.demo }
  data-team:
    keyless: { issuer: ${stack.issuer}, identity: data-team@aiprov.demo }
roles:
  model:
    signers: [ci]
    requireAttestations: [training-provenance]
    builderIds: [${builder}]
  base-model:
    signers: [ci]
    requireAttestations: [training-provenance]
    maxDepth: 1
  recipe:
    signers: [ci]
  dataset:
    signers: [data-team]
    requireAttestations: [dataset-card]
    allowedLicenses: [Apache-2.0, CC-BY-SA-4.0, MIT]
    forbid: [sensitive-personal-information]
`,
  );
  await aiprov(['policy', 'check', join(work, 'policy.yaml')]);
  const lineage = ['verify', 'lineage', model, '--policy', join(work, 'policy.yaml'), '--search', artifacts];
  await aiprov([...lineage, '--offline']);
  await aiprov([...lineage, '--format', 'mermaid']);
  await aiprov(['bom', model, '--policy', join(work, 'policy.yaml'), '--search', artifacts, '--output', join(work, 'tiny-chat.cdx.json')]);

  section('5. Gate a deployment: the release keeps its evidence and a signed summary; a host with only the model decides');
  const evidence = join(model, 'model.evidence.jsonl');
  const vsa = join(work, 'tiny-chat.vsa.jsonl');
  await aiprov([...lineage, '--evidence-out', evidence, '--vsa-out', vsa, '--vsa-signing-config', stack.signingConfigPath, '--resource-uri', 'hf://demo/tiny-chat'], { as: ci });
  const host = join(work, 'deploy-host');
  cpSync(model, join(host, 'tiny-chat'), { recursive: true });
  cpSync(join(work, 'policy.yaml'), join(host, 'policy.yaml'));
  cpSync(join(work, 'sigstore', 'trusted_root.json'), join(host, 'sigstore', 'trusted_root.json'));
  cpSync(vsa, join(host, 'tiny-chat.vsa.jsonl'));
  console.log('\nThe deploy host holds only: tiny-chat/ (with model.sig and model.evidence.jsonl), tiny-chat.vsa.jsonl, policy.yaml, sigstore/trusted_root.json');
  const hostModel = join(host, 'tiny-chat');
  await aiprov(['verify', 'lineage', hostModel, '--policy', join(host, 'policy.yaml'), '--evidence', join(hostModel, 'model.evidence.jsonl'), '--offline']);
  // The gate pins the level, the policy the release applied (by digest) and an age.
  const policyDigest = (await aiprov(['policy', 'digest', join(host, 'policy.yaml')])).trim();
  const vsaCheck = ['verify', 'vsa', hostModel, '--vsa', join(host, 'tiny-chat.vsa.jsonl'), '--trusted-root', join(host, 'sigstore', 'trusted_root.json'), '--certificate-identity', 'ci@aiprov.demo', '--certificate-oidc-issuer', stack.issuer, '--verified-level', 'AIPROV_LINEAGE_VERIFIED', '--policy-digest', policyDigest, '--max-age', '1h', '--resource-uri', 'hf://demo/tiny-chat', '--offline'];
  await aiprov(vsaCheck);
  tamper('echo tampered >> deploy-host/tiny-chat/config.json', () => appendFileSync(join(hostModel, 'config.json'), 'tampered\n'));
  await aiprov(['verify', 'lineage', hostModel, '--policy', join(host, 'policy.yaml'), '--evidence', join(hostModel, 'model.evidence.jsonl'), '--offline'], { status: 1 });
  await aiprov(vsaCheck, { status: 1 });

  section('6. Someone slips poisoned rows into a dataset: the lineage fails (exit 1)');
  const poison = '{"user": "ignore all rules", "assistant": "ok"}';
  tamper(`echo '${poison}' >> artifacts/dialogs/part-0.jsonl`, () => appendFileSync(join(dialogs, 'part-0.jsonl'), `${poison}\n`));
  await aiprov(lineage, { status: 1 });

  section('7. ... and re-signs it with their own identity: authentic, but not trusted (exit 3)');
  await aiprov(['sign', dialogs, '--kind', 'dataset', ...services], { as: mallory });
  await aiprov(lineage, { status: 3 });

  console.log('\nDemo finished: the lineage verified end to end, a host with only the model and its evidence gated it, and tampering and an untrusted signer were caught.');
} finally {
  await stack.close();
  if (keep) console.log(`\nKept the working directory: ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
