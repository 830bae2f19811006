import { isUtf8 } from 'node:buffer';
import { fileChunks, readErrorSkip, type ByteRange } from '../file-blocks.js';
import { zlib } from '../lazy-builtins.js';
import type { FilePosition, RecordKindProbe, RecordPrefilter, SourceContext, SourceInput } from '../source.js';

/**
 * The prefilter's answer for a record buf[start, end) before it is decoded. A prefilter that needs
 * every record's kind gets it first; one that does not (every rule has a literal) gets it only for
 * the few records its literals pass, to test them again against the rules of that kind only.
 * `kindOf` reads the kind from buf[kindStart, end) (an XML event's header precedes the payload the
 * literals are searched in).
 */
export function prefilterPasses(prefilter: RecordPrefilter, buf: Buffer, start: number, end: number, kindOf: RecordKindProbe | undefined, kindStart = start): boolean {
  if (prefilter.usesKind) return prefilter.mayMatchBytes(buf, start, end, kindOf?.(buf, kindStart, end));
  if (!prefilter.mayMatchBytes(buf, start, end)) return false;
  if (!prefilter.mayMatchKind || !kindOf) return true;
  const kind = kindOf(buf, kindStart, end);
  return kind === undefined || prefilter.mayMatchKind(buf, start, end, kind);
}

/** One line of a text input, without its line terminator. */
export interface Line {
  text: string;
  /** 1-based line number */
  line: number;
  /** byte offset of the line start in the (decompressed) input */
  offset: number;
}

const NL = 10;
const CR = 13;
const PROGRESS_EVERY = 1 << 20;

/**
 * Splits a byte stream into lines, synchronously, chunk by chunk. Complete lines inside a chunk
 * are sliced straight out of it; only a line crossing a chunk boundary is copied. A line longer than
 * `maxRecordBytes` is never buffered: its bytes are dropped up to the next newline and reported.
 *
 * Given a `piece` of a file, it frames the lines that start in [piece.start, piece.end): the bytes
 * pushed must then begin at max(0, start - 1), so that it can tell whether a line starts at `start`
 * (a partial first line belongs to the piece before); it reads on past `end` to finish the last
 * line, then is `done`. Line numbers count from the piece's first line (see RecordLocation.piece).
 */
export class LineFramer implements Framer {
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private discarding = false;
  private lineNo = 1;
  /** offset of the start of the line being assembled */
  private lineStart: number;
  private consumed: number;
  /** bytes before the piece's first line are still to be passed over */
  private seeking: boolean;
  private readonly pieceEnd: number;
  private readonly isPiece: boolean;
  done = false;

  constructor(
    private readonly file: string,
    private readonly ctx: SourceContext,
    piece?: ByteRange,
    /** the bytes pushed begin at this line start of the file (see SourceInput.startsAt) */
    startsAt?: FilePosition,
    /** what a line is without parsing it, for the prefilter (JSON lines) */
    private readonly kindOf?: RecordKindProbe,
  ) {
    const start = piece?.start ?? 0;
    this.consumed = this.lineStart = startsAt?.offset ?? Math.max(0, start - 1);
    if (startsAt) this.lineNo = startsAt.line;
    this.seeking = start > 0;
    this.pieceEnd = piece?.end ?? Infinity;
    this.isPiece = piece !== undefined;
  }

  /** Lines completed by `chunk`, appended to `out`. */
  push(chunk: Buffer, out: Line[]): void {
    if (this.seeking) chunk = this.passPartialLine(chunk);
    let pos = 0;
    const lastNl = chunk.lastIndexOf(NL);
    // one native validity check for all the lines that lie wholly inside this chunk
    const bodyStart = lastNl < 0 ? 0 : chunk.indexOf(NL, pos) + 1;
    const bodyValid = lastNl < 0 || bodyStart > lastNl || isUtf8(chunk.subarray(bodyStart, lastNl + 1));
    while (pos < chunk.length) {
      if (this.carryBytes === 0 && !this.discarding && this.consumed + pos >= this.pieceEnd) {
        this.finishPiece(this.lineNo - 1);
        return;
      }
      const nl = chunk.indexOf(NL, pos);
      if (nl < 0) {
        this.keepPartial(chunk, pos);
        break;
      }
      this.endLine(chunk, pos, nl, bodyValid && pos >= bodyStart, out);
      pos = nl + 1;
    }
    this.consumed += chunk.length;
  }

  /** the bytes of `chunk` after the piece's first line start (none while that is not in sight) */
  private passPartialLine(chunk: Buffer): Buffer {
    const nl = chunk.indexOf(NL);
    if (nl < 0) {
      this.consumed += chunk.length;
      return chunk.subarray(chunk.length);
    }
    this.seeking = false;
    this.consumed += nl + 1;
    this.lineStart = this.consumed;
    return chunk.subarray(nl + 1);
  }

  private finishPiece(lines: number): void {
    this.done = true;
    if (this.isPiece) this.ctx.pieceLines?.(lines);
  }

  /** A last line without a newline. */
  end(out: Line[]): void {
    if (this.done) return;
    const partial = this.discarding || this.carryBytes > 0;
    if (this.discarding) {
      this.reportTooLong(this.consumed);
    } else if (this.carryBytes > 0) {
      const buf = this.carry.length === 1 ? this.carry[0] : Buffer.concat(this.carry);
      this.emit(buf, 0, buf.length, false, out);
    }
    this.carry = [];
    this.carryBytes = 0;
    this.discarding = false;
    // a last line without newline started in this piece too
    this.finishPiece(this.lineNo - 1 + (partial ? 1 : 0));
  }

  private keepPartial(chunk: Buffer, pos: number): void {
    if (this.discarding) return;
    const rest = chunk.length - pos;
    if (this.carryBytes + rest > this.ctx.maxRecordBytes) {
      this.discarding = true;
      this.carry = [];
      this.carryBytes = 0;
      return;
    }
    // copy: the stream may reuse the chunk's memory
    this.carry.push(Buffer.from(chunk.subarray(pos)));
    this.carryBytes += rest;
  }

  private endLine(chunk: Buffer, pos: number, nl: number, knownValid: boolean, out: Line[]): void {
    const endOffset = this.consumed + nl;
    if (this.discarding) {
      this.discarding = false;
      this.reportTooLong(endOffset);
      this.nextLine(endOffset);
      return;
    }
    if (this.carryBytes > 0) {
      const len = this.carryBytes + (nl - pos);
      if (len > this.ctx.maxRecordBytes) {
        this.carry = [];
        this.carryBytes = 0;
        this.reportTooLong(endOffset);
      } else {
        this.carry.push(chunk.subarray(pos, nl));
        const buf = Buffer.concat(this.carry, len);
        this.carry = [];
        this.carryBytes = 0;
        this.emit(buf, 0, buf.length, false, out);
      }
    } else if (nl - pos > this.ctx.maxRecordBytes) {
      this.reportTooLong(endOffset);
    } else {
      this.emit(chunk, pos, nl, knownValid, out);
    }
    this.nextLine(endOffset);
  }

  private emit(buf: Buffer, start: number, end: number, knownValid: boolean, out: Line[]): void {
    if (end > start && buf[end - 1] === CR) end--;
    if (this.lineStart === 0 && end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) {
      start += 3;
      this.lineStart += 3;
    }
    if (!knownValid && !isUtf8(buf.subarray(start, end))) {
      this.ctx.skip({
        location: { file: this.file, line: this.lineNo, offset: this.lineStart },
        code: 'invalid-utf8',
        reason: 'line is not valid UTF-8',
        bytes: end - start,
      });
      return;
    }
    // Damage is reported first (the chunk-wide UTF-8 check is nearly free); then, before decoding,
    // the prefilter drops the many lines that cannot match any rule, never turning them into strings.
    const prefilter = this.ctx.prefilter;
    if (prefilter && !prefilterPasses(prefilter, buf, start, end, this.kindOf)) {
      this.ctx.prefiltered?.(1);
      return;
    }
    out.push({ text: buf.toString('utf8', start, end), line: this.lineNo, offset: this.lineStart });
  }

  private reportTooLong(endOffset: number): void {
    const bytes = endOffset - this.lineStart;
    this.ctx.skip({
      location: { file: this.file, line: this.lineNo, offset: this.lineStart },
      code: 'line-too-long',
      reason: `line of ${bytes} bytes exceeds the ${this.ctx.maxRecordBytes}-byte limit`,
      bytes,
    });
  }

  private nextLine(nlOffset: number): void {
    this.lineNo++;
    this.lineStart = nlOffset + 1;
  }
}

/** Bytes of the input consumed, counted in compressed bytes for gzip so progress matches the file size. */
export function inputBytesRead(chunks: AsyncIterable<Buffer>, decompressed: number): number {
  // only a stream with a byte count can be zlib's: plain inputs never load zlib for this test
  return 'bytesWritten' in chunks && chunks instanceof zlib().Gunzip ? chunks.bytesWritten : decompressed;
}

/**
 * Reads `stream` to the end and yields batches of lines. Stream errors (I/O, corrupt gzip) end the
 * input with a skip at the offset reached; lines before the damage are kept.
 */
export function frameLines(chunks: AsyncIterable<Buffer>, file: string, ctx: SourceContext, startsAt?: FilePosition, kindOf?: RecordKindProbe): AsyncGenerator<Line[]> {
  return frameStream(chunks, new LineFramer(file, ctx, undefined, startsAt, kindOf), file, ctx);
}

/** The lines of an input: all of them, or those of its piece (`input.range`) of a plain file. */
export function inputLines(input: SourceInput, ctx: SourceContext, kindOf?: RecordKindProbe): AsyncGenerator<Line[]> {
  // the byte before a piece tells whether its first line starts at its first byte
  const part = pieceOf(input, 1);
  if (!part) return frameLines(input.open(), input.name, ctx, input.startsAt, kindOf);
  return frameStream(part.chunks, new LineFramer(input.name, ctx, part.piece, undefined, kindOf), input.name, ctx);
}

/**
 * The piece of a plain file an input is (`input.range`, a share of a scan between threads), with
 * the file's bytes from `lookBehind` bytes before it to the file's end: a piece's framer reads past
 * its end to finish its last record. Undefined for a whole input.
 */
export function pieceOf(input: SourceInput, lookBehind = 0): { piece: ByteRange; chunks: AsyncIterable<Buffer> } | undefined {
  const piece = input.path !== undefined ? input.range : undefined;
  if (!piece) return undefined;
  return { piece, chunks: fileChunks(input.path!, { start: Math.max(0, piece.start - lookBehind), end: Infinity }) };
}

/** Cuts a large plain file into pieces of `pieceBytes` (the last shorter), each framed alone (LineFramer, XmlEventFramer); undefined below two pieces. */
export function pieceRanges(input: SourceInput, pieceBytes: number): ByteRange[] | undefined {
  const size = input.size;
  if (input.path === undefined || size === undefined || size < 2 * pieceBytes) return undefined;
  const ranges: ByteRange[] = [];
  for (let start = 0; start < size; start += pieceBytes) ranges.push({ start, end: Math.min(size, start + pieceBytes) });
  return ranges;
}

/** What cuts a byte stream into records: pushed chunk by chunk, then ended. */
export interface Framer {
  push(chunk: Buffer, out: Line[]): void;
  end(out: Line[]): void;
  /** set once it needs no more bytes (the end of its piece) */
  readonly done?: boolean;
}

/** Drives a framer over a stream, with progress, cancellation and stream errors as skips. */
export async function* frameStream(chunks: AsyncIterable<Buffer>, framer: Framer, file: string, ctx: SourceContext): AsyncGenerator<Line[]> {
  let read = 0;
  let reported = 0;
  try {
    for await (const buf of chunks) {
      read += buf.length;
      const out: Line[] = [];
      framer.push(buf, out);
      if (out.length > 0) yield out;
      if (read - reported >= PROGRESS_EVERY) {
        reported = read;
        ctx.progress?.(inputBytesRead(chunks, read));
      }
      // leaving the loop closes the input
      if (ctx.signal?.aborted) return;
      if (framer.done) break;
    }
  } catch (err) {
    ctx.skip(readErrorSkip(err, file, read));
  }
  const out: Line[] = [];
  framer.end(out);
  if (out.length > 0) yield out;
  ctx.progress?.(inputBytesRead(chunks, read));
}
