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
 *   string followed by `:` is a key (json-kind-words.wat `members`, over the copy the probe made).
 *   The key asked for is letters and `_` only, so no escape can spell it (the probe refused `\u`
 *   escapes of those): one key written as it is, and no other, is the only member of that name,
 *   and when its value is a string, the payload's value is that string as JSON decodes it.
 * - The key is not one of those the flat shape moves to <System> (FLAT_SYSTEM_KEYS).
 * `test/unit/families/json-payload.test.ts` compares answers with the parse over real and mutated lines.
 */
import type { PayloadFields, PayloadReader } from '../../sources/source.js';
import { kindWords, type LineMembers } from './json-kind-words.js';
import { FLAT_SYSTEM_KEYS } from './json-shapes.js';

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

/** the string value of the one member named `key`, JSON-decoded; undefined when there is not exactly one or it is no string */
function valueOf(bytes: Buffer, members: LineMembers, key: Buffer): string | undefined {
  const { count, offsets, shift } = members;
  let found = -1;
  for (let m = 0; m < count; m++) {
    const from = offsets[4 * m] + shift;
    if (offsets[4 * m + 1] + shift - from !== key.length) continue;
    let same = true;
    for (let k = 0; k < key.length && same; k++) same = bytes[from + k] === key[k];
    if (!same) continue;
    if (found >= 0) return undefined;
    found = m;
  }
  if (found < 0 || offsets[4 * found + 2] < 0) return undefined;
  const open = offsets[4 * found + 2] + shift;
  const end = offsets[4 * found + 3];
  if (end > 0) return bytes.toString('utf8', open, end + shift);
  try {
    return JSON.parse(bytes.toString('utf8', open - 1, -end + shift + 1)) as string;
  } catch {
    // an invalid escape: the line is not JSON, so parsing gives no event
    return undefined;
  }
}

export const flatLinePayload: PayloadFields = (bytes, start, end): PayloadReader | undefined => {
  const members = kindWords().members(bytes, start, end);
  if (members === undefined) return undefined;
  const line = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  // a detection's vetoes mostly read one field: its value is decoded once
  let lastKey: string | undefined;
  let lastValue: string | undefined;
  return (key) => {
    if (key === lastKey) return lastValue;
    const wanted = bytesOfKey(key);
    lastKey = key;
    lastValue = wanted === null ? undefined : valueOf(line, members, wanted);
    return lastValue;
  };
};
