/**
 * A byte-level reader of one HEC `/event` envelope, for the common case: it validates the JSON
 * object in place (no string made of the body) and notes where the values of the keys HEC reads
 * lie. It answers only when it is sure; anything unusual (an escaped key, a non-string event,
 * deep nesting, invalid JSON) returns false and the caller parses that envelope with `JSON.parse`,
 * which then decides. The body must be valid UTF-8 (checked once per body by the caller).
 */
import type { JsonStrings, StringShape } from './json-strings.js';

/** byte classes inside a JSON string: 0 plain, 1 `"`, 2 `\`, 3 a control character (invalid raw) */
const STRING_CLASS = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_CLASS[c] = 3;
STRING_CLASS[0x22] = 1;
STRING_CLASS[0x5c] = 2;

/** JSON.parse's whitespace (not BOM, not Unicode spaces) */
const isJsonSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const hexValue = (c: number) => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1);

/** nesting the scanner follows before it leaves an envelope to JSON.parse */
const MAX_DEPTH = 64;

/** The envelope keys HEC reads, as the scanner numbers them. */
export const ENVELOPE_KEYS = ['event', 'time', 'host', 'source', 'sourcetype', 'index', 'fields'] as const;
export type EnvelopeKey = (typeof ENVELOPE_KEYS)[number];
const KEY_BYTES = ENVELOPE_KEYS.map((k) => Buffer.from(k, 'latin1'));

export class EnvelopeScanner {
  /** end (exclusive) of the envelope last scanned */
  end = 0;
  /** per ENVELOPE_KEYS index: value start and end (exclusive), -1 when absent (the last occurrence wins, as in JSON.parse) */
  readonly starts = new Int32Array(ENVELOPE_KEYS.length);
  readonly ends = new Int32Array(ENVELOPE_KEYS.length);
  /** the shape of the `event` value (a string: see `scan`) */
  readonly eventShape: StringShape = { escaped: false, canonical: true, surrogate: false };
  private shape: StringShape = { escaped: false, canonical: true, surrogate: false };

  /** `strings`: the body's string tokens read by the SIMD kernel (json-strings.ts), else byte by byte here */
  constructor(readonly strings?: JsonStrings) {}

  /** Reads the envelope starting at `at` (its `{`); true when it is a valid object whose `event`, if any, is a string. */
  scan(b: Buffer, at: number): boolean {
    this.starts.fill(-1);
    this.ends.fill(-1);
    if (b[at] !== 0x7b) return false;
    let i = this.space(b, at + 1);
    if (b[i] === 0x7d) {
      this.end = i + 1;
      return true;
    }
    for (;;) {
      if (b[i] !== 0x22) return false;
      const keyStart = i + 1;
      const keyEnd = this.string(b, i);
      if (keyEnd < 0 || this.shape.escaped) return false;
      const key = keyIndex(b, keyStart, keyEnd - 1);
      i = this.space(b, keyEnd);
      if (b[i] !== 0x3a) return false;
      i = this.space(b, i + 1);
      const valueStart = i;
      i = this.value(b, i, 1);
      if (i < 0) return false;
      if (key >= 0) {
        this.starts[key] = valueStart;
        this.ends[key] = i;
        if (key === 0) {
          if (b[valueStart] !== 0x22) return false;
          Object.assign(this.eventShape, this.shape);
        }
      }
      i = this.space(b, i);
      if (b[i] === 0x2c) i = this.space(b, i + 1);
      else if (b[i] === 0x7d) {
        this.end = i + 1;
        return true;
      } else return false;
    }
  }

  private space(b: Buffer, i: number): number {
    while (i < b.length && isJsonSpace(b[i])) i++;
    return i;
  }

  /** end of the JSON value at `i`, or -1 when it is not one this scanner accepts */
  private value(b: Buffer, i: number, depth: number): number {
    const c = b[i];
    if (c === 0x22) return this.string(b, i);
    if (c === 0x7b || c === 0x5b) return depth >= MAX_DEPTH ? -1 : this.container(b, i, depth + 1);
    if (c === 0x74) return literal(b, i, TRUE);
    if (c === 0x66) return literal(b, i, FALSE);
    if (c === 0x6e) return literal(b, i, NULL);
    return number(b, i);
  }

  private container(b: Buffer, i: number, depth: number): number {
    const close = b[i] === 0x7b ? 0x7d : 0x5d;
    i = this.space(b, i + 1);
    if (b[i] === close) return i + 1;
    for (;;) {
      if (close === 0x7d) {
        if (b[i] !== 0x22) return -1;
        i = this.string(b, i);
        if (i < 0) return -1;
        i = this.space(b, i);
        if (b[i] !== 0x3a) return -1;
        i = this.space(b, i + 1);
      }
      i = this.value(b, i, depth);
      if (i < 0) return -1;
      i = this.space(b, i);
      if (b[i] === close) return i + 1;
      if (b[i] !== 0x2c) return -1;
      i = this.space(b, i + 1);
    }
  }

  /** end (after the closing quote) of the string whose opening quote is at `i`; its shape in `this.shape` */
  private string(b: Buffer, i: number): number {
    const shape = this.shape;
    const end = this.strings?.end(i, shape);
    if (end !== undefined) return end;
    shape.escaped = false;
    shape.canonical = true;
    shape.surrogate = false;
    const n = b.length;
    i++;
    for (;;) {
      while (i < n && STRING_CLASS[b[i]] === 0) i++;
      if (i >= n) return -1;
      const cls = STRING_CLASS[b[i]];
      if (cls === 1) return i + 1;
      if (cls === 3) return -1;
      shape.escaped = true;
      const e = b[i + 1];
      if (e === 0x22 || e === 0x5c || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) i += 2;
      else if (e === 0x2f) {
        shape.canonical = false;
        i += 2;
      } else if (e === 0x75) {
        const unit = hex4(b, i + 2);
        if (unit < 0) return -1;
        if (unit >= 0xd800 && unit <= 0xdfff) shape.surrogate = true;
        // JSON.stringify writes \u00xx (lower-case) only for controls without a short form
        if (!(unit < 0x20 && !SHORT_ESCAPES.has(unit) && isLowerHex(b, i + 2))) shape.canonical = false;
        i += 6;
      } else return -1;
    }
  }
}

const SHORT_ESCAPES = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d]);
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

function literal(b: Buffer, i: number, word: Buffer): number {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word[k]) return -1;
  return i + word.length;
}

/** end of a JSON number at `i` (JSON's grammar exactly), or -1 */
function number(b: Buffer, i: number): number {
  if (b[i] === 0x2d) i++;
  if (b[i] === 0x30) i++;
  else if (b[i] >= 0x31 && b[i] <= 0x39) while (isDigit(b[i])) i++;
  else return -1;
  if (b[i] === 0x2e) {
    i++;
    if (!isDigit(b[i])) return -1;
    while (isDigit(b[i])) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    if (!isDigit(b[i])) return -1;
    while (isDigit(b[i])) i++;
  }
  return i;
}

function hex4(b: Buffer, i: number): number {
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const h = i + k < b.length ? hexValue(b[i + k]) : -1;
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

function isLowerHex(b: Buffer, i: number): boolean {
  for (let k = 0; k < 4; k++) if (b[i + k] >= 0x41 && b[i + k] <= 0x46) return false;
  return true;
}

function keyIndex(b: Buffer, start: number, end: number): number {
  const length = end - start;
  for (let k = 0; k < KEY_BYTES.length; k++) {
    const key = KEY_BYTES[k];
    if (key.length !== length) continue;
    let same = true;
    for (let j = 0; j < length && same; j++) same = b[start + j] === key[j];
    if (same) return k;
  }
  return -1;
}

/** runs between escapes shorter than this are copied byte by byte */
const SHORT_RUN = 64;

/**
 * Writes the text of a JSON string token (quotes included) as UTF-8 bytes into `out` at `at`,
 * without making a string, and returns where it ends: the body's own bytes when nothing is
 * escaped, else with the escapes undone. The text is never longer than the token. Surrogate
 * escapes are not handled here (the scanner flags them; the caller uses JSON.parse for those).
 */
export function unescapeInto(b: Buffer, start: number, end: number, shape: StringShape, out: Buffer, at: number, strings?: JsonStrings): number {
  if (!shape.escaped) return at + b.copy(out, at, start + 1, end - 1);
  const unescaped = strings?.unescapeInto(start, end, out, at);
  if (unescaped !== undefined) return unescaped;
  let o = at;
  let i = start + 1;
  const last = end - 1;
  while (i < last) {
    // the runs between escapes found natively (a Windows event's escapes are its path separators)
    let slash = b.indexOf(0x5c, i);
    if (slash < 0 || slash >= last) slash = last;
    if (slash - i >= SHORT_RUN) o += b.copy(out, o, i, slash);
    // a short run is copied here: Buffer.copy's own cost (checks, a view) is more than its bytes
    else for (let k = i; k < slash; k++) out[o++] = b[k];
    i = slash;
    if (i >= last) break;
    const e = b[i + 1];
    if (e === 0x75) {
      const unit = hex4(b, i + 2);
      if (unit < 0x80) out[o++] = unit;
      else if (unit < 0x800) {
        out[o++] = 0xc0 | (unit >> 6);
        out[o++] = 0x80 | (unit & 0x3f);
      } else {
        out[o++] = 0xe0 | (unit >> 12);
        out[o++] = 0x80 | ((unit >> 6) & 0x3f);
        out[o++] = 0x80 | (unit & 0x3f);
      }
      i += 6;
      continue;
    }
    out[o++] = e === 0x62 ? 0x08 : e === 0x66 ? 0x0c : e === 0x6e ? 0x0a : e === 0x72 ? 0x0d : e === 0x74 ? 0x09 : e;
    i += 2;
  }
  return o;
}
