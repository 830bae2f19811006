import { isUtf8 } from 'node:buffer';
import { readErrorSkip, type ByteRange } from './file-blocks.js';
import { inputBytesRead, inputLines, pieceRanges, type Line } from './framing/lines.js';
import { readHead } from './inputs.js';
import { classifyJson } from './json-shapes.js';
import { Sniff, type RawEvent, type Source, type SourceContext, type SourceInput } from './source.js';

function stripBomAndSpace(head: Buffer): string {
  const start = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  return head.toString('utf8', start).trimStart();
}

/**
 * A whole JSON document (array, or pretty-printed objects one after another as in sigma's
 * regression data) rather than one object per line: the first line alone is not a complete object.
 */
export function looksLikeJsonDocument(head: Buffer): boolean {
  const text = stripBomAndSpace(head);
  if (text.startsWith('[')) return true;
  if (!text.startsWith('{')) return false;
  const nl = text.indexOf('\n');
  if (nl < 0) return false;
  return !text.slice(0, nl).trimEnd().endsWith('}');
}

/**
 * One JSON object per line (CrowdStrike FDR, NXLog/Mordor flat Sysmon, evtx_dump, Winlogbeat,
 * Azure Syslog rows with Sysmon for Linux XML), or a whole JSON document up to the record size cap.
 */
export const jsonlSource: Source = {
  name: 'jsonl',

  sniff(head: Buffer): number {
    const text = stripBomAndSpace(head);
    if (text.startsWith('{"') || text.startsWith('[{')) return Sniff.certain;
    if (text.startsWith('{') || text.startsWith('[')) return looksLikeJsonDocument(head) ? Sniff.certain : Sniff.plausible;
    return Sniff.notMine;
  },

  async *read(input: SourceInput, ctx: SourceContext): AsyncIterable<RawEvent> {
    if (looksLikeJsonDocument(await readHead(input))) yield* readDocument(input.open(), input.name, ctx);
    else yield* readLines(input, ctx);
  },

  /** JSON lines are cut at line starts; a JSON document is read whole */
  split(input: SourceInput, pieceBytes: number, head: Buffer): ByteRange[] | undefined {
    return looksLikeJsonDocument(head) ? undefined : pieceRanges(input, pieceBytes);
  },
};

async function* readLines(input: SourceInput, ctx: SourceContext): AsyncGenerator<RawEvent> {
  const file = input.name;
  for await (const batch of inputLines(input, ctx, ctx.jsonKind)) {
    for (const line of batch) {
      // the line framer already prefiltered the line's bytes
      const ev = parseRecord(line.text, line, file, ctx);
      if (ev) yield ev;
    }
  }
}

/** A value of a JSON document: prefiltered here, as no framer saw its bytes. */
function recordToEvent(text: string, at: Omit<Line, 'text'>, file: string, ctx: SourceContext): RawEvent | undefined {
  if (text.length > 0 && ctx.prefilter && !ctx.prefilter.mayMatchText(text)) {
    ctx.prefiltered?.(1);
    return undefined;
  }
  return parseRecord(text, at, file, ctx);
}

function parseRecord(text: string, at: Omit<Line, 'text'>, file: string, ctx: SourceContext): RawEvent | undefined {
  const location = { file, line: at.line, offset: at.offset };
  if (text.length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    if (text.trim() === '') return undefined;
    ctx.skip({ location, code: 'invalid-json', reason: (err as Error).message, bytes: Buffer.byteLength(text) });
    return undefined;
  }
  let rec: ReturnType<typeof classifyJson>;
  try {
    rec = classifyJson(value, ctx.jsonShapes);
  } catch (err) {
    // a record no shape expected must cost that record, never the rest of the file
    ctx.skip({ location, code: 'invalid-json', reason: `unreadable JSON record: ${(err as Error).message}`, bytes: Buffer.byteLength(text) });
    return undefined;
  }
  if (rec.kind === 'skip') {
    ctx.skip({ location, code: rec.code, reason: rec.reason, bytes: Buffer.byteLength(text) });
    return undefined;
  }
  return { family: rec.family, system: rec.system, data: rec.data, location };
}

async function* readDocument(input: AsyncIterable<Buffer>, file: string, ctx: SourceContext): AsyncGenerator<RawEvent> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of input) {
      size += chunk.length;
      if (size > ctx.maxRecordBytes) {
        // returning closes the input
        ctx.skip({
          location: { file, line: 1, offset: 0 },
          code: 'line-too-long',
          reason: `JSON document larger than the ${ctx.maxRecordBytes}-byte limit; only JSON lines are read past that size`,
          bytes: size,
        });
        return;
      }
      // a copy: the input may reuse the chunk's memory
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    ctx.skip(readErrorSkip(err, file, size));
  }
  ctx.progress?.(inputBytesRead(input, size));
  const buf = Buffer.concat(chunks);
  if (!isUtf8(buf)) {
    ctx.skip({ location: { file, line: 1, offset: 0 }, code: 'invalid-utf8', reason: 'JSON document is not valid UTF-8; invalid bytes were replaced', bytes: buf.length });
  }
  const text = buf.toString('utf8');
  for (const part of splitJsonValues(text)) {
    if (part.garbage) {
      ctx.skip({ location: { file, line: part.line, offset: part.offset }, code: 'invalid-json', reason: 'text between JSON values', bytes: part.text.length });
      continue;
    }
    if (part.text.startsWith('[')) {
      yield* arrayElements(part, file, ctx);
      continue;
    }
    const ev = recordToEvent(part.text, part, file, ctx);
    if (ev) yield ev;
  }
}

function* arrayElements(part: JsonPart, file: string, ctx: SourceContext): Generator<RawEvent> {
  // elements are re-split rather than JSON.parse'd whole, so each keeps its own line and offset
  const inner = part.text.slice(1);
  const end = inner.lastIndexOf(']');
  const body = end >= 0 ? inner.slice(0, end) : inner;
  const base = { line: part.line, offset: part.offset + 1 };
  for (const el of splitJsonValues(body, base, true)) {
    if (el.garbage) {
      ctx.skip({ location: { file, line: el.line, offset: el.offset }, code: 'invalid-json', reason: 'malformed JSON array element', bytes: el.text.length });
      continue;
    }
    const ev = recordToEvent(el.text, el, file, ctx);
    if (ev) yield ev;
  }
}

export interface JsonPart {
  text: string;
  line: number;
  /** character offset (equal to the byte offset for ASCII text) */
  offset: number;
  garbage: boolean;
}

/**
 * Top-level JSON values one after another, found by bracket depth outside strings. A value cut off
 * at the end is returned as is, so JSON.parse reports it.
 */
export function splitJsonValues(text: string, base = { line: 1, offset: 0 }, commaSeparated = false): JsonPart[] {
  const parts: JsonPart[] = [];
  let line = base.line;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      line++;
      i++;
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0xfeff || (commaSeparated && c === 0x2c)) {
      i++;
      continue;
    }
    const start = i;
    const startLine = line;
    if (c !== 0x7b /* { */ && c !== 0x5b /* [ */) {
      while (i < n && text.charCodeAt(i) !== 0x7b && text.charCodeAt(i) !== 0x5b) {
        if (text.charCodeAt(i) === 0x0a) line++;
        i++;
      }
      parts.push({ text: text.slice(start, i), line: startLine, offset: base.offset + start, garbage: true });
      continue;
    }
    let depth = 0;
    let inString = false;
    for (; i < n; i++) {
      const d = text.charCodeAt(i);
      if (d === 0x0a) line++;
      if (inString) {
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) inString = false;
      } else if (d === 0x22) inString = true;
      else if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      }
    }
    parts.push({ text: text.slice(start, i), line: startLine, offset: base.offset + start, garbage: false });
  }
  return parts;
}
