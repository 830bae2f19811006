import { isUtf8 } from 'node:buffer';
import { hash } from 'node:crypto';
import { EnvelopeScanner, ENVELOPE_KEYS, unescapeInto } from './hec-scan.js';
import { JsonStrings, WINDOW, type StringShape } from './json-strings.js';
import type { HecCode } from './hec-codes.js';

/** Metadata an event gets when its envelope does not say: from the token, then the query string. */
export interface HecMetadata {
  index?: string;
  host?: string;
  source?: string;
  sourcetype?: string;
}

/** One accepted event, as the journal keeps it. */
export interface HecEvent extends HecMetadata {
  /** the event as a log line, UTF-8: a string event as sent, an object event as compact JSON */
  bytes: Buffer;
  /** epoch seconds from the envelope's `time` */
  time?: number;
  /** resend digest: equal for the same event sent again (in any batch, on any channel) */
  digest: string;
}

export interface HecParse {
  /** the events before the first bad one (Splunk commits this prefix) */
  events: HecEvent[];
  /** the first bad envelope: its code and its number, counted from 0 */
  error?: { code: HecCode; eventNumber: number };
}

/** Index names Splunk accepts: lower-case letters, digits, `_` and `-`, not starting with `_` or `-` unless internal. */
const INDEX_NAME = /^[a-z0-9][a-z0-9_-]{0,79}$/;
const META_KEYS = ['index', 'host', 'source', 'sourcetype'] as const;
/** each envelope key's number in the scanner's ranges */
const KEY = Object.fromEntries(ENVELOPE_KEYS.map((k, i) => [k, i])) as Record<(typeof ENVELOPE_KEYS)[number], number>;

export interface ParseOptions {
  /** false: every envelope through JSON.parse (the reference the byte scanner is tested against) */
  scanner?: boolean;
  /** false: the byte scanner reads string tokens in JavaScript, not with the SIMD kernel (json-strings.ts) */
  simd?: boolean;
  /** bytes of the body the SIMD kernel sees at once (json-strings.ts's WINDOW unless smaller: tests cross window edges) */
  simdWindow?: number;
}

/**
 * `/services/collector/event` bodies: JSON envelopes one after another, optionally separated by
 * whitespace (not an array). Each envelope stands alone: metadata is never carried over from the
 * previous one, only from `defaults`. Parsing stops at the first bad envelope.
 *
 * Envelopes are read from the bytes: the byte scanner (hec-scan.ts) takes the usual ones (a string
 * event) without decoding the body; any other envelope, and every envelope of a body that is not
 * valid UTF-8, is decoded alone and read by `JSON.parse`, which is the reference for both.
 */
export function parseEventBody(body: Buffer, defaults: HecMetadata, allowedIndexes?: readonly string[], options: ParseOptions = {}): HecParse {
  const events: HecEvent[] = [];
  const fail = (code: HecCode): HecParse => ({ events, error: { code, eventNumber: events.length } });
  const scanner = options.scanner !== false && isUtf8(body) ? new EnvelopeScanner(options.simd === false ? undefined : new JsonStrings(body, Math.min(options.simdWindow ?? WINDOW, WINDOW))) : undefined;
  const digests = new DigestWriter();
  const texts = new TextArena();
  let at = 0;
  for (;;) {
    at = skipWhitespace(body, at);
    if (at >= body.length) break;
    let event: HecEvent | HecCode;
    if (scanner?.scan(body, at)) {
      event = scannedEvent(body, scanner, defaults, allowedIndexes, digests, texts);
      at = scanner.end;
    } else {
      const end = objectEnd(body, at);
      if (end < 0) return fail(6);
      let envelope: unknown;
      try {
        envelope = JSON.parse(body.toString('utf8', at, end));
      } catch {
        return fail(6);
      }
      at = end;
      event = toEvent(envelope, defaults, allowedIndexes, digests);
    }
    if (typeof event === 'number') return fail(event);
    events.push(event);
  }
  if (events.length === 0) return { events, error: { code: 5, eventNumber: 0 } };
  return { events };
}

/** The values HEC reads from an envelope besides `event`, as JSON values (undefined: the key is absent). */
type EnvelopeValues = Partial<Record<(typeof META_KEYS)[number] | 'time' | 'fields', unknown>>;

/** Metadata, index rule, time and fields of an envelope, checked in Splunk's order; the code of the first problem. */
function resolveEnvelope(values: EnvelopeValues, defaults: HecMetadata, allowedIndexes?: readonly string[]): { meta: HecMetadata; time?: number } | HecCode {
  // one shape for every event's metadata (absent values undefined): the objects made per event
  // are then built and read monomorphically (an object spread per event was most of this path)
  const meta: HecMetadata = { index: defaults.index, host: defaults.host, source: defaults.source, sourcetype: defaults.sourcetype };
  for (const key of META_KEYS) {
    const value = values[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') return 6;
    if (value !== '') meta[key] = value;
  }
  if (meta.index !== undefined && (!INDEX_NAME.test(meta.index) || (allowedIndexes && !allowedIndexes.includes(meta.index)))) return 7;
  let time: number | undefined;
  if (values.time !== undefined && values.time !== null) {
    time = parseHecTime(values.time);
    if (time === undefined) return 6;
  }
  if (values.fields !== undefined && !validFields(values.fields)) return 15;
  return { meta, time };
}

/** Splunk's blank events: empty, whitespace, `{}` and `[]` */
const isBlank = (text: string) => text === '' || text === '{}' || text === '[]' || text.trim() === '';

/** An envelope JSON.parse read (the reference path). */
function toEvent(envelope: unknown, defaults: HecMetadata, allowedIndexes: readonly string[] | undefined, digests: DigestWriter): HecEvent | HecCode {
  if (!isPlainObject(envelope)) return 6;
  if (!('event' in envelope) || envelope.event === null || envelope.event === undefined) return 12;
  const raw = envelope.event;
  let text: string;
  if (typeof raw === 'string') text = raw;
  else if (isPlainObject(raw) || Array.isArray(raw)) text = JSON.stringify(raw);
  else if (typeof raw === 'number' || typeof raw === 'boolean') text = String(raw);
  else return 6;
  if (isBlank(text)) return 13;
  const resolved = resolveEnvelope(envelope, defaults, allowedIndexes);
  if (typeof resolved === 'number') return resolved;
  const { meta, time } = resolved;
  const token = Buffer.from(JSON.stringify(text));
  return hecEvent(meta, Buffer.from(text), time, digests.digest(meta, time, token, 0, token.length, envelope.fields));
}

/** an accepted event, always of one shape */
function hecEvent(meta: HecMetadata, bytes: Buffer, time: number | undefined, digest: string): HecEvent {
  return { index: meta.index, host: meta.host, source: meta.source, sourcetype: meta.sourcetype, bytes, time, digest };
}

/** An envelope the byte scanner read: its values decoded from their ranges, its event text copied (or used in place). */
function scannedEvent(body: Buffer, s: EnvelopeScanner, defaults: HecMetadata, allowedIndexes: readonly string[] | undefined, digests: DigestWriter, texts: TextArena): HecEvent | HecCode {
  const [eventStart, eventEnd] = [s.starts[0], s.ends[0]];
  if (eventStart < 0) return 12;
  const shape = s.eventShape;
  // surrogate escapes (possibly lone) are left to JSON.parse: the text as a string then
  const text = shape.surrogate ? (JSON.parse(body.toString('utf8', eventStart, eventEnd)) as string) : undefined;
  const bytes = text !== undefined ? Buffer.from(text) : texts.add(body, eventStart, eventEnd, shape, s.strings);
  // a first byte that is visible ASCII settles "not blank" without decoding (unless the text is `{}` or `[]`)
  const first = bytes[0];
  const plainlyNotBlank = first > 0x20 && first < 0x7f && !(bytes.length === 2 && (bytes[1] === 0x7d || bytes[1] === 0x5d));
  if (!plainlyNotBlank && isBlank(text ?? bytes.toString('utf8'))) return 13;
  const value = (k: number) => (s.starts[k] >= 0 ? jsonValue(body, s.starts[k], s.ends[k]) : undefined);
  const values: EnvelopeValues = { time: value(KEY.time), host: value(KEY.host), source: value(KEY.source), sourcetype: value(KEY.sourcetype), index: value(KEY.index), fields: value(KEY.fields) };
  const resolved = resolveEnvelope(values, defaults, allowedIndexes);
  if (typeof resolved === 'number') return resolved;
  const { meta, time } = resolved;
  let digest: string;
  if (shape.canonical && text === undefined) digest = digests.digest(meta, time, body, eventStart, eventEnd, values.fields);
  else {
    const token = Buffer.from(JSON.stringify(text ?? bytes.toString('utf8')));
    digest = digests.digest(meta, time, token, 0, token.length, values.fields);
  }
  return hecEvent(meta, bytes, time, digest);
}

const NEWLINE = 0x0a;
/** the buffers TextArena wrote: in them, and only there, the byte after each text is its newline for good */
const arenas = new WeakSet<ArrayBufferLike>();

/** whether `buffer` holds scanned events' texts (a TextArena's): it is theirs alone, nothing else is in it */
export function isTextArena(buffer: ArrayBufferLike): boolean {
  return arenas.has(buffer);
}

/**
 * The scanned events' texts of one body, each followed by a newline, back to back in one buffer:
 * a run of them is then a journal record's body as it is (`joinedLines`), so each text is copied
 * once (out of the body, its escapes undone) instead of once more to join them. Sized on the first
 * event to what is left of the body, which the texts cannot exceed: a text and its newline are
 * shorter than its JSON string token, quotes included.
 */
class TextArena {
  private buffer: Buffer | undefined;
  private at = 0;

  /** the text of the string token body[start, end), followed in the arena by a newline */
  add(body: Buffer, start: number, end: number, shape: StringShape, strings: JsonStrings | undefined): Buffer {
    // an ArrayBuffer of its own, not the shared pool's: a record's body is transferred to the
    // detection thread (processor-thread.ts), which detaches its whole ArrayBuffer here
    if (!this.buffer) {
      this.buffer = Buffer.allocUnsafeSlow(body.length - start);
      arenas.add(this.buffer.buffer);
    }
    const from = this.at;
    const to = unescapeInto(body, start, end, shape, this.buffer, from, strings);
    this.buffer[to] = NEWLINE;
    this.at = to + 1;
    return this.buffer.subarray(from, to);
  }
}

/**
 * The events' texts each followed by a newline (a journal record's body): a view of the parse's
 * own buffer when they lie there back to back, newlines between (the usual case: every event of
 * the run scanned, none a resend), else a copy.
 */
export function joinedLines(events: readonly HecEvent[]): Buffer {
  const first = events[0].bytes;
  const all = new Uint8Array(first.buffer);
  let end = first.byteOffset + first.length;
  let inPlace = arenas.has(first.buffer) && all[end] === NEWLINE;
  for (let i = 1; i < events.length && inPlace; i++) {
    const next = events[i].bytes;
    inPlace = next.buffer === first.buffer && next.byteOffset === end + 1;
    end = next.byteOffset + next.length;
    inPlace &&= all[end] === NEWLINE;
  }
  if (inPlace) return Buffer.from(first.buffer, first.byteOffset, end + 1 - first.byteOffset);
  return Buffer.concat(events.flatMap((e) => [e.bytes, NEWLINE_BYTES]));
}

const NEWLINE_BYTES = Buffer.from('\n');

/** a small JSON value of the envelope (metadata, time, fields) from its bytes */
function jsonValue(body: Buffer, start: number, end: number): unknown {
  const first = body[start];
  if (first === 0x22) {
    // a string: its bytes are its text unless it has escapes
    const raw = body.toString('utf8', start + 1, end - 1);
    return raw.includes('\\') ? (JSON.parse(body.toString('utf8', start, end)) as string) : raw;
  }
  return JSON.parse(body.toString('utf8', start, end)) as unknown;
}

/**
 * `time` as Splunk reads it: epoch seconds as a number or numeric string, with decimals; larger
 * integers are read by magnitude: up to 11 digits seconds, 12-14 milliseconds (13 is usual),
 * 15-17 microseconds, 18 and more nanoseconds (19 is usual). Undefined when it is not a time.
 */
export function parseHecTime(value: unknown): number | undefined {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && isDecimal(value.trim())) n = Number(value.trim());
  else return undefined;
  if (!Number.isFinite(n) || n < 0) return undefined;
  if (n < 1e11) return n;
  if (n < 1e14) return n / 1e3;
  if (n < 1e17) return n / 1e6;
  return n / 1e9;
}

/** `123`, `123.45`: digits with at most one decimal point (no sign, exponent or hex) */
function isDecimal(text: string): boolean {
  if (text === '') return false;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (++dots > 1 || i === 0 || i === text.length - 1) return false;
    } else if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Indexed fields are flat: string, number or boolean values, or arrays of them; no nested objects. */
function validFields(fields: unknown): boolean {
  if (!isPlainObject(fields)) return false;
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  return Object.values(fields).every((v) => scalar(v) || (Array.isArray(v) && v.every(scalar)));
}

export function digestOf(parts: unknown[]): string {
  return hash('sha256', JSON.stringify(parts), 'base64').slice(0, 22);
}

/**
 * An event's resend digest, exactly `digestOf([index, host, source, sourcetype, time, text, fields ?? null])`
 * (so digests in journals written before stay valid), with the text given as its JSON string token's
 * bytes: the request body's own bytes when the sender escaped as JSON.stringify does, so the event
 * text is never made a string. One scratch buffer per request.
 */
class DigestWriter {
  private scratch = Buffer.allocUnsafe(4096);

  digest(meta: HecMetadata, time: number | undefined, token: Buffer, start: number, end: number, fields: unknown): string {
    const head = `[${json(meta.index)},${json(meta.host)},${json(meta.source)},${json(meta.sourcetype)},${json(time)},`;
    const tail = `,${JSON.stringify(fields ?? null)}]`;
    const need = Buffer.byteLength(head) + (end - start) + Buffer.byteLength(tail);
    if (need > this.scratch.length) this.scratch = Buffer.allocUnsafe(Math.max(need, this.scratch.length * 2));
    let n = this.scratch.write(head, 0);
    n += token.copy(this.scratch, n, start, end);
    n += this.scratch.write(tail, n);
    return hash('sha256', this.scratch.subarray(0, n), 'base64').slice(0, 22);
  }
}

/** a value as JSON.stringify writes it inside an array (undefined: null) */
const json = (value: string | number | undefined) => (value === undefined ? 'null' : JSON.stringify(value));

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whitespace between envelopes: space, LF, CR, tab, and a byte order mark (EF BB BF). */
function skipWhitespace(b: Buffer, at: number): number {
  while (at < b.length) {
    const c = b[at];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) at++;
    else if (c === 0xef && b[at + 1] === 0xbb && b[at + 2] === 0xbf) at += 3;
    else break;
  }
  return at;
}

/**
 * End (exclusive) of the JSON object starting at `start`, honouring strings and escapes; -1 when
 * there is none. On bytes: the delimiters are ASCII, and no byte of a multi-byte UTF-8 character is.
 */
function objectEnd(b: Buffer, start: number): number {
  if (b[start] !== 0x7b /* { */) return -1;
  let depth = 0;
  let inString = false;
  for (let i = start; i < b.length; i++) {
    const c = b[i];
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return c === 0x7d ? i + 1 : -1;
    }
  }
  return -1;
}

/** The source (`src/sources/registry.ts`) that reads a sourcetype's events; undefined: sniff the content. */
export function formatOfSourcetype(sourcetype: string | undefined): string | undefined {
  if (!sourcetype) return undefined;
  const s = sourcetype.toLowerCase();
  if (s.startsWith('xmlwineventlog') || s === 'windows:xml') return 'windows-xml';
  if (s.startsWith('sysmon:linux') || s === 'syslog' || s.startsWith('linux:syslog') || s.startsWith('linux_messages_syslog')) return 'syslog';
  if (s.includes('crowdstrike') || s === '_json' || s.endsWith(':json') || s === 'json') return 'jsonl';
  return undefined;
}
