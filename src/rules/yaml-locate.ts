import { isNode, LineCounter, type Document } from 'yaml';

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
