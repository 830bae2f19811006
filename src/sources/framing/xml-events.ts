import { isUtf8 } from 'node:buffer';
import type { ByteRange } from '../file-blocks.js';
import type { FilePosition, SourceContext } from '../source.js';
import { forEachGarbageRun } from './xml-between.js';
import { MarkerSearch } from './xml-markers.js';
import { GT, LT } from '../xml-event.js';
import { xmlRecordKind } from '../xml-kind.js';
import { frameStream, prefilterPasses, type Framer, type Line } from './lines.js';

const OPEN = Buffer.from('<Event');
const CLOSE = Buffer.from('</Event>');
/** in the name of both payload elements, `<EventData>` and `<UserData>` */
const PAYLOAD_NAME = Buffer.from('Data');
const NL = 10;
/** an unterminated `<...` between events longer than this is garbage, not a tag still arriving */
const MAX_TAG_CARRY = 64 * 1024;
const UNKNOWN = -2;
/** a start or end tag beginning in the last 7 bytes of the buffer may still be incomplete */
const UNDECIDED_TAIL = CLOSE.length - 1;

/** `seeking`: a piece's bytes before its first event start, which belong to the piece before */
type Mode = 'seeking' | 'between' | 'inside' | 'discard';

interface PendingGarbage {
  line: number;
  offset: number;
  end: number;
}

/** `buf.length`, less a UTF-8 sequence the end of the buffer cuts short */
function completeCharsEnd(buf: Buffer): number {
  const len = buf.length;
  let i = len - 1;
  // back over at most 3 continuation bytes to the sequence's lead byte
  while (i >= 0 && i > len - 4 && (buf[i] & 0xc0) === 0x80) i--;
  if (i < 0) return len;
  const lead = buf[i];
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return len - i < need ? i : len;
}

/**
 * Frames `<Event>...</Event>` elements out of a byte stream regardless of line breaks: one event per
 * line (Splunk), pretty-printed wevtutil documents, or many events on one line. Each event is
 * reported with the line and byte offset where it starts. An event without `</Event>` before the next
 * `<Event` (truncated) is still handed out, so the tokenizer can recover what it can.
 *
 * Every `<Event` followed by a name end starts an event, wherever it is, and an event runs to the
 * first `</Event>` or event start after it: where events lie depends on the bytes alone. So a file
 * can be cut anywhere into pieces, each framed by a thread of its own: given a `piece`, the framer
 * frames the events that start in [piece.start, piece.end), reading from piece.start (what comes
 * before its first event start belongs to the piece before) and on past the end to finish its last
 * event and the text after it, then is `done`. Line numbers count from piece.start (line 1), and
 * the piece reports the line breaks in [piece.start, piece.end) (see RecordLocation.piece).
 */
export class XmlEventFramer implements Framer {
  private buf: Buffer = Buffer.alloc(0);
  /** input offset of buf[0] */
  private base = 0;
  private mode: Mode = 'between';
  private evStart = 0;
  private searchFrom = 0;
  /** newlines are counted up to buf[nlPos]; curLine is the line of that byte */
  private nlPos = 0;
  private curLine = 1;
  /** the first newline at or after nlPos (-1: none in buf), so each newline is searched for once */
  private nextNl = UNKNOWN;
  private evLine = 1;
  private discardStart = { line: 0, offset: 0 };
  private garbage: PendingGarbage | undefined;
  /** see validPrefix(); UNKNOWN until an event of this buffer needs it */
  private valid = UNKNOWN;
  private readonly search = new MarkerSearch();
  /** the line of buf[0] (-1: unknown) */
  private bufStartLine = -1;
  /** the position nextMarker returned last and its line (-1: unknown) */
  private markerAt = -1;
  private markerLine = -1;
  private readonly pieceEnd: number = Infinity;
  /** line breaks in [piece.start, piece.end), counted when lineAt first passes the piece's end; -1 until then */
  private pieceLineBreaks = -1;
  done = false;

  constructor(
    private readonly file: string,
    private readonly ctx: SourceContext,
    /** the bytes pushed begin here in the file, between two events (see SourceInput.startsAt) */
    startsAt?: FilePosition,
    /** frame the events starting in this piece of the file; the bytes pushed begin at its start */
    private readonly piece?: ByteRange,
  ) {
    if (startsAt) {
      this.base = startsAt.offset;
      this.curLine = this.evLine = startsAt.line;
    }
    if (piece) {
      this.base = piece.start;
      this.pieceEnd = piece.end;
      if (piece.start > 0) this.mode = 'seeking';
    }
  }

  push(chunk: Buffer, out: Line[]): void {
    if (this.buf.length > 0) {
      // Only the event crossing the chunk boundary is copied: the carry joins the chunk up to its first
      // `</Event>`, and the rest of the chunk is framed in place (framing does not depend on where input is split).
      const close = chunk.indexOf(CLOSE);
      if (close >= 0) {
        const head = close + CLOSE.length;
        this.scan(Buffer.concat([this.buf, chunk.subarray(0, head)]), out);
        if (head < chunk.length) this.scan(this.buf.length === 0 ? chunk.subarray(head) : Buffer.concat([this.buf, chunk.subarray(head)]), out);
        return;
      }
      this.scan(Buffer.concat([this.buf, chunk]), out);
      return;
    }
    this.scan(chunk, out);
  }

  /** frames `buf` (the carry from the previous chunk followed by new bytes) */
  private scan(buf: Buffer, out: Line[]): void {
    if (this.done) return;
    this.buf = buf;
    this.search.newBuffer();
    this.markerAt = -1;
    // rebase leaves the line count at the buffer's start, so marker line counts are relative to it
    this.bufStartLine = this.nlPos === 0 ? this.curLine : -1;
    this.nextNl = UNKNOWN;
    this.valid = UNKNOWN;
    let pos = this.searchFrom;
    for (;;) {
      if (this.mode === 'seeking') {
        const s = this.nextMarker(pos, true);
        if (s < 0) {
          // a start tag cut by the end of the buffer is looked at again with more bytes
          const keep = Math.max(pos, this.buf.length - OPEN.length);
          this.rebase(keep, keep);
          return;
        }
        if (this.startsAfterPiece(s)) return;
        pos = this.startEvent(s);
      } else if (this.mode === 'between') {
        const s = this.nextMarker(pos, true);
        if (s < 0) {
          const keep = this.betweenKeep(pos);
          this.classifyBetween(pos, keep);
          this.rebase(keep, keep);
          return;
        }
        this.classifyBetween(pos, s);
        this.flushGarbage();
        if (this.startsAfterPiece(s)) return;
        pos = this.startEvent(s);
      } else if (this.mode === 'inside') {
        const m = this.nextMarker(Math.max(pos, this.evStart + 1), false);
        if (m >= 0 && this.markerIsOpen) {
          this.emit(this.evStart, m, out);
          if (this.startsAfterPiece(m)) return;
          pos = this.startEvent(m);
        } else if (m >= 0) {
          this.emit(this.evStart, m + CLOSE.length, out);
          this.mode = 'between';
          pos = m + CLOSE.length;
        } else if (this.buf.length - UNDECIDED_TAIL - this.evStart > this.ctx.maxRecordBytes) {
          // certainly too long: it runs at least to the undecided tail, whatever tag the tail starts
          this.discardStart = { line: this.evLine, offset: this.base + this.evStart };
          this.mode = 'discard';
          pos = this.evStart;
        } else {
          this.rebase(this.evStart, Math.max(this.evStart, this.buf.length - CLOSE.length));
          return;
        }
      } else {
        const m = this.nextMarker(Math.max(pos, this.evStart + 1), false);
        if (m < 0) {
          const keep = Math.max(pos, this.buf.length - CLOSE.length);
          this.rebase(keep, keep);
          return;
        }
        // as inside: the next event's start ends a truncated one, so what is skipped does not depend on chunking
        this.reportTooLong(this.base + (this.markerIsOpen ? m : m + CLOSE.length));
        if (this.markerIsOpen && this.startsAfterPiece(m)) return;
        if (this.markerIsOpen) {
          pos = this.startEvent(m);
        } else {
          this.mode = 'between';
          pos = m + CLOSE.length;
        }
      }
    }
  }

  /** an event starts at `s`: where the search for its end begins */
  private startEvent(s: number): number {
    this.mode = 'inside';
    this.evStart = s;
    this.evLine = this.lineAt(s);
    return s + OPEN.length;
  }

  end(out: Line[]): void {
    if (this.done) return;
    if (this.mode === 'inside') {
      this.emit(this.evStart, this.buf.length, out);
    } else if (this.mode === 'discard') {
      this.reportTooLong(this.base + this.buf.length);
    } else if (this.mode === 'between') {
      this.classifyBetween(this.searchFrom, this.buf.length);
    }
    this.flushGarbage();
    if (this.piece) this.finishPiece(Math.min(this.pieceEnd - this.base, this.buf.length));
    this.buf = Buffer.alloc(0);
  }

  /** whether the event start at `s` is the next piece's: then this piece is done */
  private startsAfterPiece(s: number): boolean {
    if (this.base + s < this.pieceEnd) return false;
    this.finishPiece(this.pieceEnd - this.base);
    return true;
  }

  /** `end`: where the piece ends in buf (or the input, if sooner) */
  private finishPiece(end: number): void {
    this.done = true;
    if (this.pieceLineBreaks < 0) this.pieceLineBreaks = this.countLinesTo(end) - 1;
    this.ctx.pieceLines?.(this.pieceLineBreaks);
  }

  /**
   * The next event start (`<Event` and a name end, so not `<Events>` or `<EventData>`) or, unless
   * `opensOnly`, event end (`</Event>`) at or after `from`, or -1; `markerIsOpen` tells which.
   */
  private nextMarker(from: number, opensOnly: boolean): number {
    const at = this.search.next(this.buf, from, opensOnly);
    if (at >= 0 && this.search.breaksBefore >= 0) this.noteLine(at, this.search.breaksBefore);
    return at;
  }

  /** whether the position nextMarker returned last is an event start (else an end) */
  private get markerIsOpen(): boolean {
    return this.search.isStart;
  }

  /** the marker scan counted the line breaks before `at`: lineAt(at) need not (lineAt(p) for p < at may come first) */
  private noteLine(at: number, breaksBefore: number): void {
    this.markerAt = at;
    this.markerLine = this.bufStartLine < 0 ? -1 : this.bufStartLine + breaksBefore;
  }

  /** where the unclassified tail starts: an unterminated tag (maybe a partial `<Event`) or BOM is kept */
  private betweenKeep(pos: number): number {
    const len = this.buf.length;
    // a BOM cut by the first chunk boundary is recognised once whole
    if (this.base + pos === 0 && len < 3) return pos;
    const lt = this.buf.lastIndexOf(LT, len - 1);
    if (lt >= pos && len - lt <= MAX_TAG_CARRY && this.buf.indexOf(GT, lt) < 0) return lt;
    return len;
  }

  /** drop buf[0, from) and carry the rest; searching resumes at `resume` */
  private rebase(from: number, resume: number): void {
    this.lineAt(from);
    this.buf = Buffer.from(this.buf.subarray(from));
    this.search.newBuffer();
    this.markerAt = -1;
    this.base += from;
    this.nlPos -= from;
    if (this.nextNl >= 0) this.nextNl -= from;
    this.valid = UNKNOWN;
    this.evStart -= from;
    this.searchFrom = resume - from;
  }

  private lineAt(p: number): number {
    if (p <= this.nlPos) return this.curLine;
    // the piece's count is taken on the way past its end (later lines are still counted, for the events after it)
    if (this.pieceLineBreaks < 0 && this.base + p > this.pieceEnd) {
      this.countLinesTo(this.pieceEnd - this.base);
      this.pieceLineBreaks = this.curLine - 1;
    }
    // the line of the marker nextMarker returned last, which the marker scan counted
    if (p === this.markerAt && this.markerLine >= 0) {
      this.nlPos = p;
      this.nextNl = UNKNOWN;
      this.curLine = this.markerLine;
      return this.curLine;
    }
    return this.countLinesTo(p);
  }

  private countLinesTo(p: number): number {
    if (p <= this.nlPos) return this.curLine;
    let i = this.nextNl === UNKNOWN ? this.buf.indexOf(NL, this.nlPos) : this.nextNl;
    while (i >= 0 && i < p) {
      this.curLine++;
      i = this.buf.indexOf(NL, i + 1);
    }
    this.nlPos = p;
    this.nextNl = i;
    return this.curLine;
  }

  private emit(start: number, end: number, out: Line[]): void {
    const offset = this.base + start;
    if (end - start > this.ctx.maxRecordBytes) {
      this.ctx.skip({ location: { file: this.file, line: this.evLine, offset }, code: 'line-too-long', reason: `event of ${end - start} bytes exceeds the ${this.ctx.maxRecordBytes}-byte limit`, bytes: end - start });
      return;
    }
    if (!(end <= this.validPrefix() || isUtf8(this.buf.subarray(start, end)))) {
      this.ctx.skip({ location: { file: this.file, line: this.evLine, offset }, code: 'invalid-utf8', reason: 'event is not valid UTF-8', bytes: end - start });
      return;
    }
    // Damage is reported first, as for lines; then, before decoding, the prefilter drops the many
    // events that cannot match any rule, never turning them into strings.
    const prefilter = this.ctx.prefilter;
    if (prefilter && !prefilterPasses(prefilter, this.buf, this.payloadStart(start, end), end, xmlRecordKind, start)) {
      this.ctx.prefiltered?.(1);
      return;
    }
    out.push({ text: this.buf.toString('utf8', start, end), line: this.evLine, offset });
  }

  /**
   * Where the prefilter's search of an event starts: the rules' literals come from payload fields
   * only (cim/verbatim.ts derives which fields, never System ones), and a payload's text follows its start tag,
   * whose name holds `Data`. So the System header before it, a third of a Sysmon event, is skipped.
   * The marker scan found an `<EventData` of most events; others are searched for `Data`.
   */
  private payloadStart(start: number, end: number): number {
    const payload = this.search.payloadAt;
    if (payload > start && payload < end) return payload + OPEN.length;
    const data = this.buf.indexOf(PAYLOAD_NAME, start);
    return data >= 0 && data < end ? data : start;
  }

  /**
   * Length of the buffer's prefix known to be valid UTF-8 (0 when it is not), checked once per buffer:
   * one native pass instead of one call per event. Events start and end at ASCII `<`/`>`, so any
   * event inside a valid prefix is valid. A character cut by the end of the buffer is left out.
   */
  private validPrefix(): number {
    if (this.valid === UNKNOWN) {
      const end = completeCharsEnd(this.buf);
      this.valid = isUtf8(this.buf.subarray(0, end)) ? end : 0;
    }
    return this.valid;
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
    forEachGarbageRun(this.buf, start, end, -this.base, (from, to) => this.addGarbage(from, to));
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

/** The events of `chunks`; with a `piece`, those starting in it (the chunks then begin at its start). */
export function frameXmlEvents(chunks: AsyncIterable<Buffer>, file: string, ctx: SourceContext, startsAt?: FilePosition, piece?: ByteRange): AsyncGenerator<Line[]> {
  return frameStream(chunks, new XmlEventFramer(file, ctx, startsAt, piece), file, ctx);
}
