/**
 * The one reader of the YAML and JSON files users write (policies, dataset cards,
 * hyperparameters): the text is parsed once into a value and a map back to the source, so that
 * every problem found later in the value can name its line and column.
 *
 * Such a file may come from someone else, so what it costs to read is bounded, not just its size:
 *
 * - Alias expansion ("billion laughs": nine anchors of nine aliases each turn a kilobyte into
 *   gigabytes) is limited by yaml's `maxAliasCount`.
 * - Nesting is limited before the YAML composer, which recurses once per level, ever sees the
 *   tokens: a stack overflow there is caught by yaml, but it can also strike V8 while it compiles
 *   a regular expression, which kills the process outright.
 * - Aliases that nest deeper than the text (an anchor of 60 levels used 60 levels down) or make a
 *   collection contain itself (`&a [*a]`) are refused before any value is built: every recursive
 *   consumer (zod, JSON.stringify) would follow them too deep or forever.
 *
 * Each is an input error with the file's own code, like any other problem with the file.
 */
import { CST, Composer, isAlias, isMap, isNode, isScalar, isSeq, LineCounter, Parser, visit, type Alias, type Document, type Node, type Range, type YAMLError } from 'yaml';
import { InternalError, type InputErrorCode } from '../errors.js';
import { ProblemsError, type Problem, type SourcePosition } from './problem.js';

/**
 * How many times aliases may be expanded (yaml's `maxAliasCount`, which also counts the aliases
 * inside what an alias expands to): far more than a hand-written file uses, far less than an
 * expansion attack needs.
 */
export const MAX_ALIAS_EXPANSIONS = 100;

/** How deeply mappings and lists may nest. A policy nests 4 levels, a card 3. */
export const MAX_NESTING_DEPTH = 64;

type DocumentFormat = 'json' | 'yaml';

export interface ParseDocumentOptions {
  /** The file name, for messages. Without `format`, a name ending in `.json` means JSON. */
  readonly source: string;
  /** The code of every problem with the text itself: the file's own, e.g. `POLICY_INVALID`. */
  readonly errorCode: InputErrorCode;
  /** `json`: strict JSON (RFC 8259) only. `yaml`: YAML 1.2, of which JSON is a subset. */
  readonly format?: DocumentFormat;
}

export interface ParsedDocument {
  readonly value: unknown;
  /**
   * Where the field at `path` (a zod issue path) is: the key of a mapping entry, the item of a
   * list, or, for a field that is missing, the key of the nearest enclosing entry that is there
   * (the start of the document for a top-level field).
   */
  readonly positionOf: (path: readonly PropertyKey[]) => SourcePosition | undefined;
}

/**
 * Parses a YAML or JSON text. Throws `ProblemsError` with `options.errorCode` for a syntax error
 * (every one, each with its position), a second document, a duplicate key (in JSON too, where
 * `JSON.parse` would silently keep the last: which of two `license:` entries would a reader
 * believe?), too many alias expansions, too deep a nesting or an alias cycle.
 */
export function parseDocument(text: string, options: ParseDocumentOptions): ParsedDocument {
  // A byte order mark is allowed at the start of a YAML stream, and JSON readers may ignore one.
  const source = text.replace(/^\uFEFF/, '');
  const lineCounter = new LineCounter();
  const positionAt = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const problem = (message: string, offset?: number): Problem => ({ code: options.errorCode, path: '', ...(offset === undefined ? {} : positionAt(offset)), message });
  const syntaxProblem = (error: YAMLError): Problem => problem(error.message.split('\n')[0] ?? error.message, error.pos[0]);
  const fail = (problems: readonly Problem[], cause?: unknown): ProblemsError => {
    const [first, ...others] = problems;
    return new ProblemsError([first ?? problem('is invalid'), ...others], { source: options.source, path: options.source, cause });
  };

  // The parser keeps its own stack; only the composer recurses.
  const tokens = [...new Parser(lineCounter.addNewLine).parse(source)];
  const tooDeep = collectionDeeperThan(tokens, MAX_NESTING_DEPTH);
  if (tooDeep !== undefined) throw fail([problem(nestingMessage(), tooDeep.offset)]);
  // Duplicate keys are errors (uniqueKeys); a second document is read only to be refused.
  const [doc, secondDocument] = new Composer({ uniqueKeys: true }).compose(tokens, true, source.length);
  // With forceDoc (`true` above) the composer yields a document even for an empty text.
  if (doc === undefined) throw new InternalError('INTERNAL', `the YAML composer returned no document for ${options.source}`);
  const aliasTargets = aliasTargetsOf(doc);
  const positionOf = (path: readonly PropertyKey[]): SourcePosition | undefined => {
    const range = rangeOf(doc, aliasTargets, path);
    return range === undefined ? undefined : positionAt(range[0]);
  };

  let value: unknown;
  if ((options.format ?? formatOf(options.source)) === 'json') {
    try {
      value = JSON.parse(source);
    } catch (error) {
      throw fail([problem(`not JSON: ${error instanceof Error ? error.message : String(error)}`, doc.errors[0]?.pos[0])], error);
    }
    const duplicates = doc.errors.filter((error) => error.code === 'DUPLICATE_KEY');
    if (duplicates.length > 0) throw fail(duplicates.map(syntaxProblem));
  } else {
    const syntaxProblems = doc.errors.map(syntaxProblem);
    if (secondDocument !== undefined) syntaxProblems.push(problem('a second document (after "---"): a file holds one', secondDocument.range[0]));
    if (syntaxProblems.length > 0) throw fail(syntaxProblems);
    const aliasProblem = aliasNestingProblem(doc, aliasTargets, MAX_NESTING_DEPTH);
    if (aliasProblem !== undefined) throw fail([problem(aliasProblem.message, aliasProblem.node.range?.[0])]);
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS });
    } catch (error) {
      // yaml throws a ReferenceError when aliases expand beyond maxAliasCount.
      if (error instanceof ReferenceError) throw fail([problem(`aliases expand more than ${String(MAX_ALIAS_EXPANSIONS)} times, as in a "billion laughs" attack; write the values out`)], error);
      throw error;
    }
  }
  return { value, positionOf };
}

function formatOf(fileName: string): DocumentFormat {
  return fileName.toLowerCase().endsWith('.json') ? 'json' : 'yaml';
}

function nestingMessage(): string {
  return `mappings and lists nest more than ${String(MAX_NESTING_DEPTH)} levels deep`;
}

/** A collection token nested deeper than `limit`, found without recursion (that is the point). */
function collectionDeeperThan(tokens: readonly CST.Token[], limit: number): CST.Token | undefined {
  const pending = tokens.map((token) => ({ token, depth: 0 }));
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { token, depth } = next;
    if (token.type === 'document' && token.value !== undefined) pending.push({ token: token.value, depth });
    if (!CST.isCollection(token)) continue;
    if (depth === limit) return token;
    for (const item of token.items) {
      if (item.key != null) pending.push({ token: item.key, depth: depth + 1 });
      if (item.value !== undefined) pending.push({ token: item.value, depth: depth + 1 });
    }
  }
  return undefined;
}

/**
 * What each alias stands for: the closest node before it with that anchor (YAML 1.2 §3.2.2.2),
 * found in one pass (yaml's `Alias.resolve` searches the whole document on every call).
 */
function aliasTargetsOf(doc: Document): ReadonlyMap<Alias, Node> {
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node>();
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (target !== undefined) targets.set(node, target);
      } else if (node.anchor !== undefined) {
        anchors.set(node.anchor, node);
      }
    },
  });
  return targets;
}

/**
 * A collection that aliases nest deeper than `limit`, or an alias inside what it stands for.
 * Heights are computed bottom-up without recursion, each node once however often it is aliased.
 */
function aliasNestingProblem(doc: Document, aliasTargets: ReadonlyMap<Alias, Node>, limit: number): { readonly node: Node; readonly message: string } | undefined {
  const childrenOf = (node: Node): Node[] => {
    if (isAlias(node)) return [aliasTargets.get(node)].filter((target) => target !== undefined);
    if (isMap(node)) return node.items.flatMap((pair) => [pair.key, pair.value]).filter(isNode);
    if (isSeq(node)) return node.items.filter(isNode);
    return [];
  };
  const heights = new Map<Node, number>();
  const entered = new Set<Node>();
  const pending: Node[] = doc.contents === null ? [] : [doc.contents];
  for (let node = pending.at(-1); node !== undefined; node = pending.at(-1)) {
    if (heights.has(node)) {
      pending.pop();
    } else if (!entered.has(node)) {
      // Entered nodes that have no height yet are exactly those on the path from the root here.
      entered.add(node);
      for (const child of childrenOf(node)) {
        if (entered.has(child) && !heights.has(child)) return { node, message: `alias ${isAlias(node) ? `*${node.source} ` : ''}stands for a mapping or list that contains it` };
        if (!heights.has(child)) pending.push(child);
      }
    } else {
      pending.pop();
      const childHeight = Math.max(0, ...childrenOf(node).map((child) => heights.get(child) ?? 0));
      const height = isMap(node) || isSeq(node) ? childHeight + 1 : childHeight;
      if (height > limit) return { node, message: `${nestingMessage()} once aliases are expanded` };
      heights.set(node, height);
    }
  }
  return undefined;
}

/** The source range of the field at `path`, or of the deepest node on the way that exists. */
function rangeOf(doc: Document, aliasTargets: ReadonlyMap<Alias, Node>, path: readonly PropertyKey[]): Range | undefined {
  let node: Node | null = doc.contents;
  let range: Range | undefined = node?.range ?? undefined;
  for (const segment of path) {
    if (isAlias(node)) node = aliasTargets.get(node) ?? null;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) break;
      if (isScalar(pair.key)) range = pair.key.range ?? range;
      node = isNode(pair.value) ? pair.value : null;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (!isNode(item)) break;
      range = item.range ?? range;
      node = item;
    } else {
      break;
    }
  }
  return range;
}
