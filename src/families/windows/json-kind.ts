/**
 * The EventID of a one-line Windows JSON record (NXLog / Mordor flat, evtx_dump), read from its bytes
 * without parsing, so the prefilter can rule out the rules of other event kinds. It answers only when
 * certain; then parsing the line gives a `windows` event with exactly that `system.EventID`, or no
 * event at all (not an object, no shape, invalid JSON).
 *
 * Why a claim is certain:
 * - `"EventID"` occurs once, right after `{` or `,` and right before `:`, so it is a key (inside a
 *   JSON string a quote is escaped, `\"`): the only key of that name in the record, at any depth.
 *   A key in another case (`"eventid"`) is another key: the shapes read keys as written.
 * - No `\u` escape of a character from `@` to DEL (letters, `_`) anywhere: no other key can spell
 *   `EventID` (or an excluded key below) with escapes.
 * - Its value is a canonical decimal number (`0` or no leading zero, at most 9 digits), bare or
 *   quoted, followed by `,` or `}`: the flat shape's `scalarString` and evtx_dump's `put` give it back
 *   digit for digit. A `{"#text": ...}` object, a fraction, spaces: no answer.
 * - None of the keys of the shapes that take the event code from elsewhere is in the line: winlogbeat
 *   (`winlog.event_id`, `event.code`), Azure Syslog rows (the XML in `SyslogMessage`), CrowdStrike
 *   (`event_simpleName`). The shapes left, evtx_dump (`Event.System.EventID`) and flat (top-level
 *   `EventID`), read the code from that one key, or make no event when it sits elsewhere.
 * The words are found in one SIMD pass over the line (json-kind-words.wat), exact bytes.
 * `test/unit/families/json-kind.test.ts` checks every registered JSON shape is one of these and
 * compares claims with the parse over real and mutated lines.
 */
import type { JsonKindReader, RecordKind } from '../../sources/source.js';
import { kindWords } from './json-kind-words.js';
import { flatLinePayload } from './json-payload.js';

/** the JSON shapes this probe was written against (the test fails when one is added) */
export const PROBED_JSON_SHAPES = ['evtx_dump', 'winlogbeat', 'azure-syslog', 'crowdstrike-fdr', 'flat'];

const QUOTE = 0x22;
const KEY_BYTES = '"EventID"'.length;
const MAX_DIGITS = 9;

function probe(line: Buffer, start: number, end: number): RecordKind | undefined {
  const words = kindWords();
  words.find(line, start, end);
  if (words.keys !== 1 || words.excluded) return undefined;
  const at = words.keyEnd - KEY_BYTES;
  const before = line[at - 1];
  if (at <= start || (before !== 0x7b /* { */ && before !== 0x2c) /* , */) return undefined;
  let i = words.keyEnd;
  if (line[i++] !== 0x3a /* : */) return undefined;
  const quoted = line[i] === QUOTE;
  if (quoted) i++;
  const first = i;
  while (i < end && line[i] >= 0x30 && line[i] <= 0x39) i++;
  const digits = i - first;
  if (digits === 0 || digits > MAX_DIGITS || (digits > 1 && line[first] === 0x30)) return undefined;
  if (quoted && line[i++] !== QUOTE) return undefined;
  if (i >= end || (line[i] !== 0x2c && line[i] !== 0x7d) /* } */) return undefined;
  let code = 0;
  for (let d = first; d < first + digits; d++) code = code * 10 + line[d] - 0x30;
  return kindOf(code);
}

/** one kind object per event code, shared by its lines: a probe answers for every line of a scan */
const kinds = new Map<number, RecordKind>();
const MAX_KINDS = 4096;

function kindOf(code: number): RecordKind {
  let kind = kinds.get(code);
  if (kind === undefined) {
    kind = Object.freeze({ family: 'windows', system: Object.freeze({ EventID: String(code) }), payload: flatLinePayload });
    if (kinds.size < MAX_KINDS) kinds.set(code, kind);
  }
  return kind;
}

export const windowsJsonKind: JsonKindReader = { probe };
