/**
 * A reusable UTF-8 buffer that JSON lines are written into, then read back as a string. Values go
 * from a record's bytes straight to their JSON text: strings from UTF-16LE to UTF-8, escaped
 * exactly as JSON.stringify does (short escapes, `\u00xx` for other controls, `\udxxx` for lone
 * surrogates), numbers, GUIDs, times and SIDs formatted in place, so no string is made per value.
 */
import { VT, FileTimeClock, fileTimeTicks, int64, sidSubAuthorities, u16, u32, u48be } from './values.js';

/** Value types whose (non-empty) values `JsonOut.value` writes straight from their bytes. */
export const DIRECT_TYPES: ReadonlySet<number> = new Set<number>([
  VT.Int8, VT.UInt8, VT.Int16, VT.UInt16, VT.Int32, VT.UInt32, VT.Int64, VT.UInt64,
  VT.Guid, VT.FileTime, VT.HexInt32, VT.HexInt64, VT.Sid,
]);

/** per ASCII code: 1 when JSON escapes it (see escapeUnit) */
const NEEDS_ESCAPE = new Uint8Array(128);
for (let c = 0; c < 0x20; c++) NEEDS_ESCAPE[c] = 1;
NEEDS_ESCAPE[0x22] = 1;
NEEDS_ESCAPE[0x5c] = 1;

/** `\b \t \n \f \r \" \\`: the letter after the backslash, by code */
const SHORT_ESCAPES: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72, 0x22: 0x22, 0x5c: 0x5c };
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const HEX_UPPER = Buffer.from('0123456789ABCDEF', 'latin1');
/** byte order of a GUID's text (the first three groups are little-endian); -1: a dash */
const GUID_ORDER = [3, 2, 1, 0, -1, 5, 4, -1, 7, 6, -1, 8, 9, -1, 10, 11, 12, 13, 14, 15];

export class JsonOut {
  private buf = Buffer.allocUnsafe(1 << 16);
  private pos = 0;
  /** UTF-16LE copy of a string to escape (strings that are not a record's own bytes) */
  private units = Buffer.allocUnsafe(1 << 12);
  private readonly clock = new FileTimeClock();

  reset(): void {
    this.pos = 0;
  }

  /** bytes written so far */
  get length(): number {
    return this.pos;
  }

  /** forget what was written past `length` */
  truncate(length: number): void {
    this.pos = Math.min(this.pos, length);
  }

  toString(): string {
    return this.buf.toString('utf8', 0, this.pos);
  }

  /** a string as it is (no escaping) */
  raw(s: string): void {
    this.room(3 * s.length);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** bytes already encoded (a fixed piece of a compiled line) */
  bytes(src: Uint8Array): void {
    const n = src.length;
    this.room(n);
    const out = this.buf;
    const o = this.pos;
    // a loop beats the call into set() for the short pieces most are
    if (n > 32) out.set(src, o);
    else for (let i = 0; i < n; i++) out[o + i] = src[i];
    this.pos = o + n;
  }

  /** a string known to hold only ASCII characters JSON leaves alone (numbers, GUIDs, hex, times) */
  ascii(s: string): void {
    const n = s.length;
    this.room(n);
    const out = this.buf;
    const o = this.pos;
    for (let i = 0; i < n; i++) out[o + i] = s.charCodeAt(i);
    this.pos = o + n;
  }

  /**
   * The evtx JSON text of a non-empty value of a DIRECT_TYPES type (valueText's, less any quotes),
   * from its `size` bytes at `p`.
   */
  value(type: number, b: Buffer, p: number, size: number): void {
    switch (type) {
      case VT.Int8: this.integer((b[p] << 24) >> 24); break;
      case VT.UInt8: this.integer(b[p]); break;
      case VT.Int16: this.integer((u16(b, p) << 16) >> 16); break;
      case VT.UInt16: this.integer(u16(b, p)); break;
      case VT.Int32: this.integer(u32(b, p) | 0); break;
      case VT.UInt32: this.integer(u32(b, p)); break;
      case VT.Int64:
      case VT.UInt64: {
        const v = int64(b, p, type === VT.Int64);
        if (typeof v === 'number') this.integer(v);
        else this.ascii(String(v));
        break;
      }
      case VT.Guid: this.guid(b, p); break;
      case VT.HexInt32: this.ascii('0x'); this.hex(u32(b, p), 1); break;
      case VT.HexInt64: {
        const hi = u32(b, p + 4);
        this.ascii('0x');
        if (hi !== 0) this.hex(hi, 1);
        this.hex(u32(b, p), hi !== 0 ? 8 : 1);
        break;
      }
      case VT.FileTime: {
        // evtx JSON keeps 6 of the 7 fractional digits
        const lo = u32(b, p), hi = u32(b, p + 4);
        this.ascii(this.clock.prefix(lo, hi));
        this.ascii('.');
        this.zeroPadded(Math.floor(fileTimeTicks(lo, hi) / 10), 6);
        this.ascii('Z');
        break;
      }
      case VT.Sid: {
        this.ascii('S-');
        this.integer(b[p]);
        this.ascii('-');
        this.integer(u48be(b, p + 2));
        const n = sidSubAuthorities(b, p, size);
        for (let i = 0; i < n; i++) {
          this.ascii('-');
          this.integer(u32(b, p + 8 + i * 4));
        }
        break;
      }
    }
  }

  /** an integer as JSON writes it (|n| < 2^53) */
  integer(n: number): void {
    this.room(17);
    const out = this.buf;
    let o = this.pos;
    if (n < 0) {
      out[o++] = 0x2d;
      n = -n;
    }
    let digits = 1;
    for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
    for (let i = o + digits - 1; i >= o; i--) {
      out[i] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    }
    this.pos = o + digits;
  }

  /** a non-negative integer with leading zeros to `width` digits */
  zeroPadded(n: number, width: number): void {
    this.room(width);
    const out = this.buf;
    const o = this.pos;
    for (let i = width - 1; i >= 0; i--) {
      out[o + i] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    }
    this.pos = o + width;
  }

  /** `n` (an unsigned 32-bit value) in lowercase hex, zero-padded to `width` digits */
  hex(n: number, width: number): void {
    let digits = 1;
    while (digits < 8 && n >>> (4 * digits) !== 0) digits++;
    if (digits < width) digits = width;
    this.room(digits);
    const out = this.buf;
    const o = this.pos;
    for (let i = digits - 1; i >= 0; i--) {
      out[o + i] = HEX_DIGITS[n & 0xf];
      n >>>= 4;
    }
    this.pos = o + digits;
  }

  /** the 16 GUID bytes at `p` as uppercase `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX` */
  guid(b: Uint8Array, p: number): void {
    this.room(36);
    const out = this.buf;
    let o = this.pos;
    for (const i of GUID_ORDER) {
      if (i < 0) {
        out[o++] = 0x2d;
        continue;
      }
      const x = b[p + i];
      out[o++] = HEX_UPPER[x >> 4];
      out[o++] = HEX_UPPER[x & 0xf];
    }
    this.pos = o;
  }

  /** any string, JSON-escaped (without the quotes) */
  string(s: string): void {
    if (this.units.length < 2 * s.length) this.units = Buffer.allocUnsafe(2 * s.length);
    const n = this.units.write(s, 0, 'utf16le');
    this.utf16(this.units, 0, n);
  }

  /** UTF-16LE code units in [start, end) of `b`, JSON-escaped (without the quotes), as UTF-8 */
  utf16(b: Uint8Array, start: number, end: number): void {
    this.room(3 * (end - start)); // the worst case: a 2-byte unit written as a 6-byte escape
    const out = this.buf;
    let o = this.pos;
    for (let q = start; q + 1 < end; q += 2) {
      const c = b[q] | (b[q + 1] << 8);
      if (c < 0x80) {
        if (NEEDS_ESCAPE[c] === 0) out[o++] = c;
        else o = escapeUnit(out, o, c);
      } else if (c < 0x800) {
        out[o++] = 0xc0 | (c >> 6);
        out[o++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c > 0xdfff) {
        out[o++] = 0xe0 | (c >> 12);
        out[o++] = 0x80 | ((c >> 6) & 0x3f);
        out[o++] = 0x80 | (c & 0x3f);
      } else {
        const next = c < 0xdc00 && q + 3 < end ? b[q + 2] | (b[q + 3] << 8) : 0;
        if (next < 0xdc00 || next > 0xdfff) {
          o = escapeUnit(out, o, c); // a lone surrogate
          continue;
        }
        const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        out[o++] = 0xf0 | (cp >> 18);
        out[o++] = 0x80 | ((cp >> 12) & 0x3f);
        out[o++] = 0x80 | ((cp >> 6) & 0x3f);
        out[o++] = 0x80 | (cp & 0x3f);
        q += 2;
      }
    }
    this.pos = o;
  }
}

/** `\"`, `\\`, `\n`… or `\uxxxx` (lowercase hex, as JSON.stringify writes it) */
function escapeUnit(out: Uint8Array, o: number, c: number): number {
  out[o++] = 0x5c;
  const short = SHORT_ESCAPES[c];
  if (short !== undefined) {
    out[o++] = short;
    return o;
  }
  out[o++] = 0x75;
  out[o++] = HEX_DIGITS[c >> 12];
  out[o++] = HEX_DIGITS[(c >> 8) & 0xf];
  out[o++] = HEX_DIGITS[(c >> 4) & 0xf];
  out[o++] = HEX_DIGITS[c & 0xf];
  return o;
}
