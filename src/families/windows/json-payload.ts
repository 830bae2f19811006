/**
 * The payload fields of a flat Windows JSON line (NXLog / Mordor), read from its bytes without
 * parsing it, for the prefilter's vetoes (engine/prefilter-vetoes.ts). Only for lines the kind probe
 * (json-kind.ts) claimed: one `"EventID"` key, no `\u` escape of a character from `@` to DEL, none of
 * the keys of the shapes that read other members. Like the probe, it answers only when certain.
 *
 * Why an answer is certain:
 * - The line holds one `{` outside its strings: no member's value is an object, so of the probed
 *   shapes (json-kind.ts PROBED_JSON_SHAPES) only the flat one can read it (evtx_dump needs the
 *   object `Event.System`, Winlogbeat the object `winlog`; the probe ruled out the others' keys). The
 *   flat shape makes the payload of the top-level scalar members, or makes no event at all.
 * - The line's strings are found as JSON delimits them (a quote ends one unless escaped), and a
 *   string followed by `:` is a key. The key asked for is letters and `_` only, so no escape can
 *   spell it (the probe refused `\u` escapes of those): one key written as it is, and no other, is
 *   the only member of that name, and when its value is a string, the payload's value is that
 *   string as JSON decodes it.
 * - The key is not one of those the flat shape moves to <System> (FLAT_SYSTEM_KEYS).
 * `test/unit/families/json-payload.test.ts` compares answers with the parse over real and mutated lines.
 */
import type { PayloadFields, PayloadReader } from '../../sources/source.js';
import { FLAT_SYSTEM_KEYS } from './json-shapes.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const COLON = 0x3a;

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** each key as bytes, or null for a key no answer is given for */
const keyBytes = new Map<string, Buffer | null>();

function bytesOfKey(key: string): Buffer | null {
  let bytes = keyBytes.get(key);
  if (bytes === undefined) {
    bytes = /^[A-Za-z_]+$/.test(key) && !FLAT_SYSTEM_KEYS.has(key) ? Buffer.from(key, 'latin1') : null;
    if (keyBytes.size < 4096) keyBytes.set(key, bytes);
  }
  return bytes;
}

/**
 * The members of the line read last: where each key's characters start and end, and its value's
 * characters if the value is a string (else -1). One set per thread: a reader is used before the
 * next line is read (the prefilter tests one record at a time).
 */
class Members {
  count = 0;
  keyStart = new Int32Array(64);
  keyEnd = new Int32Array(64);
  valueStart = new Int32Array(64);
  valueEnd = new Int32Array(64);

  add(keyStart: number, keyEnd: number): void {
    if (this.count === this.keyStart.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      [this.keyStart, this.keyEnd, this.valueStart, this.valueEnd] = [this.keyStart, this.keyEnd, this.valueStart, this.valueEnd].map(grow);
    }
    this.keyStart[this.count] = keyStart;
    this.keyEnd[this.count] = keyEnd;
    this.valueStart[this.count] = -1;
    this.count++;
  }

  /**
   * Reads bytes[start, end): false when they hold more than one `{` outside strings, or none. Every
   * string followed by `:` is a key; a string right after a key's `:` is its value.
   */
  read(bytes: Uint8Array, start: number, end: number): boolean {
    this.count = 0;
    let objects = 0;
    /** the member whose value comes next, else -1 */
    let valueOf = -1;
    for (let i = start; i < end; i++) {
      const c = bytes[i];
      if (c === QUOTE) {
        const open = i + 1;
        let escaped = false;
        for (i = open; i < end; i++) {
          const d = bytes[i];
          if (d === BACKSLASH) {
            escaped = true;
            i++;
          } else if (d === QUOTE) break;
        }
        if (i >= end) return false;
        if (valueOf >= 0) {
          this.valueStart[valueOf] = open;
          // an escaped value's end is kept negated: it needs JSON's decoding
          this.valueEnd[valueOf] = escaped ? -i : i;
          valueOf = -1;
          continue;
        }
        let next = i + 1;
        while (next < end && isSpace(bytes[next])) next++;
        if (bytes[next] !== COLON) continue;
        this.add(open, i);
        valueOf = this.count - 1;
        i = next;
        while (i + 1 < end && isSpace(bytes[i + 1])) i++;
      } else {
        valueOf = -1;
        if (c === OPEN_BRACE && ++objects > 1) return false;
      }
    }
    return objects === 1;
  }

  /** the string value of the one member named `key`, JSON-decoded; undefined when there is not exactly one or it is no string */
  value(bytes: Uint8Array, key: Buffer): string | undefined {
    let found = -1;
    for (let m = 0; m < this.count; m++) {
      const from = this.keyStart[m];
      if (this.keyEnd[m] - from !== key.length) continue;
      let same = true;
      for (let k = 0; k < key.length && same; k++) same = bytes[from + k] === key[k];
      if (!same) continue;
      if (found >= 0) return undefined;
      found = m;
    }
    if (found < 0 || this.valueStart[found] < 0) return undefined;
    const open = this.valueStart[found];
    const close = Math.abs(this.valueEnd[found]);
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    if (this.valueEnd[found] > 0) return text.toString('utf8', open, close);
    try {
      return JSON.parse(text.toString('utf8', open - 1, close + 1)) as string;
    } catch {
      // an invalid escape: the line is not JSON, so parsing gives no event
      return undefined;
    }
  }
}

const members = new Members();

export const flatLinePayload: PayloadFields = (bytes, start, end): PayloadReader | undefined => {
  if (!members.read(bytes, start, end)) return undefined;
  // a detection's vetoes mostly read one field: its value is decoded once
  let lastKey: string | undefined;
  let lastValue: string | undefined;
  return (key) => {
    if (key === lastKey) return lastValue;
    const wanted = bytesOfKey(key);
    lastKey = key;
    lastValue = wanted === null ? undefined : members.value(bytes, wanted);
    return lastValue;
  };
};
