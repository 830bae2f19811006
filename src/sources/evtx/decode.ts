/**
 * Decode framed records of one chunk into the requested output. Self-contained, so it runs the same
 * on the main thread and in a worker; a ChunkDecoder holds what outlives a chunk (compiled JSON
 * lines), a ChunkContext what a chunk needs: no decoding state lives in the module.
 */
import { ChunkContext, parseDocument } from './binxml.js';
import type { Node } from './nodes.js';
import { RECORD_HEADER_SIZE, RECORD_TRAILER_SIZE, type EvtxIssue } from './chunk.js';
import { dataReader, documentFields, eventIdOf, type EventFields } from './fields.js';
import { JsonLines } from './json-lines.js';
import { renderXml } from './render-xml.js';
import { TemplateCache } from './template-cache.js';
import { buildEventTree, type RecordHeader } from './tree.js';
import { u32 } from './values.js';

/** `fields`: RawEvent maps; `json`: evtx_dump JSON lines; `xml`: Windows XML lines. */
export type DecodeMode = 'fields' | 'json' | 'xml';

export interface DecodedRecord<T = EventFields | string> {
  /** absolute file offset of the record */
  offset: number;
  out: T;
}

/**
 * A test of a `fields` record by its decoded EventID and its raw record data (UTF-16LE bytes
 * [start, end) of `buf`), before the rest is decoded: false drops the record (a prefilter's test
 * by kind). `read` gives one of its payload fields as the record's event will hold it (absent:
 * undefined), decoding what it must.
 */
export type EventIdTest = (eventId: string | undefined, buf: Buffer, start: number, end: number, read: (key: string) => string | undefined) => boolean;

export interface ChunkDecodeResult {
  records: DecodedRecord[];
  issues: EvtxIssue[];
  /** records the EventIdTest dropped */
  ruledOut: number;
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
  c.budget.begin(size);
  try {
    return parseDocument(c, pos + RECORD_HEADER_SIZE, pos + size - RECORD_TRAILER_SIZE);
  } catch (e) {
    // any failure, expected (BinXmlError, RangeError, WorkLimitError) or not, costs this record's tree, never the file
    c.warnings.push(e instanceof Error ? e.message : String(e));
    return [];
  }
}

/** a payload field's value: an own property only (`constructor` is no field of a record that lacks one) */
function ownValue(fields: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(fields, key) ? fields[key] : undefined;
}

/**
 * The template definitions this thread's decoders parsed, for every later chunk and file that
 * defines them again (a log's providers define the same few in every chunk). Parsed definitions
 * are immutable, so decoders share them.
 */
const threadTemplates = new TemplateCache();

/** Decodes chunks in one mode, keeping compiled JSON lines from chunk to chunk. */
export class ChunkDecoder {
  private readonly jsonLines: JsonLines | null;

  /** `eventIdTest`: `fields` mode only; `templates`: the definitions parsed before (this thread's by default) */
  constructor(
    readonly mode: DecodeMode,
    private readonly eventIdTest?: EventIdTest,
    private readonly templates: TemplateCache | undefined = threadTemplates,
  ) {
    this.jsonLines = mode === 'json' ? new JsonLines() : null;
  }

  /**
   * Whether the EventIdTest keeps a parsed record. A record whose parse noted damage is kept (its
   * fields are what parsed, and the damage is reported), as is one whose EventID or fields fail
   * to resolve (its render meets the same failure and reports it). Fields the test decoded are
   * left in `decoded` for the render.
   */
  private keeps(c: ChunkContext, nodes: Node[], pos: number, size: number, decoded: { fields?: EventFields }): boolean {
    if (!this.eventIdTest || c.warnings.length > 0) return true;
    // on a veto's first read: one field read alone where the record's template allows (fields.ts dataReader), else all of them decoded once
    let reader: ((key: string) => string | undefined) | undefined;
    const read = (key: string) =>
      (reader ??= dataReader(nodes, c.budget) ?? ((k) => ownValue((decoded.fields ??= documentFields(nodes, recordHeader(c.buf, pos), c.budget)).data, k)))(key);
    try {
      return this.eventIdTest(eventIdOf(nodes, c.budget), c.buf, pos + RECORD_HEADER_SIZE, pos + size - RECORD_TRAILER_SIZE, read) || c.warnings.length > 0;
    } catch {
      return true;
    }
  }

  /** A `json` record's line goes to `jsonLines`; it is read back with the chunk's text. */
  private render(c: ChunkContext, nodes: Node[], header: RecordHeader, decoded?: EventFields): EventFields | string {
    if (this.mode === 'fields') return decoded ?? documentFields(nodes, header, c.budget);
    if (this.mode === 'xml') return renderXml(buildEventTree(nodes, header, c.budget));
    this.jsonLines!.add(nodes, header, c.budget);
    return '';
  }

  decode(buf: Buffer, fileOffset: number, records: ArrayLike<number>): ChunkDecodeResult {
    const c = new ChunkContext(buf, this.templates);
    const issues: EvtxIssue[] = [];
    const out: DecodedRecord[] = [];
    let ruledOut = 0;
    this.jsonLines?.begin();
    for (let i = 0; i + 1 < records.length; i += 2) {
      const pos = records[i];
      const nodes = parseRecord(c, pos, records[i + 1]);
      const decoded: { fields?: EventFields } = {};
      if (!this.keeps(c, nodes, pos, records[i + 1], decoded)) {
        ruledOut++;
        continue;
      }
      const header = recordHeader(buf, pos);
      let rendered: EventFields | string;
      try {
        rendered = this.render(c, nodes, header, decoded.fields);
      } catch (e) {
        // a corrupt but parseable tree (or one past its budget) can still trip a renderer: keep the record with its header facts
        c.warnings.push(e instanceof Error ? e.message : String(e));
        this.jsonLines?.dropPartial();
        rendered = this.render(c, [], header);
      }
      if (c.warnings.length > 0) {
        issues.push({ offset: fileOffset + pos, code: 'evtx-bad-binxml', reason: c.warnings.slice(0, 3).join('; '), bytes: 0 });
      }
      out.push({ offset: fileOffset + pos, out: rendered });
    }
    if (!this.jsonLines) return { records: out, issues, ruledOut };
    const text = this.jsonLines.text();
    const lines = text.split('\n');
    out.forEach((r, i) => { r.out = lines[i]; });
    return { records: out, issues, ruledOut, text };
  }
}

/** One chunk decoded on its own (no lines shared with other chunks). */
export function decodeChunk(buf: Buffer, fileOffset: number, records: ArrayLike<number>, mode: DecodeMode): ChunkDecodeResult {
  return new ChunkDecoder(mode).decode(buf, fileOffset, records);
}
