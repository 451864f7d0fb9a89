#!/usr/bin/env node
// The OpenSSF Model Signing (OMS) conformance CLI protocol on top of aiprov: the suite runs
//
//   oms-conformance.js sign-model   --method key|certificate|sigstore --model-path P --output-bundle B
//                                   [--private-key K] [--signing-cert C] [--cert-chain C…] [--ignore-paths P…]
//   oms-conformance.js verify-model --method key|certificate|sigstore --model-path P --bundle B
//                                   [--public-key K] [--cert-chain C…] [--identity I --identity-provider U]
//                                   [--ignore-paths P…] [--ignore-unsigned-files]
//
// and reads the exit status (0 success). Multi-valued flags take several values, or repeat.
// Each call becomes one `aiprov sign` or `aiprov verify`, whose output and status pass through.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/aiprov.js', import.meta.url));
const MULTI_VALUED = new Set(['--cert-chain', '--ignore-paths']);
const SWITCHES = new Set(['--ignore-unsigned-files']);

function usage(message) {
  process.stderr.write(`oms-conformance: ${message}\n`);
  process.exit(2);
}

/** `--flag value`, `--flag v1 v2` (multi-valued) and switches, into a map of value lists. */
function parse(args) {
  const flags = new Map();
  let current;
  for (const arg of args) {
    if (arg.startsWith('--')) {
      current = arg;
      if (!flags.has(arg)) flags.set(arg, []);
      if (SWITCHES.has(arg)) current = undefined;
      continue;
    }
    if (current === undefined) usage(`unexpected argument ${JSON.stringify(arg)}`);
    const values = flags.get(current);
    if (values.length > 0 && !MULTI_VALUED.has(current)) usage(`${current} takes one value`);
    values.push(arg);
  }
  return flags;
}

function one(flags, name) {
  const values = flags.get(name);
  if (values === undefined || values.length === 0) usage(`${name} is required`);
  return values[0];
}

const [command, ...rest] = process.argv.slice(2);
const flags = parse(rest);
const method = one(flags, '--method');
if (!['key', 'certificate', 'sigstore'].includes(method)) usage(`--method must be key, certificate or sigstore, got ${JSON.stringify(method)}`);
const model = one(flags, '--model-path');
const many = (name, aiprovFlag) => (flags.get(name)?.length ? [aiprovFlag, ...flags.get(name)] : []);

let args;
if (command === 'sign-model') {
  const signer = method === 'sigstore' ? [] : ['--key', one(flags, '--private-key')];
  const certificate = method === 'certificate' ? ['--certificate', one(flags, '--signing-cert'), ...many('--cert-chain', '--certificate-chain')] : [];
  args = ['sign', model, '--signature', one(flags, '--output-bundle'), ...signer, ...certificate, ...many('--ignore-paths', '--ignore-paths'), '--quiet'];
} else if (command === 'verify-model') {
  const trust = {
    key: () => ['--key', one(flags, '--public-key')],
    certificate: () => many('--cert-chain', '--certificate-chain'),
    sigstore: () => ['--identity', one(flags, '--identity'), '--identity-provider', one(flags, '--identity-provider')],
  }[method]();
  args = ['verify', model, '--signature', one(flags, '--bundle'), ...trust, ...many('--ignore-paths', '--ignore-paths'), ...(flags.has('--ignore-unsigned-files') ? ['--ignore-unsigned-files'] : []), '--offline', '--quiet'];
} else {
  usage('the command is sign-model or verify-model');
}

const run = spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit' });
process.exit(run.status ?? 1);
