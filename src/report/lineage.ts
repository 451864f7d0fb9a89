import { printable } from '../errors.js';
import type { LineageNode, LineageResult } from '../lineage/types.js';
import { signerIdentity } from '../verify/signer.js';
import { lineageJson } from './json.js';
import { renderFinding } from './text.js';

export type LineageFormat = 'tree' | 'json' | 'mermaid' | 'dot';

/** Renders a lineage result: the JSON contract (`schemas/verify-lineage.schema.json`), a tree, or a graph. */
export function renderLineage(result: LineageResult, format: LineageFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(lineageJson(result), null, 2);
    case 'tree':
      return renderTree(result);
    case 'mermaid':
      return renderMermaid(result);
    case 'dot':
      return renderDot(result);
  }
}

const VERDICT_TEXT = {
  verified: 'Lineage VERIFIED: every link is signed, matches its digest and satisfies the policy',
  failed: 'Lineage FAILED: something is tampered with or a signature is bad',
  denied: 'Lineage DENIED by policy: authentic, but not acceptable',
} as const;

function nodeStatus(node: LineageNode): string {
  const errors = node.findings.filter((finding) => finding.severity === 'error');
  if (errors.length === 0) return '✓';
  return errors.some((finding) => finding.category !== 'policy') ? '✗' : '⊘';
}

function shortDigest(digest: string): string {
  return digest.length > 19 ? `${digest.slice(0, 19)}…` : digest;
}

function renderTree(result: LineageResult): string {
  const lines: string[] = [VERDICT_TEXT[result.verdict]];
  const visit = (node: LineageNode, prefix: string, childPrefix: string): void => {
    const signer = node.signedBy === undefined ? 'unsigned or untrusted' : `signed by ${node.signedBy.name} (${printable(signerIdentity(node.signedBy.signer))})`;
    lines.push(`${prefix}${nodeStatus(node)} ${node.role} ${printable(node.name)} ${shortDigest(node.digest)}  ${signer}`);
    const details: string[] = [];
    if (node.provenance !== undefined) details.push(`trained by ${printable(node.provenance.builderId)}`);
    if (node.card?.license !== undefined) details.push(`license ${printable(node.card.license)}`);
    for (const detail of details) lines.push(`${childPrefix}    ${detail}`);
    for (const finding of node.findings) lines.push(renderFinding(finding, `${childPrefix}    `));
    node.children.forEach((child, index) => {
      const last = index === node.children.length - 1;
      visit(child, `${childPrefix}${last ? '└── ' : '├── '}`, `${childPrefix}${last ? '    ' : '│   '}`);
    });
  };
  visit(result.root, '', '');
  return lines.join('\n');
}

function edges(node: LineageNode): [LineageNode, LineageNode][] {
  return node.children.flatMap((child) => [[node, child] as [LineageNode, LineageNode], ...edges(child)]);
}

function nodes(node: LineageNode): LineageNode[] {
  return [node, ...node.children.flatMap(nodes)];
}

/** Node ids safe for Mermaid and DOT, stable per run. */
function idMap(result: LineageResult): Map<LineageNode, string> {
  return new Map(nodes(result.root).map((node, index) => [node, `n${String(index)}`]));
}

function label(node: LineageNode): string {
  return `${nodeStatus(node)} ${node.role}: ${printable(node.name)}\\n${shortDigest(node.digest)}`;
}

function renderMermaid(result: LineageResult): string {
  const ids = idMap(result);
  const quote = (text: string): string => text.replace(/"/g, '#quot;').replace(/\\n/g, '<br/>');
  const lines = ['flowchart BT'];
  for (const [node, id] of ids) lines.push(`  ${id}["${quote(label(node))}"]`);
  for (const [parent, child] of edges(result.root)) lines.push(`  ${ids.get(child) ?? ''} -->|${child.role}| ${ids.get(parent) ?? ''}`);
  return lines.join('\n');
}

function renderDot(result: LineageResult): string {
  const ids = idMap(result);
  const quote = (text: string): string => text.replace(/\\(?!n)/g, '\\\\').replace(/"/g, '\\"');
  const lines = ['digraph lineage {', '  rankdir=BT;', '  node [shape=box];'];
  for (const [node, id] of ids) lines.push(`  ${id} [label="${quote(label(node))}"];`);
  for (const [parent, child] of edges(result.root)) lines.push(`  ${ids.get(child) ?? ''} -> ${ids.get(parent) ?? ''} [label="${child.role}"];`);
  lines.push('}');
  return lines.join('\n');
}
