/**
 * The EventID of a one-line Windows JSON record (NXLog / Mordor flat, evtx_dump), read from its bytes
 * without parsing, so the prefilter can rule out the rules of other event kinds. It answers only when
 * certain; then parsing the line gives a `windows` event with exactly that `system.EventID`, or no
 * event at all (not an object, no shape, invalid JSON).
 *
 * Why a claim is certain:
 * - `"EventID"` occurs once, right after `{` or `,` and right before `:`, so it is a key (inside a
 *   JSON string a quote is escaped, `\"`): the only key of that name in the record, at any depth.
 * - No `\u` escape of a character from `@` to DEL (letters, `_`) anywhere: no other key can spell
 *   `EventID` (or an excluded key below) with escapes.
 * - Its value is a canonical decimal number (`0` or no leading zero, at most 9 digits), bare or
 *   quoted, followed by `,` or `}`: the flat shape's `scalarString` and evtx_dump's `put` give it back
 *   digit for digit. A `{"#text": ...}` object, a fraction, spaces: no answer.
 * - None of the keys of the shapes that take the event code from elsewhere is in the line: winlogbeat
 *   (`winlog.event_id`, `event.code`), Azure Syslog rows (the XML in `SyslogMessage`), CrowdStrike
 *   (`event_simpleName`). The shapes left, evtx_dump (`Event.System.EventID`) and flat (top-level
 *   `EventID`), read the code from that one key, or make no event when it sits elsewhere.
 * `test/unit/families/json-kind.test.ts` checks every registered JSON shape is one of these and
 * compares claims with the parse over real and mutated lines.
 */
import type { RecordKind } from '../../sources/source.js';

/** the JSON shapes this probe was written against (the test fails when one is added) */
export const PROBED_JSON_SHAPES = ['evtx_dump', 'winlogbeat', 'azure-syslog', 'crowdstrike-fdr', 'flat'];

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** `"EventID"` less its opening quote, and the keys (less theirs) of shapes whose event code is elsewhere */
const KEY = Buffer.from('EventID"');
const EXCLUDED = ['winlog"', 'SyslogMessage"', 'event_simpleName"'].map((s) => Buffer.from(s));
const EXCLUDED_FIRST = EXCLUDED.map((word) => word[0]);
const MAX_DIGITS = 9;

function startsWith(line: Buffer, at: number, end: number, word: Buffer): boolean {
  if (at + word.length > end) return false;
  for (let k = 0; k < word.length; k++) if (line[at + k] !== word[k]) return false;
  return true;
}

/**
 * One pass over the bytes (a JavaScript loop: a `Buffer.indexOf` per word, each from the line start,
 * cost several times more): the offset just past the one `"EventID"` key, or -1 when there is none,
 * more than one, an excluded key, or a `\u` escape of a letter (or `_`).
 */
function eventIdKeyEnd(line: Buffer, start: number, end: number): number {
  let found = -1;
  for (let i = start; i < end; i++) {
    const c = line[i];
    if (c === QUOTE) {
      const next = line[i + 1];
      if (next === KEY[0] && startsWith(line, i + 1, end, KEY)) {
        const before = line[i - 1];
        if (found >= 0 || i === start || (before !== 0x7b /* { */ && before !== 0x2c) /* , */) return -1;
        found = i + 1 + KEY.length;
        i = found - 1;
      } else if (EXCLUDED_FIRST.includes(next)) {
        for (const excluded of EXCLUDED) if (startsWith(line, i + 1, end, excluded)) return -1;
      }
    } else if (c === BACKSLASH) {
      const next = line[i + 1];
      // `\u0041` is `A`, `\u005f` `_`: a key spelled with escapes would hide from the byte comparisons above
      if (next === 0x75 /* u */ && line[i + 2] === 0x30 && line[i + 3] === 0x30 && line[i + 4] >= 0x34 && line[i + 4] <= 0x37) return -1;
      i++;
    }
  }
  return found;
}

export function windowsJsonKind(line: Buffer, start: number, end: number): RecordKind | undefined {
  let i = eventIdKeyEnd(line, start, end);
  if (i < 0 || line[i++] !== 0x3a /* : */) return undefined;
  const quoted = line[i] === QUOTE;
  if (quoted) i++;
  const first = i;
  while (i < end && line[i] >= 0x30 && line[i] <= 0x39) i++;
  const digits = i - first;
  if (digits === 0 || digits > MAX_DIGITS || (digits > 1 && line[first] === 0x30)) return undefined;
  if (quoted && line[i++] !== QUOTE) return undefined;
  if (i >= end || (line[i] !== 0x2c && line[i] !== 0x7d) /* } */) return undefined;
  return { family: 'windows', system: { EventID: line.toString('latin1', first, first + digits) } };
}
