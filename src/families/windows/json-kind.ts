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
 * The words are found in one pass of the automaton kernel (engine/prefilter-kinds.ts `jsonKindProbe`).
 * `test/unit/families/json-kind.test.ts` checks every registered JSON shape is one of these and
 * compares claims with the parse over real and mutated lines.
 */
import type { JsonKindReader, RecordKind } from '../../sources/source.js';

/** the JSON shapes this probe was written against (the test fails when one is added) */
export const PROBED_JSON_SHAPES = ['evtx_dump', 'winlogbeat', 'azure-syslog', 'crowdstrike-fdr', 'flat'];

const QUOTE = 0x22;
const KEY = Buffer.from('"EventID"');
/**
 * The keys of shapes whose event code is not an `EventID` key, and `\u` escapes of the characters
 * from `@` to DEL (letters, `_`), with which a key could be spelled unseen. Matched with ASCII case
 * folded (the automaton's way): more lines excluded, never fewer.
 */
const EXCLUDED = ['"winlog"', '"SyslogMessage"', '"event_simpleName"', '\\u004', '\\u005', '\\u006', '\\u007'];
const MAX_DIGITS = 9;

/**
 * The offset just past the one `"EventID"` key, or -1 when there is none, more than one, or an exclusion.
 * The automaton's pass said how often the key occurs (any ASCII case: `"eventid"` too) and where it
 * ends, so no search looks for it again: the one occurrence must be spelled exactly so.
 */
function eventIdKeyEnd(bytes: Buffer, start: number, found: Uint8Array, repeated: Uint8Array, ends: Int32Array): number {
  if (found[0] === 0 || repeated[0] === 1 || found.indexOf(1, 1) >= 0) return -1;
  const at = ends[0] - KEY.length;
  if (at <= start || bytes.compare(KEY, 0, KEY.length, at, ends[0]) !== 0) return -1;
  const before = bytes[at - 1];
  return before === 0x7b /* { */ || before === 0x2c /* , */ ? ends[0] : -1;
}

function read(line: Buffer, start: number, end: number, found: Uint8Array, repeated: Uint8Array, ends: Int32Array): RecordKind | undefined {
  let i = eventIdKeyEnd(line, start, found, repeated, ends);
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

/** the key first, then the exclusions: `found[0]` says the key is in the line, any other flag an exclusion */
export const windowsJsonKind: JsonKindReader = { words: [KEY.toString('latin1'), ...EXCLUDED], read };
