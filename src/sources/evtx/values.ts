/**
 * BinXML value types: decoding substitution values from bytes, and rendering them as text the way
 * Windows' XML rendering shows them (`xml`) or the way the evtx crate's JSON shows them (`json`).
 */

export const VT = {
  Null: 0x00,
  String: 0x01,
  AnsiString: 0x02,
  Int8: 0x03,
  UInt8: 0x04,
  Int16: 0x05,
  UInt16: 0x06,
  Int32: 0x07,
  UInt32: 0x08,
  Int64: 0x09,
  UInt64: 0x0a,
  Real32: 0x0b,
  Real64: 0x0c,
  Bool: 0x0d,
  Binary: 0x0e,
  Guid: 0x0f,
  SizeT: 0x10,
  FileTime: 0x11,
  SystemTime: 0x12,
  Sid: 0x13,
  HexInt32: 0x14,
  HexInt64: 0x15,
  BinXml: 0x21,
  ArrayFlag: 0x80,
} as const;

/** Pseudo types for text parts that are not values (kept apart from real codes, which are < 0x100). */
export const PART_CHARREF = 0x100;
export const PART_ENTITY = 0x101;
export const PART_CDATA = 0x102;
export const PART_PI = 0x103;

export type RenderMode = 'xml' | 'json';

const FIXED_WIDTH: Record<number, number> = {
  [VT.Int8]: 1, [VT.UInt8]: 1, [VT.Int16]: 2, [VT.UInt16]: 2, [VT.Int32]: 4, [VT.UInt32]: 4,
  [VT.Int64]: 8, [VT.UInt64]: 8, [VT.Real32]: 4, [VT.Real64]: 8, [VT.Guid]: 16,
  [VT.FileTime]: 8, [VT.SystemTime]: 16, [VT.HexInt32]: 4, [VT.HexInt64]: 8,
};

/** Byte width of a fixed-size type inside a value-text token, where no descriptor gives the size. */
export function fixedWidth(type: number): number | undefined {
  return FIXED_WIDTH[type];
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

/** FILETIME → `YYYY-MM-DDTHH:MM:SS.fffffffZ` (7 fractional digits, exact, no BigInt). */
export function fileTimeToIso(lo: number, hi: number): string {
  const prefix = fileTimePrefix(lo, hi);
  return prefix && `${prefix}.${String(fileTimeTicks(lo, hi)).padStart(7, '0')}Z`;
}

/** seconds from FILETIME's epoch (1601-01-01) to Date's (1970-01-01) */
const FILETIME_TO_UNIX_SECONDS = 11644473600;

/** A FILETIME's whole seconds as `YYYY-MM-DDTHH:MM:SS`; '' when out of Date's range. */
export function fileTimePrefix(lo: number, hi: number): string {
  const ms = unixMs(fileTimeSeconds(lo, hi));
  return inDateRange(ms) ? new Date(ms).toISOString().slice(0, 19) : '';
}

/** a FILETIME's whole seconds (fileTimeSeconds) as Date's milliseconds */
function unixMs(fileTimeSecs: number): number {
  return (fileTimeSecs - FILETIME_TO_UNIX_SECONDS) * 1000;
}

/**
 * Whether a time is within Date's range (fileTimePrefix gives it text; every 64-bit FILETIME is,
 * ~1.8e15 ms at most): told by arithmetic, as `dump` asks it of every FILETIME value, where making
 * its text each time took ~5% of the run.
 */
function inDateRange(ms: number): boolean {
  return Number.isFinite(ms) && ms >= -8.64e15 && ms <= 8.64e15;
}

function fileTimeSeconds(lo: number, hi: number): number {
  // 2^32 = 429 * 1e7 + 4967296, which keeps every intermediate below 2^53
  return hi * 429 + Math.floor((hi * 4967296 + lo) / 1e7);
}

/** A FILETIME's 100 ns ticks past its second. */
export function fileTimeTicks(lo: number, hi: number): number {
  return (hi * 4967296 + lo) % 1e7;
}

/** 9999-12-31T23:59:59.999Z: up to here toISOString writes `YYYY-MM-DDT…` */
const LAST_FOUR_DIGIT_YEAR_MS = 253402300799999;
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

/**
 * fileTimePrefix for a stream of records, owned by one decoder (never module state, so decoders
 * run concurrently or re-entrantly without sharing it). Consecutive records mostly share their
 * second, and nearly always their day: a Date is made per day, the time of day is plain
 * arithmetic. (FILETIME days start at UTC midnight, like Date's.)
 */
export class FileTimeClock {
  private lastSecs = -1;
  private lastPrefix = '';
  private lastDay = -1;
  private lastDayPrefix = '';

  prefix(lo: number, hi: number): string {
    const secs = fileTimeSeconds(lo, hi);
    if (secs === this.lastSecs) return this.lastPrefix;
    const ms = unixMs(secs);
    // past year 9999 toISOString's year has six digits: leave those rare times to the plain function
    if (!Number.isFinite(ms) || ms > LAST_FOUR_DIGIT_YEAR_MS) return fileTimePrefix(lo, hi);
    const day = Math.floor(secs / 86400);
    if (day !== this.lastDay) {
      this.lastDay = day;
      this.lastDayPrefix = new Date(ms).toISOString().slice(0, 11);
    }
    this.lastSecs = secs;
    this.lastPrefix = `${this.lastDayPrefix}${clock(secs % 86400)}`;
    return this.lastPrefix;
  }
}

function clock(secondOfDay: number): string {
  const h = Math.floor(secondOfDay / 3600), m = Math.floor(secondOfDay / 60) % 60, s = secondOfDay % 60;
  return `${TWO_DIGITS[h]}:${TWO_DIGITS[m]}:${TWO_DIGITS[s]}`;
}

/** Little-endian reads without Buffer's argument checks; callers keep them inside the buffer. */
export function u16(b: Uint8Array, p: number): number {
  return b[p] | (b[p + 1] << 8);
}

export function u32(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000;
}

/** 48-bit big-endian (a SID's identifier authority) */
export function u48be(b: Uint8Array, p: number): number {
  return (b[p] * 0x10000 + ((b[p + 1] << 8) | b[p + 2])) * 0x1000000 + ((b[p + 3] << 16) | (b[p + 4] << 8) | b[p + 5]);
}

function systemTimeToIso(b: Buffer, p: number): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const y = b.readUInt16LE(p), mo = b.readUInt16LE(p + 2), d = b.readUInt16LE(p + 6);
  const h = b.readUInt16LE(p + 8), mi = b.readUInt16LE(p + 10), s = b.readUInt16LE(p + 12);
  const ms = b.readUInt16LE(p + 14);
  return `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}.${pad(ms, 3)}Z`;
}

function guidAt(b: Buffer, p: number): string {
  // the first three groups are little-endian, the last two are bytes in order
  return `${HEX[b[p + 3]]}${HEX[b[p + 2]]}${HEX[b[p + 1]]}${HEX[b[p]]}-${HEX[b[p + 5]]}${HEX[b[p + 4]]}-${HEX[b[p + 7]]}${HEX[b[p + 6]]}-` +
    `${HEX[b[p + 8]]}${HEX[b[p + 9]]}-${HEX[b[p + 10]]}${HEX[b[p + 11]]}${HEX[b[p + 12]]}${HEX[b[p + 13]]}${HEX[b[p + 14]]}${HEX[b[p + 15]]}`;
}

/** SID with bounds taken from `size`, so a truncated SID renders the sub-authorities present. */
function sidAt(b: Buffer, p: number, size: number): string {
  if (size < 8) return '';
  let s = `S-${b[p]}-${u48be(b, p + 2)}`;
  const n = sidSubAuthorities(b, p, size);
  for (let i = 0; i < n; i++) s += `-${u32(b, p + 8 + i * 4)}`;
  return s;
}

/** How many of a SID's sub-authorities (u32s from `p + 8`) fit in `size` (at least 8) bytes. */
export function sidSubAuthorities(b: Uint8Array, p: number, size: number): number {
  return Math.min(b[p + 1], Math.floor((size - 8) / 4));
}

function sidSize(b: Buffer, p: number, end: number): number {
  return p + 2 <= end ? 8 + 4 * b[p + 1] : end - p;
}

function hex64(b: Buffer, p: number): string {
  const hi = u32(b, p + 4);
  const lo = u32(b, p);
  return hi === 0 ? `0x${lo.toString(16)}` : `0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')}`;
}

/** A 64-bit integer: a number while exact, else a bigint. */
export function int64(b: Buffer, p: number, signed: boolean): number | bigint {
  const hi = signed ? u32(b, p + 4) | 0 : u32(b, p + 4);
  const lo = u32(b, p);
  const v = hi * 4294967296 + lo;
  if (Number.isSafeInteger(v)) return v;
  return signed ? b.readBigInt64LE(p) : b.readBigUInt64LE(p);
}

/** Shortest decimal that reads back as the same float32, like Rust's f32 Display. */
function real32(v: number): number {
  if (!Number.isFinite(v)) return v;
  for (let digits = 1; digits < 10; digits++) {
    const r = Number(v.toPrecision(digits));
    if (Math.fround(r) === v) return r;
  }
  return v;
}

function binaryHex(b: Buffer, p: number, size: number): string {
  return b.toString('hex', p, p + size).toUpperCase();
}

/** End of a UTF-16 string value at `p`: its whole code units, less trailing NULs. */
export function utf16End(b: Uint8Array, p: number, size: number): number {
  let e = p + (size & ~1);
  while (e > p && b[e - 1] === 0 && b[e - 2] === 0) e -= 2;
  return e;
}

/**
 * Decode one scalar of `type` occupying [p, p+size). Returns undefined for types we keep as null.
 * Fixed-width types are only decoded when `size` holds them (decodeValue checks).
 */
function decodeScalar(b: Buffer, p: number, size: number, type: number): unknown {
  switch (type) {
    case VT.Null: return null;
    case VT.String: return b.toString('utf16le', p, utf16End(b, p, size));
    case VT.AnsiString: {
      let s = b.toString('latin1', p, p + size);
      if (s.includes('\0')) s = s.replace(/\0/g, '');
      return s;
    }
    case VT.Int8: return (b[p] << 24) >> 24;
    case VT.UInt8: return b[p];
    case VT.Int16: return (u16(b, p) << 16) >> 16;
    case VT.UInt16: return u16(b, p);
    case VT.Int32: return u32(b, p) | 0;
    case VT.UInt32: return u32(b, p);
    case VT.Int64: return int64(b, p, true);
    case VT.UInt64: return int64(b, p, false);
    case VT.Real32: return real32(b.readFloatLE(p));
    case VT.Real64: return b.readDoubleLE(p);
    case VT.Bool: {
      // MS-EVEN6 says 1 byte, real files use 4: trust the descriptor; any non-zero byte is true
      for (let i = 0; i < size; i++) if (b[p + i] !== 0) return true;
      return false;
    }
    case VT.Binary: return binaryHex(b, p, size);
    case VT.Guid: return guidAt(b, p);
    case VT.SizeT: return size >= 8 ? hex64(b, p) : `0x${b.readUInt32LE(p).toString(16)}`;
    case VT.FileTime: return fileTimeToIso(u32(b, p), u32(b, p + 4));
    case VT.SystemTime: return systemTimeToIso(b, p);
    case VT.Sid: return sidAt(b, p, size);
    case VT.HexInt32: return `0x${u32(b, p).toString(16)}`;
    case VT.HexInt64: return hex64(b, p);
    default: return binaryHex(b, p, size);
  }
}

/**
 * Whether a scalar (non-array) value decodes to nothing, null or '', exactly as decodeValue would
 * tell, without making its text for the common types.
 */
export function isEmptyScalar(b: Buffer, p: number, size: number, type: number): boolean {
  switch (type) {
    case VT.Null: return true;
    case VT.String: return utf16End(b, p, size) === p;
    case VT.Binary: return size === 0;
    case VT.Sid: return size < 8;
    case VT.FileTime: return size < 8 || !inDateRange(unixMs(fileTimeSeconds(u32(b, p), u32(b, p + 4))));
    default: {
      // every other fixed-width type has text once it is wide enough
      const w = FIXED_WIDTH[type];
      if (w !== undefined) return size < w;
      const v = decodeScalar(b, p, size, type);
      return v === null || v === undefined || v === '';
    }
  }
}

/**
 * Decode a substitution value from its descriptor (`size` bytes at `p`). Arrays (0x80 bit) become JS
 * arrays of scalars. Reads never go past `p + size`; a value too short for its type becomes null.
 */
export function decodeValue(b: Buffer, p: number, size: number, type: number): unknown {
  if (type & VT.ArrayFlag) return decodeArray(b, p, size, type & 0x7f);
  const w = FIXED_WIDTH[type];
  if (w !== undefined && size < w) return null;
  return decodeScalar(b, p, size, type);
}

function decodeArray(b: Buffer, p: number, size: number, item: number): unknown[] {
  const end = p + size;
  const out: unknown[] = [];
  if (item === VT.String) {
    let start = p;
    for (let q = p; q + 1 < end; q += 2) {
      if (b[q] === 0 && b[q + 1] === 0) {
        out.push(b.toString('utf16le', start, q));
        start = q + 2;
      }
    }
    if (start + 1 < end) out.push(decodeScalar(b, start, end - start, VT.String));
    return out;
  }
  if (item === VT.Sid) {
    for (let q = p; q + 8 <= end; ) {
      const n = Math.min(sidSize(b, q, end), end - q);
      out.push(sidAt(b, q, n));
      q += n;
    }
    return out;
  }
  const w = FIXED_WIDTH[item] ?? (item === VT.SizeT ? (size % 8 === 0 ? 8 : 4) : item === VT.Bool ? 4 : 1);
  for (let q = p; q + w <= end; q += w) out.push(decodeScalar(b, q, w, item));
  return out;
}

/** Text of a value as Windows XML (`xml`) or evtx_dump JSON (`json`) shows it. */
export function valueText(type: number, v: unknown, mode: RenderMode): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map((x) => valueText(type & 0x7f, x, mode)).join(',');
  switch (type & 0x7f) {
    case VT.Guid: return mode === 'xml' ? `{${v as string}}` : (v as string);
    case VT.FileTime: {
      const s = v as string;
      return mode === 'json' && s.length === 28 ? `${s.slice(0, 26)}Z` : s;
    }
    case VT.Bool: return v ? 'true' : 'false';
    default: return typeof v === 'string' ? v : String(v);
  }
}

/** True when the evtx crate would print this value as a JSON number/bool rather than a string. */
export function isJsonNative(type: number): boolean {
  return (type >= VT.Int8 && type <= VT.UInt64) || type === VT.Bool;
}
