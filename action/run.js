#!/usr/bin/env node
/**
 * The GitHub Action's step (action.yml): turns the action's inputs, which action.yml passes as
 * `INPUT_*` environment variables, into one `aiprov … --json` command, runs it, and writes the
 * step's outputs (`GITHUB_OUTPUT`) and a Markdown job summary (`GITHUB_STEP_SUMMARY`) from its JSON
 * result. It exits with aiprov's exit status, so a failed verification fails the step.
 *
 * Secrets: a private key given as an input is written to a file of mode 0600 in a private
 * temporary directory (removed at the end) and passed by path; passphrases are passed through an
 * environment variable of the child (`--passphrase-env`), never as an argument. No input is ever
 * printed, and the child process does not inherit the `INPUT_*` variables. Keyless signing fetches
 * the job's OIDC token itself (aiprov reads `ACTIONS_ID_TOKEN_REQUEST_URL` and
 * `ACTIONS_ID_TOKEN_REQUEST_TOKEN`) and never prints it. An identity token passed in `args` is
 * masked (`::add-mask::`) before anything is logged, and shown as `<secret>` in the command line.
 *
 * Workflow commands: the runner treats a log line (stdout or stderr) that starts with `::`, or
 * holds `##[` (the runner's legacy form), as a command. Every line this step logs that carries an
 * input or aiprov's output goes through `logLine`, and the data and properties of its own commands
 * are escaped as the runner unescapes them (`escapeData`, `escapeProperty`;
 * https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions), so a path
 * holding a newline cannot add a mask, a warning or anything else.
 *
 * Cancellation: on SIGINT or SIGTERM (the runner cancelling the step) the signal is forwarded to
 * aiprov, which is killed outright if it has not ended within CHILD_GRACE_MS; the step then removes
 * its temporary directory (the key files) and exits with 128 + the signal's number, as a shell
 * reports a process ended by it. aiprov writes a signature only by renaming a finished file, so a
 * killed run leaves either the old signature or the new one, never a part.
 *
 * Plain JavaScript with no dependency: it runs from the action's checkout before anything but
 * aiprov itself is installed.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const AIPROV = fileURLToPath(new URL('../bin/aiprov.js', import.meta.url));
const OPERATIONS = ['sign', 'attest-dataset', 'attest-training', 'verify', 'verify-lineage', 'verify-vsa'];
const KEY_PASSPHRASE_VAR = 'AIPROV_ACTION_KEY_PASSPHRASE';
const VSA_KEY_PASSPHRASE_VAR = 'AIPROV_ACTION_VSA_KEY_PASSPHRASE';
/** Exit status of aiprov for bad input (the action's own usage errors use it too). */
const EXIT_USAGE = 2;
/** aiprov options whose value is a bearer credential (unless it is `@FILE`, a file's path). */
const SECRET_OPTIONS = new Set(['--identity-token', '--vsa-identity-token', '--identity_token']);
/** The signals of a cancelled step, and their numbers (exit status 128 + number). */
const CANCEL_SIGNALS = { SIGINT: 2, SIGTERM: 15 };
/**
 * How long aiprov has to stop after the forwarded signal before it is killed: the runner sends
 * SIGINT, then SIGTERM 7.5 s later and SIGKILL 2.5 s after that, and a killed step would leave
 * aiprov running and its key file behind.
 */
const CHILD_GRACE_MS = 2000;

class ActionInputError extends Error {}

/** An input's value as action.yml passes it: `INPUT_` + the name upper-cased, `-` as `_`. */
function input(name) {
  return (process.env[`INPUT_${name.toUpperCase().replaceAll('-', '_')}`] ?? '').trim();
}

function required(name, operation) {
  const value = input(name);
  if (value === '') throw new ActionInputError(`the input "${name}" is required for ${operation}`);
  return value;
}

function list(name) {
  return input(name).split('\n').map((line) => line.trim()).filter((line) => line !== '');
}

function flag(name) {
  const value = input(name).toLowerCase();
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new ActionInputError(`the input "${name}" must be true or false`);
}

/** `[--option, value]` when the input is set. */
function option(cliOption, name) {
  const value = input(name);
  return value === '' ? [] : [cliOption, value];
}

function listOption(cliOption, name) {
  const values = list(name);
  return values.length === 0 ? [] : [cliOption, ...values];
}

/**
 * Builds the command line. `secrets` receives what the child must see only through its
 * environment, `writeSecretFile` stores a key as a 0600 file and returns its path.
 */
function commandFor(operation, secrets, writeSecretFile) {
  const signing = (prefix, keyInput, passphraseInput, passphraseVar) => {
    const key = input(keyInput);
    if (key !== '') {
      const args = [`--${prefix}key`, writeSecretFile(`${prefix}signing.key`, key)];
      const passphrase = input(passphraseInput);
      if (passphrase !== '') {
        secrets[passphraseVar] = passphrase;
        args.push(`--${prefix}passphrase-env`, passphraseVar);
      }
      if (prefix === '') args.push(...option('--certificate', 'certificate'));
      return args;
    }
    return [...option(`--${prefix}signing-config`, 'signing-config'), ...(flag('staging') ? [`--${prefix}staging`] : [])];
  };
  const vsaOut = () => {
    const out = input('vsa-out');
    if (out === '') return [];
    return ['--vsa-out', out, ...signing('vsa-', 'vsa-key', 'vsa-key-passphrase', VSA_KEY_PASSPHRASE_VAR), ...option('--resource-uri', 'resource-uri'), ...option('--verifier-id', 'verifier-id')];
  };
  const trust = () => {
    const publicKey = input('public-key');
    return [
      ...(publicKey === '' ? [] : ['--key', publicKey.startsWith('-----BEGIN') ? writeSecretFile('trusted.pub', publicKey) : publicKey]),
      ...listOption('--certificate-chain', 'certificate-chain'),
      ...option('--certificate-identity', 'certificate-identity'),
      ...option('--certificate-identity-regexp', 'certificate-identity-regexp'),
      ...option('--certificate-oidc-issuer', 'certificate-oidc-issuer'),
      ...option('--certificate-oidc-issuer-regexp', 'certificate-oidc-issuer-regexp'),
      ...option('--source-repository', 'source-repository'),
      ...option('--source-ref', 'source-ref'),
      ...option('--signer-workflow', 'signer-workflow'),
      ...option('--trusted-root', 'trusted-root'),
      ...(flag('staging') ? ['--staging'] : []),
    ];
  };
  const offline = () => (flag('offline') ? ['--offline'] : []);
  const path = required('path', operation);
  switch (operation) {
    case 'sign':
      return ['sign', path, '--kind', input('kind') || 'model', ...option('--signature', 'signature'), ...signing('', 'key', 'key-passphrase', KEY_PASSPHRASE_VAR), '-q'];
    case 'attest-dataset':
      return ['attest', 'dataset', path, '--card', required('card', operation), ...signing('', 'key', 'key-passphrase', KEY_PASSPHRASE_VAR)];
    case 'attest-training': {
      const datasets = list('datasets');
      if (datasets.length === 0) throw new ActionInputError('the input "datasets" is required for attest-training');
      return [
        'attest', 'training', '--model', path, '--recipe', required('recipe', operation), '--dataset', ...datasets,
        ...option('--base-model', 'base-model'), ...option('--code', 'code'), ...option('--container', 'container'),
        ...option('--hyperparameters', 'hyperparameters'), ...option('--builder-id', 'builder-id'), ...listOption('--byproduct', 'byproducts'),
        ...signing('', 'key', 'key-passphrase', KEY_PASSPHRASE_VAR),
      ];
    }
    case 'verify':
      return ['verify', path, '--kind', input('kind') || 'model', ...option('--signature', 'signature'), ...trust(), ...vsaOut(), ...offline(), '-q'];
    case 'verify-lineage':
      return [
        'verify', 'lineage', path, '--policy', required('policy', operation), ...listOption('--search', 'search'),
        ...option('--evidence', 'evidence'), ...option('--evidence-out', 'evidence-out'), ...vsaOut(), ...offline(),
      ];
    case 'verify-vsa':
      return [
        'verify', 'vsa', path, '--vsa', required('vsa', operation), '--kind', input('kind') || 'model', ...trust(), ...option('--policy-digest', 'policy-digest'),
        ...list('verified-level').flatMap((level) => ['--verified-level', level]), ...option('--max-age', 'max-age'), ...option('--verifier-id', 'verifier-id'), ...option('--resource-uri', 'resource-uri'), ...offline(),
      ];
    default:
      throw new ActionInputError(`the input "operation" must be one of ${OPERATIONS.join(', ')}`);
  }
}

/** Markdown text from untrusted strings (artifact names, messages): no markup, one line. */
function text(value) {
  return String(value).replace(/[\r\n]+/g, ' ').replace(/[\\`*_[\]<>|#~!]/g, (c) => `\\${c}`);
}

/**
 * A value as Markdown code, safe in a table cell: GitHub's tables split cells on `|` even inside
 * a code span, so it is escaped (`\|`, which GFM renders as `|` there).
 */
function code(value) {
  return `\`${String(value).replace(/[\r\n`]+/g, ' ').replace(/\|/g, '\\|')}\``;
}

function signerText(signedBy) {
  if (signedBy === undefined) return 'unsigned or untrusted';
  const { signer } = signedBy;
  const who = signer.kind === 'keyless' ? signer.identity ?? 'keyless' : signer.kind === 'key' ? `key ${String(signer.keyHint ?? '').slice(0, 8)}…` : signer.subject ?? 'certificate';
  return `signed by ${text(signedBy.name)} (${text(who)})`;
}

function nodeIcon(node) {
  const errors = node.findings.filter((finding) => finding.severity === 'error');
  if (errors.length === 0) return '✅';
  return errors.some((finding) => finding.category !== 'policy') ? '❌' : '⛔';
}

/** The lineage tree as a nested Markdown list, one line per artifact and one per finding. */
function lineageTree(node, depth = 0) {
  const indent = '  '.repeat(depth);
  const digest = node.digest === undefined ? '' : ` ${code(node.digest.slice(0, 19) + '…')}`;
  const lines = [`${indent}- ${nodeIcon(node)} **${text(node.role)}** ${text(node.name)}${digest} ${signerText(node.signedBy)}${node.verifiedFrom === 'evidence' ? ' (from the evidence)' : ''}`];
  if (node.provenance !== undefined) lines.push(`${indent}  - trained by ${code(node.provenance.builderId)}`);
  if (node.card?.license !== undefined) lines.push(`${indent}  - license ${code(node.card.license)}`);
  for (const finding of node.findings) lines.push(`${indent}  - ${finding.severity === 'error' ? '✗' : '⚠'} ${code(finding.code)}: ${text(finding.message)}`);
  for (const child of node.children) lines.push(...lineageTree(child, depth + 1));
  return lines;
}

function table(rows) {
  const present = rows.filter(([, value]) => value !== undefined && value !== '');
  return ['| | |', '| --- | --- |', ...present.map(([name, value]) => `| ${name} | ${code(value)} |`)].join('\n');
}

/** Outputs and the summary from aiprov's JSON result (or its error object). */
function report(operation, result, status) {
  const outputs = {};
  const verifying = operation.startsWith('verify');
  const title = `aiprov ${operation.replace('-', ' ')}`;
  if (result?.error !== undefined) {
    if (verifying) outputs.verified = 'false';
    const summary = `### ❌ ${title}: failed (exit ${status})\n\n${code(result.error.code)}: ${text(result.error.message)}\n`;
    return { outputs, summary };
  }
  if (result === undefined) {
    if (verifying) outputs.verified = 'false';
    return { outputs, summary: `### ❌ ${title}: failed (exit ${status}), no result\n` };
  }
  switch (operation) {
    case 'sign':
      Object.assign(outputs, { 'root-digest': result.rootDigest, 'bundle-path': result.signaturePath });
      return { outputs, summary: `### ✅ ${title}: signed ${text(result.name)}\n\n${table([['root digest', result.rootDigest], ['resources', String(result.resourceCount)], ['signature', result.signaturePath]])}\n` };
    case 'attest-dataset':
    case 'attest-training':
      Object.assign(outputs, { 'root-digest': result.subject.digest, 'bundle-path': result.attestationsPath });
      return { outputs, summary: `### ✅ ${title}: attested ${text(result.subject.name)}\n\n${table([['subject', result.subject.digest], ['predicate', result.predicateType], ['attestations', result.attestationsPath]])}\n` };
    case 'verify': {
      Object.assign(outputs, { verified: String(result.verified === true), 'root-digest': result.rootDigest, 'bundle-path': result.signaturePath });
      const findings = (result.findings ?? []).map((finding) => `- ${finding.severity === 'error' ? '✗' : '⚠'} ${code(finding.code)}: ${text(finding.message)}`);
      const signer = result.signer?.kind === 'keyless' ? result.signer.identity : result.signer?.kind === 'key' ? `key ${result.signer.keyHint ?? ''}` : result.signer?.subject;
      return { outputs, summary: `### ${result.verified === true ? '✅' : '❌'} ${title}: ${result.verified === true ? 'VERIFIED' : 'FAILED'} ${text(result.name)}\n\n${table([['root digest', result.rootDigest], ['signed by', signer], ['signature', result.signaturePath]])}\n${findings.length === 0 ? '' : `\n${findings.join('\n')}\n`}` };
    }
    case 'verify-lineage': {
      Object.assign(outputs, { verified: String(result.verified === true), 'root-digest': result.root.digest });
      const verdict = { verified: '✅ VERIFIED', failed: '❌ FAILED', denied: '⛔ DENIED' }[result.verdict] ?? result.verdict;
      return { outputs, summary: `### ${title}: ${verdict}\n\n${lineageTree(result.root).join('\n')}\n` };
    }
    case 'verify-vsa':
      Object.assign(outputs, { verified: String(result.verified === true), 'root-digest': result.rootDigest });
      return {
        outputs,
        summary: `### ✅ ${title}: summary accepted for ${text(result.name)}\n\n${table([['root digest', result.rootDigest], ['result', result.verificationResult], ['levels', result.verifiedLevels.join(', ')], ['verifier', result.verifier], ['verified at', result.timeVerified], ['policy', result.policy.digest ?? result.policy.uri], ['resource', result.resourceUri], ['signed by', result.signer.identity ?? result.signer.keyHint ?? result.signer.subject]])}\n`,
      };
    default:
      return { outputs, summary: '' };
  }
}

/** A workflow command's data, escaped as the runner unescapes it: `%`, CR, LF. */
function escapeData(value) {
  return String(value).replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/** A workflow command's property value: also `:` and `,`, which end a property. */
function escapeProperty(value) {
  return escapeData(value).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

/**
 * A message as the data of this step's own command: escaped, and with the legacy prefix `##[`
 * written `##%5B` as in `logLine` (the runner reads the line as this command, but a reader of the
 * raw log, or a runner that falls back to the legacy parser, should not see a second one).
 */
function messageData(value) {
  return escapeData(value).replaceAll('##[', '##%5B');
}

/**
 * One log line that can start no workflow command: CR and LF escaped as in command data (so a
 * value is one line), a leading `::` written `%3A:`, and the legacy command prefix `##[` written
 * `##%5B` wherever it is (the runner looks for it anywhere in a line).
 */
function logLine(value) {
  const line = messageData(value);
  return /^\s*::/.test(line) ? `%3A${line.trimStart().slice(1)}` : line;
}

/** Prints one value as one log line. */
function log(value) {
  process.stdout.write(`${logLine(value)}\n`);
}

/** Prints text of several lines (aiprov's output), each line through `logLine`. */
function logLines(text) {
  for (const line of String(text).split('\n')) log(line);
}

/** The values in `args` that are secrets: an identity token as `--identity-token T` or `--identity-token=T`. */
function secretValues(args) {
  const secrets = new Set();
  args.forEach((arg, index) => {
    // `--identity-token=T`, `--identity-token` then `T`, and `--identity-token T` written on one
    // line of `args` (one argument, which aiprov refuses, quoting it): each masks T.
    const separator = arg.search(/[=\s]/);
    const [name, value] = separator > 0 ? [arg.slice(0, separator), arg.slice(separator + 1).trim()] : [arg, args[index + 1]];
    if (SECRET_OPTIONS.has(name) && value !== undefined && value !== '' && !value.startsWith('@')) {
      secrets.add(value);
      if (separator > 0) secrets.add(arg.slice(separator + 1));
    }
  });
  return secrets;
}

/** `name<<delimiter` form, safe for any value (what @actions/core writes). */
function writeOutputs(outputs) {
  const file = process.env['GITHUB_OUTPUT'];
  const entries = Object.entries(outputs).filter(([, value]) => value !== undefined);
  if (file === undefined || file === '') {
    for (const [name, value] of entries) log(`${name}=${value}`);
    return;
  }
  for (const [name, value] of entries) {
    const delimiter = `ghadelimiter_${randomBytes(16).toString('hex')}`;
    appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
  }
}

function writeSummary(markdown) {
  const file = process.env['GITHUB_STEP_SUMMARY'];
  if (file !== undefined && file !== '' && markdown !== '') appendFileSync(file, markdown);
}

/** The running aiprov process, and the signal that cancelled the step (if one did). */
const run = { child: undefined, cancelledBy: undefined };

function cancel(signal) {
  if (run.cancelledBy !== undefined) return;
  run.cancelledBy = signal;
  const { child } = run;
  if (child === undefined) return;
  child.kill(signal);
  setTimeout(() => child.kill('SIGKILL'), CHILD_GRACE_MS).unref();
}

for (const signal of Object.keys(CANCEL_SIGNALS)) process.on(signal, () => cancel(signal));

/** Copies a stream to `stream` line by line through `logLine` (aiprov's messages quote paths). */
function relayLines(readable, stream) {
  let pending = '';
  readable.on('data', (chunk) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) stream.write(`${logLine(line)}\n`);
  });
  readable.on('end', () => {
    if (pending !== '') stream.write(`${logLine(pending)}\n`);
  });
}

function runAiprov(args, extraEnv) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('INPUT_')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AIPROV, ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    run.child = child;
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk.toString()));
    relayLines(child.stderr, process.stderr);
    child.on('error', reject);
    child.on('close', (status) => {
      run.child = undefined;
      resolve({ status: status ?? 70, stdout });
    });
  });
}

async function main() {
  const operation = input('operation');
  const tmp = mkdtempSync(join(process.env['RUNNER_TEMP'] || tmpdir(), 'aiprov-action-'));
  chmodSync(tmp, 0o700);
  const writeSecretFile = (name, content) => {
    const file = join(tmp, name);
    writeFileSync(file, content.endsWith('\n') ? content : `${content}\n`, { mode: 0o600 });
    return file;
  };
  try {
    const secrets = {};
    let args;
    try {
      args = [...commandFor(operation, secrets, writeSecretFile), '--json', ...list('args')];
    } catch (error) {
      if (!(error instanceof ActionInputError)) throw error;
      console.log(`::error title=aiprov::${messageData(error.message)}`);
      writeSummary(`### ❌ aiprov ${text(operation)}: ${text(error.message)}\n`);
      return EXIT_USAGE;
    }
    // Masked before anything is logged: the runner then hides the token wherever it appears.
    const secretArgs = secretValues(args);
    for (const secret of secretArgs) console.log(`::add-mask::${escapeData(secret)}`);
    const shown = args.map((arg) => (arg.startsWith(tmp) ? '<temporary file>' : [...secretArgs].reduce((text, secret) => text.replaceAll(secret, '<secret>'), arg)));
    log(`aiprov ${shown.join(' ')}`);
    if (run.cancelledBy !== undefined) return 128 + CANCEL_SIGNALS[run.cancelledBy];
    const { status, stdout } = await runAiprov(args, secrets);
    if (run.cancelledBy !== undefined) {
      log(`aiprov ${operation}: cancelled (${run.cancelledBy}); aiprov was stopped (exit ${String(status)}); its key files are removed`);
      return 128 + CANCEL_SIGNALS[run.cancelledBy];
    }
    let result;
    try {
      result = JSON.parse(stdout);
    } catch {
      result = undefined;
      if (stdout !== '') logLines(stdout.replace(/\n$/, ''));
    }
    if (result !== undefined) {
      console.log('::group::aiprov result (JSON)');
      logLines(JSON.stringify(result, null, 2));
      console.log('::endgroup::');
    }
    const { outputs, summary } = report(operation, result, status);
    // aiprov writes evidence only for a verified lineage, and a summary (PASSED or FAILED) whenever
    // it reached a verdict (exit 0, 1 or 3).
    if (operation === 'verify-lineage' && status === 0 && input('evidence-out') !== '') outputs['evidence-path'] = input('evidence-out');
    if ((operation === 'verify' || operation === 'verify-lineage') && [0, 1, 3].includes(status) && input('vsa-out') !== '' && existsSync(input('vsa-out'))) outputs['vsa-path'] = input('vsa-out');
    writeOutputs(outputs);
    writeSummary(summary);
    if (status !== 0) {
      const reason = result?.error !== undefined ? `${result.error.code}: ${String(result.error.message)}` : `${result?.verdict ?? 'verification failed'} (exit ${status})`;
      console.log(`::error title=${escapeProperty(`aiprov ${operation}`)}::${messageData(reason)}`);
    }
    return status;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

process.exitCode = await main();
