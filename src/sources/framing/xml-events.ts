import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import type { SourceContext } from '../source.js';
import { type Line, inputBytesRead, streamErrorSkip } from './lines.js';

const OPEN = Buffer.from('<Event');
const CLOSE = Buffer.from('</Event>');
const NL = 10;
const LT = 0x3c;
const GT = 0x3e;
/** an unterminated `<...` between events longer than this is garbage, not a tag still arriving */
const MAX_TAG_CARRY = 64 * 1024;
const PROGRESS_EVERY = 1 << 20;

type Mode = 'between' | 'inside' | 'discard';

interface PendingGarbage {
  line: number;
  offset: number;
  end: number;
}

function isNameEnd(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === GT || b === 0x2f;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

/**
 * Frames `<Event>...</Event>` elements out of a byte stream regardless of line breaks: one event per
 * line (Splunk), pretty-printed wevtutil documents, or many events on one line. Each event is
 * reported with the line and byte offset where it starts. An event without `</Event>` before the next
 * `<Event` (truncated) is still handed out, so the tokenizer can recover what it can.
 */
export class XmlEventFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** input offset of buf[0] */
  private base = 0;
  private mode: Mode = 'between';
  private evStart = 0;
  private searchFrom = 0;
  /** newlines are counted up to buf[nlPos]; curLine is the line of that byte */
  private nlPos = 0;
  private curLine = 1;
  private evLine = 1;
  private discardStart = { line: 0, offset: 0 };
  private garbage: PendingGarbage | undefined;

  constructor(
    private readonly file: string,
    private readonly ctx: SourceContext,
  ) {}

  push(chunk: Buffer, out: Line[]): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let pos = this.searchFrom;
    for (;;) {
      if (this.mode === 'between') {
        const s = this.findOpen(pos);
        if (s < 0) {
          this.consumeBetween(pos, this.betweenKeep(pos));
          return;
        }
        this.classifyBetween(pos, s);
        this.flushGarbage();
        this.mode = 'inside';
        this.evStart = s;
        this.evLine = this.lineAt(s);
        pos = s + OPEN.length;
      } else if (this.mode === 'inside') {
        const e = this.buf.indexOf(CLOSE, pos);
        const next = this.findOpen(Math.max(pos, this.evStart + 1));
        if (next >= 0 && (e < 0 || next < e)) {
          this.emit(this.evStart, next, out);
          this.evStart = next;
          this.evLine = this.lineAt(next);
          pos = next + OPEN.length;
        } else if (e >= 0) {
          this.emit(this.evStart, e + CLOSE.length, out);
          this.mode = 'between';
          pos = e + CLOSE.length;
        } else if (this.buf.length - this.evStart > this.ctx.maxRecordBytes) {
          this.discardStart = { line: this.evLine, offset: this.base + this.evStart };
          this.mode = 'discard';
          pos = this.evStart;
        } else {
          this.rebase(this.evStart, Math.max(this.evStart, this.buf.length - CLOSE.length));
          return;
        }
      } else {
        const e = this.buf.indexOf(CLOSE, pos);
        if (e < 0) {
          const keep = Math.max(pos, this.buf.length - CLOSE.length);
          this.rebase(keep, keep);
          return;
        }
        this.reportTooLong(this.base + e + CLOSE.length);
        this.mode = 'between';
        pos = e + CLOSE.length;
      }
    }
  }

  end(out: Line[]): void {
    if (this.mode === 'inside') {
      this.emit(this.evStart, this.buf.length, out);
    } else if (this.mode === 'discard') {
      this.reportTooLong(this.base + this.buf.length);
    } else {
      this.classifyBetween(this.searchFrom, this.buf.length);
    }
    this.flushGarbage();
    this.buf = Buffer.alloc(0);
  }

  /** `<Event` followed by a name end (so `<Events>` and `<EventData>` do not count) */
  private findOpen(from: number): number {
    let i = from;
    for (;;) {
      i = this.buf.indexOf(OPEN, i);
      if (i < 0) return -1;
      const after = i + OPEN.length;
      if (after >= this.buf.length) return -1;
      if (isNameEnd(this.buf[after])) return i;
      i = after;
    }
  }

  /** where the unclassified tail starts: an unterminated tag (maybe a partial `<Event`) is kept */
  private betweenKeep(pos: number): number {
    const len = this.buf.length;
    const lt = this.buf.lastIndexOf(LT, len - 1);
    if (lt >= pos && len - lt <= MAX_TAG_CARRY && this.buf.indexOf(GT, lt) < 0) return lt;
    return len;
  }

  private consumeBetween(pos: number, keep: number): void {
    this.classifyBetween(pos, keep);
    this.rebase(keep, keep);
  }

  /** drop buf[0, from) and carry the rest; searching resumes at `resume` */
  private rebase(from: number, resume: number): void {
    this.lineAt(from);
    this.buf = Buffer.from(this.buf.subarray(from));
    this.base += from;
    this.nlPos -= from;
    this.evStart -= from;
    this.searchFrom = resume - from;
  }

  private lineAt(p: number): number {
    if (p <= this.nlPos) return this.curLine;
    let i = this.nlPos;
    for (;;) {
      i = this.buf.indexOf(NL, i);
      if (i < 0 || i >= p) break;
      this.curLine++;
      i++;
    }
    this.nlPos = p;
    return this.curLine;
  }

  private emit(start: number, end: number, out: Line[]): void {
    const bytes = this.buf.subarray(start, end);
    const location = { file: this.file, line: this.evLine, offset: this.base + start };
    if (end - start > this.ctx.maxRecordBytes) {
      this.ctx.skip({ location, code: 'line-too-long', reason: `event of ${end - start} bytes exceeds the ${this.ctx.maxRecordBytes}-byte limit`, bytes: end - start });
      return;
    }
    if (!isUtf8(bytes)) {
      this.ctx.skip({ location, code: 'invalid-utf8', reason: 'event is not valid UTF-8', bytes: end - start });
      return;
    }
    out.push({ text: bytes.toString('utf8'), line: this.evLine, offset: location.offset });
  }

  private reportTooLong(endOffset: number): void {
    const bytes = endOffset - this.discardStart.offset;
    this.ctx.skip({
      location: { file: this.file, ...this.discardStart },
      code: 'line-too-long',
      reason: `event of ${bytes} bytes exceeds the ${this.ctx.maxRecordBytes}-byte limit`,
      bytes,
    });
  }

  /** Whitespace, `<?xml?>`, comments, DOCTYPE and `<Events>` wrappers are fine; anything else is garbage. */
  private classifyBetween(start: number, end: number): void {
    const b = this.buf;
    let i = start;
    while (i < end) {
      const c = b[i];
      if (isSpace(c)) {
        i++;
        continue;
      }
      if (this.base + i === 0 && c === 0xef && b[i + 1] === 0xbb && b[i + 2] === 0xbf) {
        i += 3;
        continue;
      }
      const skipTo = c === LT ? this.ignorableTagEnd(i, end) : -1;
      if (skipTo > 0) {
        i = skipTo;
        continue;
      }
      let g = i + 1;
      while (g < end && b[g] !== LT) g++;
      this.addGarbage(i, g);
      i = g;
    }
  }

  /** end of an ignorable tag starting at `i`, or -1 */
  private ignorableTagEnd(i: number, end: number): number {
    const b = this.buf;
    const gt = b.indexOf(GT, i);
    if (gt < 0 || gt >= end) return -1;
    const next = b[i + 1];
    if (next === 0x3f /* ? */ || next === 0x21 /* ! */) return gt + 1;
    const name = b.toString('latin1', i + 1, Math.min(gt, i + 9));
    if (name.startsWith('Events') || name.startsWith('/Events')) return gt + 1;
    return -1;
  }

  private addGarbage(start: number, end: number): void {
    const offset = this.base + start;
    // one report per run of garbage, even when whitespace or chunk boundaries split it
    if (this.garbage) {
      this.garbage.end = this.base + end;
      return;
    }
    this.flushGarbage();
    this.garbage = { line: this.lineAt(start), offset, end: this.base + end };
  }

  private flushGarbage(): void {
    const g = this.garbage;
    if (!g) return;
    this.garbage = undefined;
    this.ctx.skip({
      location: { file: this.file, line: g.line, offset: g.offset },
      code: 'garbage',
      reason: 'text between events that is not part of any event',
      bytes: g.end - g.offset,
    });
  }
}

export async function* frameXmlEvents(stream: Readable, file: string, ctx: SourceContext): AsyncGenerator<Line[]> {
  const framer = new XmlEventFramer(file, ctx);
  let read = 0;
  let reported = 0;
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      read += buf.length;
      const out: Line[] = [];
      framer.push(buf, out);
      if (out.length > 0) yield out;
      if (read - reported >= PROGRESS_EVERY) {
        reported = read;
        ctx.progress?.(inputBytesRead(stream, read));
      }
      if (ctx.signal?.aborted) {
        stream.destroy();
        return;
      }
    }
  } catch (err) {
    ctx.skip(streamErrorSkip(err, file, read));
  }
  const out: Line[] = [];
  framer.end(out);
  if (out.length > 0) yield out;
  ctx.progress?.(inputBytesRead(stream, read));
}
