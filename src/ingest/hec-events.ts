import { createHash } from 'node:crypto';
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
  /** the event as a log line: a string event as sent, an object event as compact JSON */
  text: string;
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

/**
 * `/services/collector/event` bodies: JSON envelopes one after another, optionally separated by
 * whitespace (not an array). Each envelope stands alone: metadata is never carried over from the
 * previous one, only from `defaults`. Parsing stops at the first bad envelope.
 */
export function parseEventBody(body: string, defaults: HecMetadata, allowedIndexes?: readonly string[]): HecParse {
  const events: HecEvent[] = [];
  const fail = (code: HecCode): HecParse => ({ events, error: { code, eventNumber: events.length } });
  let at = 0;
  for (;;) {
    at = skipWhitespace(body, at);
    if (at >= body.length) break;
    const end = objectEnd(body, at);
    if (end < 0) return fail(6);
    let envelope: unknown;
    try {
      envelope = JSON.parse(body.slice(at, end));
    } catch {
      return fail(6);
    }
    at = end;
    const event = toEvent(envelope, defaults, allowedIndexes);
    if (typeof event === 'number') return fail(event as HecCode);
    events.push(event);
  }
  if (events.length === 0) return { events, error: { code: 5, eventNumber: 0 } };
  return { events };
}

function toEvent(envelope: unknown, defaults: HecMetadata, allowedIndexes?: readonly string[]): HecEvent | HecCode {
  if (!isPlainObject(envelope)) return 6;
  if (!('event' in envelope) || envelope.event === null || envelope.event === undefined) return 12;
  const raw = envelope.event;
  let text: string;
  if (typeof raw === 'string') text = raw;
  else if (isPlainObject(raw) || Array.isArray(raw)) text = JSON.stringify(raw);
  else if (typeof raw === 'number' || typeof raw === 'boolean') text = String(raw);
  else return 6;
  if (text === '' || text === '{}' || text === '[]' || text.trim() === '') return 13;
  const meta: HecMetadata = { ...defaults };
  for (const key of ['index', 'host', 'source', 'sourcetype'] as const) {
    const value = envelope[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') return 6;
    if (value !== '') meta[key] = value;
  }
  if (meta.index !== undefined && (!INDEX_NAME.test(meta.index) || (allowedIndexes && !allowedIndexes.includes(meta.index)))) return 7;
  let time: number | undefined;
  if (envelope.time !== undefined && envelope.time !== null) {
    time = parseHecTime(envelope.time);
    if (time === undefined) return 6;
  }
  if (envelope.fields !== undefined && !validFields(envelope.fields)) return 15;
  return {
    ...meta,
    text,
    ...(time !== undefined && { time }),
    digest: digestOf([meta.index, meta.host, meta.source, meta.sourcetype, time, text, envelope.fields ?? null]),
  };
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
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64').slice(0, 22);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function skipWhitespace(text: string, at: number): number {
  while (at < text.length) {
    const c = text.charCodeAt(at);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0xfeff) break;
    at++;
  }
  return at;
}

/** End (exclusive) of the JSON object starting at `start`, honouring strings and escapes; -1 when there is none. */
function objectEnd(text: string, start: number): number {
  if (text.charCodeAt(start) !== 0x7b /* { */) return -1;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
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
