/**
 * gzip decompression as `gzip -dc` does it: every member of a multi-member file, zero padding
 * between members ignored, and trailing bytes that are not a gzip member reported and ignored,
 * never at the cost of what came before them. (zlib's Gunzip stream fails on such a tail and
 * drops the output of the write that met it: a small file lost everything, a large one its end.)
 */
import { zlib } from './lazy-builtins.js';

/**
 * Input of at most this many bytes goes to the inflater at a time, so its output stays bounded:
 * log text inflates 6-17x (about 1 MB), deflate's limit is ~1,030x (64 MB from a crafted member).
 * Each write is a round trip to zlib's thread and a turn of the event loop: at 16 KiB the main
 * thread waited on them for 40% of a .gz scan.
 */
const FEED_BYTES = 64 * 1024;
/** the inflater's output pieces: zlib's default 16 KiB made 16,000 fresh buffers (and their 'data' events) for 257 MB of text */
const OUTPUT_PIECE_BYTES = 1024 * 1024;
const MAX_HEADER_BYTES = 1 << 20;
const FEXTRA = 4, FNAME = 8, FCOMMENT = 16, FHCRC = 2;

/** Bytes after the last gzip member that are not one (reported by the caller). */
export class TrailingGarbageError extends Error {
  readonly code = 'Z_TRAILING_GARBAGE';
  constructor(readonly offset: number) {
    super(`trailing garbage after the last gzip member at compressed offset ${offset}; ignored, as gzip -dc does`);
  }
}

class Reader {
  private buf: Buffer = Buffer.alloc(0);
  private eof = false;
  /** compressed bytes consumed before `buf` */
  consumed = 0;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  /** at least `n` buffered bytes, unless the input ends first */
  async fill(n: number): Promise<Buffer> {
    while (this.buf.length < n && !this.eof) {
      const r = await this.it.next();
      if (r.done) this.eof = true;
      else this.buf = this.buf.length === 0 ? Buffer.from(r.value) : Buffer.concat([this.buf, r.value]);
    }
    return this.buf;
  }

  take(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.consumed += n;
    return out;
  }

  /** give back bytes read past the end of a deflate stream */
  unshift(b: Buffer): void {
    this.buf = this.buf.length === 0 ? b : Buffer.concat([b, this.buf]);
    this.consumed -= b.length;
  }

  async next(): Promise<Buffer | undefined> {
    if (this.buf.length > 0) return this.take(this.buf.length);
    if (this.eof) return undefined;
    const r = await this.it.next();
    if (r.done) {
      this.eof = true;
      return undefined;
    }
    this.consumed += r.value.length;
    return r.value;
  }
}

function toAsync(it: Iterator<Buffer>): AsyncIterator<Buffer> {
  return { next: async () => it.next() };
}

/** Length of the member header at the start of `b`, 0 when more bytes are needed, -1 when it is not one. */
function headerLength(b: Buffer): number {
  if (b.length < 10) return 0;
  if (b[0] !== 0x1f || b[1] !== 0x8b || b[2] !== 8) return -1;
  const flags = b[3];
  let p = 10;
  if (flags & FEXTRA) {
    if (b.length < p + 2) return 0;
    p += 2 + b.readUInt16LE(p);
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (!(flags & flag)) continue;
    const end = b.indexOf(0, p);
    if (end < 0) return 0;
    p = end + 1;
  }
  if (flags & FHCRC) p += 2;
  return b.length < p ? 0 : p;
}

/** Decompressed bytes of every gzip member of `input`; throws zlib errors for corrupt members. */
export async function* gunzipMembers(input: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncGenerator<Buffer> {
  const reader = new Reader(Symbol.asyncIterator in input ? input[Symbol.asyncIterator]() : toAsync(input[Symbol.iterator]()));
  for (let member = 0; ; member++) {
    // zero padding between and after members is allowed
    for (let b = await reader.fill(1); b.length > 0 && b[0] === 0; b = await reader.fill(1)) {
      const zeros = b.findIndex((x) => x !== 0);
      reader.take(zeros < 0 ? b.length : zeros);
    }
    let b = await reader.fill(10);
    if (b.length === 0) return;
    let header = headerLength(b);
    while (header === 0 && b.length < MAX_HEADER_BYTES) {
      const before = b.length;
      b = await reader.fill(b.length + 4096);
      if (b.length === before) break;
      header = headerLength(b);
    }
    if (header <= 0) {
      if (member === 0) throw Object.assign(new Error('not a gzip stream'), { code: 'Z_DATA_ERROR' });
      throw new TrailingGarbageError(reader.consumed);
    }
    reader.take(header);
    yield* inflateMember(reader);
    const trailer = await reader.fill(8);
    if (trailer.length < 8) throw Object.assign(new Error('gzip member ends without its trailer'), { code: 'Z_BUF_ERROR' });
    reader.take(8);
  }
}

/** One member's deflate data; bytes read past its end are given back to `reader`. */
async function* inflateMember(reader: Reader): AsyncGenerator<Buffer> {
  const inflate = zlib().createInflateRaw({ chunkSize: OUTPUT_PIECE_BYTES });
  const out: Buffer[] = [];
  let ended = false;
  let failure: Error | undefined;
  inflate.on('data', (d: Buffer) => out.push(d));
  inflate.on('end', () => { ended = true; });
  inflate.on('error', (e) => { failure = e; });
  /** fed bytes not yet known to be consumed, from stream offset `fedBase` */
  let fed: Buffer[] = [];
  let fedBase = 0;
  try {
    while (!ended && !failure) {
      const chunk = await reader.next();
      if (chunk === undefined) {
        await new Promise<void>((resolve) => { inflate.end(resolve); inflate.once('error', () => resolve()); });
        // let 'end' or 'error' arrive
        await new Promise((resolve) => setImmediate(resolve));
        if (!ended && !failure) failure = Object.assign(new Error('unexpected end of file'), { code: 'Z_BUF_ERROR' });
        break;
      }
      for (let p = 0; p < chunk.length && !ended && !failure; p += FEED_BYTES) {
        const piece = chunk.subarray(p, p + FEED_BYTES);
        fed.push(piece);
        await new Promise<void>((resolve) => inflate.write(piece, () => resolve()));
        await new Promise((resolve) => setImmediate(resolve));
        while (out.length > 0) yield out.shift()!;
        if (ended) {
          // give back what the deflate stream did not use: the rest of this chunk included
          const all = Buffer.concat([...fed, chunk.subarray(p + piece.length)]);
          reader.unshift(all.subarray(inflate.bytesWritten - fedBase));
        } else {
          // drop pieces wholly consumed
          while (fed.length > 1 && fedBase + fed[0].length <= inflate.bytesWritten) fedBase += fed.shift()!.length;
        }
      }
    }
    while (out.length > 0) yield out.shift()!;
    if (failure) throw failure;
  } finally {
    inflate.destroy();
  }
}
