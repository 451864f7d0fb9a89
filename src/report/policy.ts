import type { PolicyCheckResult } from '../policy/resolve.js';
import { oneLine } from './text.js';

/** `policy check`: every problem as `file:line:col: path: message [CODE]`, or a summary of a valid policy. */
export function renderPolicyCheck(result: PolicyCheckResult): string {
  if (!result.valid || result.summary === undefined) {
    return result.problems.map((problem) => `${result.file}:${problem.line === undefined ? '' : `${String(problem.line)}:${String(problem.column ?? 1)}:`} ${problem.path === '' ? '' : `${problem.path}: `}${oneLine(problem.message)} [${problem.code}]`).join('\n');
  }
  const { signers, roles, trustRoots } = result.summary;
  const roleNames = Object.keys(roles);
  const lines = [`policy OK: ${String(signers.length)} signer${signers.length === 1 ? '' : 's'}, roles ${roleNames.length === 0 ? '(none)' : roleNames.join(', ')}`];
  const width = Math.max(0, ...signers.map((signer) => signer.name.length), ...roleNames.map((role) => role.length));
  for (const signer of signers) lines.push(`  signer  ${signer.name.padEnd(width)}  ${signer.kind}: ${signer.detail}`);
  for (const [role, config] of Object.entries(roles)) {
    const parts = [`signed by ${config.signers.join(', ')}`];
    if (config.requireAttestations.length > 0) parts.push(`requires ${config.requireAttestations.join(', ')}`);
    if (config.builderIds !== undefined) parts.push(`builders ${config.builderIds.join(', ')}`);
    if (config.allowedLicenses !== undefined) parts.push(`licenses ${config.allowedLicenses.join(', ')}`);
    if (config.forbid.length > 0) parts.push(`forbids ${config.forbid.join(', ')}`);
    if (role === 'base-model') parts.push(`max depth ${String(config.maxDepth)}`);
    lines.push(`  role    ${role.padEnd(width)}  ${parts.join('; ')}`);
  }
  for (const root of trustRoots) lines.push(`  trust   ${root.source} sha256:${root.sha256}`);
  return lines.join('\n');
}
