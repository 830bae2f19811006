/**
 * The EventID of one Windows XML record read from its bytes without parsing it, so the prefilter
 * can test a record its literals passed against the rules of that event kind only (a 4648 logon
 * holding `127.0.0.1` is no 4624 RDP logon). It answers only when certain: `parseXmlEvent`
 * (xml-event.ts) then gives a `windows` event with exactly that `system.EventID`, or no event.
 *
 * Why a claim is certain (each step refuses what it cannot tell):
 * - The record starts with the root start tag `<Event` (attributes scanned quote-aware, so a `>`
 *   in a quoted value does not end it), and after it, whitespace aside, comes `<System>`: the first
 *   element at depth 1, so the parser is in the System section.
 * - From there to `<EventID`, tags are scanned quote-aware and none is an end tag, a comment, a
 *   CDATA section or a processing instruction: nothing closed System, and the `<EventID` found is a
 *   tag, not text inside an attribute value.
 * - The element's text is 1-9 ASCII digits followed at once by `</EventID>`: no entity, no space,
 *   no child; the parser keeps that text as the value, digit for digit.
 * - `EventID` occurs nowhere else in the record (no second element, prefixed `x:EventID` or second
 *   System section, whose value would win): the parser's System section has this value or none.
 * `test/unit/sources/xml-kind.test.ts` compares claims with the parse over real and mutated records.
 */
import type { RecordKind } from './source.js';
import { GT, isSpace, LT, SLASH } from './xml-event.js';

const EVENT_ID = Buffer.from('EventID');
const ROOT = Buffer.from('<Event');
const SYSTEM = Buffer.from('<System>');
const CLOSE = Buffer.from('</EventID>');
const MAX_DIGITS = 9;

/** whether buf[at, end) starts with `word` */
function holdsAt(buf: Buffer, word: Buffer, at: number, end: number): boolean {
  return at + word.length <= end && buf.compare(word, 0, word.length, at, at + word.length) === 0;
}

function isQuote(c: number): boolean {
  return c === 0x22 || c === 0x27;
}

/** the `>` ending the tag whose name ends before `i` (quotes respected: a `>` in a value does not end it), or -1 */
function tagClose(buf: Buffer, i: number, end: number): number {
  let quote = 0;
  for (; i < end; i++) {
    const c = buf[i];
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (isQuote(c)) quote = c;
    else if (c === GT) return i;
  }
  return -1;
}

/** the offset just past that tag, or -1 when it is cut off or self-closing (an element with no text) */
function tagEnd(buf: Buffer, i: number, end: number): number {
  const gt = tagClose(buf, i, end);
  return gt < 0 || buf[gt - 1] === SLASH ? -1 : gt + 1;
}

/** the offset of the `<EventID` tag among System's first children from `i`, or -1 */
function eventIdTag(buf: Buffer, i: number, end: number): number {
  while (i < end) {
    const lt = buf.indexOf(LT, i);
    if (lt < 0 || lt >= end) return -1;
    const next = buf[lt + 1];
    // an end tag may close System; comments, CDATA and instructions are not worth reading through
    if (next === SLASH || next === 0x21 /* ! */ || next === 0x3f /* ? */) return -1;
    if (holdsAt(buf, EVENT_ID, lt + 1, end) && (buf[lt + 8] === GT || isSpace(buf[lt + 8]))) return lt;
    // past this tag (a self-closing child, or the start of one whose children come next)
    const gt = tagClose(buf, lt + 1, end);
    if (gt < 0) return -1;
    i = gt + 1;
  }
  return -1;
}

/** The kind of the XML record buf[start, end) (`<Event` ... `</Event>`), when its bytes say it for certain. */
export function xmlRecordKind(buf: Buffer, start: number, end: number): RecordKind | undefined {
  if (!holdsAt(buf, ROOT, start, end)) return undefined;
  const afterName = start + ROOT.length;
  if (!(buf[afterName] === GT || isSpace(buf[afterName]))) return undefined;
  let i = tagEnd(buf, afterName, end);
  if (i < 0) return undefined;
  while (i < end && isSpace(buf[i])) i++;
  if (!holdsAt(buf, SYSTEM, i, end)) return undefined;
  const open = eventIdTag(buf, i + SYSTEM.length, end);
  if (open < 0) return undefined;
  const first = tagEnd(buf, open + 1 + EVENT_ID.length, end);
  if (first < 0) return undefined;
  let last = first;
  while (last < end && last - first <= MAX_DIGITS && buf[last] >= 0x30 && buf[last] <= 0x39) last++;
  const digits = last - first;
  if (digits === 0 || digits > MAX_DIGITS) return undefined;
  if (!holdsAt(buf, CLOSE, last, end)) return undefined;
  // the open and close tags' names are the only two: no other EventID can win in the parse
  const record = buf.subarray(start, end);
  const firstName = record.indexOf(EVENT_ID);
  if (firstName !== open + 1 - start) return undefined;
  const secondName = record.indexOf(EVENT_ID, firstName + EVENT_ID.length);
  if (secondName !== last + 2 - start || record.indexOf(EVENT_ID, secondName + EVENT_ID.length) >= 0) return undefined;
  return { family: 'windows', system: { EventID: buf.toString('latin1', first, last) } };
}
