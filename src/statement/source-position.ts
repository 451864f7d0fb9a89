import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Range } from 'yaml';

/**
 * Where the field at `path` (a zod issue path) is in a YAML or JSON source: the key of a mapping
 * entry, the item of a sequence, or, for a field that is missing, the mapping that should contain
 * it. Lets every error about a user's file (dataset card, policy) name its line and column.
 */
export function sourcePositionOf(doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[]): { line: number; col: number } | undefined {
  let node: unknown = doc.contents;
  let at: Range | undefined = (node as Node | null)?.range ?? undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) break;
      if (isScalar(pair.key)) at = pair.key.range ?? at;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined || item === null) break;
      at = (item as Node).range ?? at;
      node = item;
    } else {
      break;
    }
  }
  return at === undefined ? undefined : lineCounter.linePos(at[0]);
}
