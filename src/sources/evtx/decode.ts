/**
 * Decode framed records of one chunk into the requested output. Pure and self-contained, so it runs
 * the same on the main thread and in a worker.
 */
import { ChunkContext, parseDocument, type Node } from './binxml.js';
import { RECORD_HEADER_SIZE, RECORD_TRAILER_SIZE, type EvtxIssue } from './chunk.js';
import { documentFields, type EventFields } from './fields.js';
import { JsonLines } from './json-lines.js';
import { renderXml } from './render-xml.js';
import { buildEventTree, type RecordHeader } from './tree.js';
import { u32 } from './values.js';

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
  /** `json` only: every record's line, each ending in a newline */
  text?: string;
}

function recordHeader(b: Buffer, pos: number): RecordHeader {
  return {
    recordId: u32(b, pos + 12) * 4294967296 + u32(b, pos + 8),
    writtenLo: u32(b, pos + 16),
    writtenHi: u32(b, pos + 20),
  };
}

/** Parse a record's BinXML; on corruption keep whatever parsed and note why (never drops the record). */
function parseRecord(c: ChunkContext, pos: number, size: number): Node[] {
  c.warnings = [];
  try {
    return parseDocument(c, pos + RECORD_HEADER_SIZE, pos + size - RECORD_TRAILER_SIZE);
  } catch (e) {
    // any failure, expected (BinXmlError, RangeError) or not, costs this record's tree, never the file
    c.warnings.push(e instanceof Error ? e.message : String(e));
    return [];
  }
}

const jsonLines = new JsonLines();

/** A `json` record's line goes to `jsonLines`; it is read back with the chunk's text. */
function render(nodes: Node[], header: RecordHeader, mode: DecodeMode): EventFields | string {
  if (mode === 'fields') return documentFields(nodes, header);
  if (mode === 'xml') return renderXml(buildEventTree(nodes, header));
  jsonLines.add(nodes, header);
  return '';
}

export function decodeChunk(buf: Buffer, fileOffset: number, records: ArrayLike<number>, mode: DecodeMode): ChunkDecodeResult {
  const c = new ChunkContext(buf);
  const issues: EvtxIssue[] = [];
  const out: DecodedRecord[] = [];
  if (mode === 'json') jsonLines.begin();
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
      if (mode === 'json') jsonLines.dropPartial();
      rendered = render([], header, mode);
    }
    if (c.warnings.length > 0) {
      issues.push({ offset: fileOffset + pos, code: 'evtx-bad-binxml', reason: c.warnings.slice(0, 3).join('; '), bytes: 0 });
    }
    out.push({ offset: fileOffset + pos, out: rendered });
  }
  if (mode !== 'json') return { records: out, issues };
  const text = jsonLines.text();
  const lines = text.split('\n');
  out.forEach((r, i) => { r.out = lines[i]; });
  return { records: out, issues, text };
}
