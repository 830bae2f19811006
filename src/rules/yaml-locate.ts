import { isMap, isNode, isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import type { ContentError } from './search-plan.js';

/** A content file parsed with positions: its document, a locator into it, and its YAML syntax errors at their line:col. */
export interface LocatedYaml {
  doc: Document;
  locate: YamlLocator;
  /** syntax errors; when there are any, the document is not to be read */
  errors: ContentError[];
  /** the document as plain data (undefined when there are errors) */
  data: unknown;
}

/** The one way content YAML is parsed: every syntax error becomes a content error at its line:col. */
export function parseLocated(file: string, text: string): LocatedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const errors = doc.errors.map((e) => {
    const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
    return { file, line: pos.line, col: pos.col, message: `YAML: ${e.message.split('\n')[0]}` };
  });
  const located = { doc, locate: new YamlLocator(doc, lines, text), errors, data: undefined as unknown };
  if (errors.length > 0) return located;
  try {
    located.data = doc.toJS();
  } catch (e) {
    // an alias bomb (aliases of aliases, exponential once expanded) trips yaml's alias limit:
    // a located error at the first alias, not a stack trace
    errors.push({ file, ...(located.locate.ofNode(firstAlias(doc)) ?? { line: 1, col: 1 }), message: `YAML: ${(e as Error).message}` });
  }
  return located;
}

function firstAlias(doc: Document): unknown {
  let found: unknown;
  visit(doc, {
    Alias(_, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

interface SchemaIssue {
  path: ReadonlyArray<PropertyKey>;
  message: string;
  code?: string;
  /** unrecognized_keys: the keys the schema does not know */
  keys?: readonly string[];
}

/**
 * Schema (zod) issues as content errors, each at the node its path names, prefixed with that path.
 * An unknown (say, misspelled) key is reported at the key itself, one error per key.
 */
export function schemaErrors(file: string, issues: readonly SchemaIssue[], locate: YamlLocator): ContentError[] {
  return issues.flatMap((issue) => {
    const at = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      return issue.keys.map((key) => ({ file, ...locate.keyAt([...at, key]), message: `${[...at, key].join('.')}: unknown key (not in the detection schema; misspelled?)` }));
    }
    return [{ file, ...locate.at(at), message: `${at.join('.') || '(document)'}: ${issue.message}` }];
  });
}

/** Finds 1-based line:col of YAML nodes so every content error can point into the file. */
export class YamlLocator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly source: string,
  ) {}

  /** position of the node at `path` (or of its nearest existing ancestor) */
  at(path: ReadonlyArray<string | number>): { line: number; col: number } {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) return this.position(node.range[0]);
    }
    return { line: 1, col: 1 };
  }

  /** position of the key of the map entry at `path` (where a misspelled key is), else of its nearest ancestor */
  keyAt(path: ReadonlyArray<string | number>): { line: number; col: number } {
    const parent = path.length > 1 ? this.doc.getIn(path.slice(0, -1), true) : this.doc.contents;
    const key = path[path.length - 1];
    const pair = isMap(parent) ? parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key) : undefined;
    return this.ofNode(pair?.key) ?? this.at(path.slice(0, -1));
  }

  /** position of a node (a map key, say) the caller holds, when it has one */
  ofNode(node: unknown): { line: number; col: number } | undefined {
    return isNode(node) && node.range ? this.position(node.range[0]) : undefined;
  }

  /**
   * Maps a position inside a scalar's decoded value back to the file. Folding and quoting make
   * an exact inverse costly, so the text found at that position is searched for in the raw scalar.
   */
  inScalar(path: ReadonlyArray<string | number>, decoded: string, line: number, col: number): { line: number; col: number } {
    const node = this.doc.getIn(path, true);
    if (!isNode(node) || !node.range) return this.at(path);
    const [start, end] = node.range;
    const offset = decodedOffset(decoded, line, col);
    const probe = decoded.slice(offset, offset + 24).split(/\s/)[0] ?? '';
    const raw = this.source.slice(start, end);
    const found = probe ? raw.indexOf(probe) : -1;
    return this.position(found >= 0 ? start + found : start);
  }

  private position(offset: number): { line: number; col: number } {
    const pos = this.lines.linePos(offset);
    return { line: pos.line, col: pos.col };
  }
}

function decodedOffset(text: string, line: number, col: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) break;
    offset = next + 1;
  }
  return Math.min(text.length, offset + col - 1);
}
