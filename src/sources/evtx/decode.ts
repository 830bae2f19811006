/**
 * Decode framed records of one chunk into the requested output. Pure and self-contained, so it runs
 * the same on the main thread and in a worker.
 */
import { ChunkContext, parseDocument, type Node } from './binxml.js';
import type { EvtxIssue } from './chunk.js';
import { documentFields, type EventFields } from './fields.js';
import { renderJson } from './render-json.js';
import { renderXml } from './render-xml.js';
import { buildEventTree, type RecordHeader, type XElement } from './tree.js';

/** `fields`: RawEvent maps; `json`: evtx_dump JSON lines; `xml`: Windows XML lines. */
export type DecodeMode = 'fields' | 'json' | 'xml';

export interface DecodedRecord<T = EventFields | string> {
  /** absolute file offset of the record */
  offset: number;
  out: T;
}

export interface ChunkDecodeResult {
  records: DecodedRecord[];
  issues: EvtxIssue[];
}

function recordHeader(b: Buffer, pos: number): RecordHeader {
  return {
    recordId: b.readUInt32LE(pos + 12) * 4294967296 + b.readUInt32LE(pos + 8),
    writtenLo: b.readUInt32LE(pos + 16),
    writtenHi: b.readUInt32LE(pos + 20),
  };
}

/** Parse a record's BinXML; on corruption keep whatever parsed and note why (never drops the record). */
function parseRecord(c: ChunkContext, pos: number, size: number): Node[] {
  c.warnings = [];
  try {
    return parseDocument(c, pos + 24, pos + size - 4);
  } catch (e) {
    // any failure, expected (BinXmlError, RangeError) or not, costs this record's tree, never the file
    c.warnings.push(e instanceof Error ? e.message : String(e));
    return [];
  }
}

function render(nodes: Node[], header: RecordHeader, mode: DecodeMode): EventFields | string {
  if (mode === 'fields') return documentFields(nodes, header);
  const tree: XElement = buildEventTree(nodes, header);
  return mode === 'json' ? renderJson(tree) : renderXml(tree);
}

export function decodeChunk(buf: Buffer, fileOffset: number, records: ArrayLike<number>, mode: DecodeMode): ChunkDecodeResult {
  const c = new ChunkContext(buf);
  const issues: EvtxIssue[] = [];
  const out: DecodedRecord[] = [];
  for (let i = 0; i + 1 < records.length; i += 2) {
    const pos = records[i];
    const header = recordHeader(buf, pos);
    const nodes = parseRecord(c, pos, records[i + 1]);
    let rendered: EventFields | string;
    try {
      rendered = render(nodes, header, mode);
    } catch (e) {
      // a corrupt but parseable tree can still trip a renderer: keep the record with its header facts
      c.warnings.push(e instanceof Error ? e.message : String(e));
      rendered = render([], header, mode);
    }
    if (c.warnings.length > 0) {
      issues.push({ offset: fileOffset + pos, code: 'evtx-bad-binxml', reason: c.warnings.slice(0, 3).join('; '), bytes: 0 });
    }
    out.push({ offset: fileOffset + pos, out: rendered });
  }
  return { records: out, issues };
}
