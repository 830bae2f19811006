import type { RawEvent } from './source.js';
import type { SkipCode } from '../diagnostics/codes.js';
import { parseXmlEvent } from './xml-event.js';

/** What a parsed JSON record turned out to be. */
export type JsonRecord =
  | { kind: 'event'; family: RawEvent['family']; system: Record<string, string>; data: Record<string, string> }
  | { kind: 'skip'; code: SkipCode; reason: string };

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON scalars as the log would print them; integers never in exponent form. */
export function scalarString(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      // beyond 2^53 String() rounds the digits (Keywords as int64) or switches to exponent form
      return Number.isInteger(v) && !Number.isSafeInteger(v) ? BigInt(v).toString() : String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return undefined;
  }
}

function topLevelScalars(obj: Obj, exclude: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in obj) {
    if (exclude.has(k)) continue;
    const s = scalarString(obj[k]);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

function put(target: Record<string, string>, key: string, v: unknown): void {
  const s = scalarString(v);
  if (s !== undefined) target[key] = s;
}

/** Sysmon's own `YYYY-MM-DD hh:mm:ss.mmm` (UTC) as ISO-8601. */
export function sysmonUtcToIso(v: string): string | undefined {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)$/.exec(v);
  return m ? `${m[1]}T${m[2]}Z` : undefined;
}

const NO_EXCLUDE: ReadonlySet<string> = new Set();
/** moved to `system`, or (Message) too big and already split into fields */
const FLAT_SYSTEM_KEYS: ReadonlySet<string> = new Set(['EventID', 'Channel', 'Hostname', 'Computer', 'SourceName', 'ProviderName', 'Message']);

/** Recognises every supported JSON shape; the order matters only for objects matching several. */
export function classifyJson(v: unknown): JsonRecord {
  if (!isObj(v)) return { kind: 'skip', code: 'invalid-json', reason: 'JSON value is not an object' };
  if (isObj(v.Event) && isObj(v.Event.System)) return evtxDump(v.Event);
  if ('event_simpleName' in v) return { kind: 'event', family: 'crowdstrike', system: {}, data: topLevelScalars(v, NO_EXCLUDE) };
  if (isObj(v.winlog)) return winlogbeat(v, v.winlog);
  if (typeof v.SyslogMessage === 'string') return azureSyslog(v.SyslogMessage);
  if (v.EventID !== undefined && (v.Channel !== undefined || v.SourceName !== undefined || v.ProviderName !== undefined || v.Hostname !== undefined)) {
    return flat(v);
  }
  return { kind: 'skip', code: 'unrecognised-record', reason: 'JSON object matches no known event shape' };
}

/** NXLog / Mordor-style: EventData fields at the top level next to the envelope. */
function flat(v: Obj): JsonRecord {
  const system: Record<string, string> = {};
  put(system, 'EventID', v.EventID);
  put(system, 'Channel', v.Channel);
  put(system, 'Computer', v.Hostname ?? v.Computer);
  put(system, 'Provider', v.SourceName ?? v.ProviderName);
  put(system, 'EventRecordID', v.RecordNumber ?? v.EventRecordID);
  put(system, 'UserID', v.UserID);
  put(system, 'ExecutionProcessID', v.ExecutionProcessID);
  const utc = typeof v.UtcTime === 'string' ? sysmonUtcToIso(v.UtcTime) : undefined;
  const time = utc ?? scalarString(v['@timestamp']) ?? scalarString(v.EventTime);
  if (time !== undefined) system.TimeCreated = time;
  return { kind: 'event', family: 'windows', system, data: topLevelScalars(v, FLAT_SYSTEM_KEYS) };
}

function winlogbeat(v: Obj, w: Obj): JsonRecord {
  const system: Record<string, string> = {};
  const event = isObj(v.event) ? v.event : {};
  const host = isObj(v.host) ? v.host : {};
  put(system, 'EventID', w.event_id ?? event.code);
  put(system, 'Channel', w.channel);
  put(system, 'Provider', w.provider_name);
  put(system, 'Computer', w.computer_name ?? host.name);
  put(system, 'EventRecordID', w.record_id);
  put(system, 'TimeCreated', v['@timestamp']);
  if (isObj(w.user)) put(system, 'UserID', w.user.identifier);
  if (isObj(w.process)) put(system, 'ExecutionProcessID', w.process.pid);
  const data: Record<string, string> = {};
  if (isObj(w.event_data)) flattenLeaves(w.event_data, data);
  if (isObj(w.user_data)) flattenLeaves(w.user_data, data);
  if (system.EventID === undefined) return { kind: 'skip', code: 'unrecognised-record', reason: 'winlog object without an event id' };
  return { kind: 'event', family: 'windows', system, data };
}

/** Azure Log Analytics Syslog table rows: Sysmon for Linux XML inside SyslogMessage. */
function azureSyslog(message: string): JsonRecord {
  const start = message.indexOf('<Event');
  if (start < 0) return { kind: 'skip', code: 'not-an-event', reason: 'Syslog row without a Sysmon <Event>' };
  const parsed = parseXmlEvent(message.slice(start));
  if (!parsed.event) return { kind: 'skip', code: 'invalid-xml', reason: parsed.error ?? 'malformed event' };
  return { kind: 'event', family: 'windows', system: parsed.event.system, data: parsed.event.data };
}

function attributes(v: unknown): Obj {
  return isObj(v) && isObj(v['#attributes']) ? v['#attributes'] : {};
}

/** evtx_dump / `tunnelwatch dump` JSON: `{"Event":{"System":{...},"EventData":{...}}}`. */
function evtxDump(ev: Obj): JsonRecord {
  const sys = ev.System as Obj;
  const system: Record<string, string> = {};
  for (const k in sys) {
    const val = sys[k];
    if (isObj(val)) put(system, k, val['#text']);
    else put(system, k, val);
  }
  put(system, 'Provider', attributes(sys.Provider).Name ?? attributes(sys.Provider).EventSourceName);
  put(system, 'TimeCreated', attributes(sys.TimeCreated).SystemTime);
  const sec = attributes(sys.Security);
  put(system, 'UserID', sec.UserID ?? sec.UserId);
  put(system, 'ExecutionProcessID', attributes(sys.Execution).ProcessID);
  put(system, 'ExecutionThreadID', attributes(sys.Execution).ThreadID);
  const data: Record<string, string> = {};
  if (isObj(ev.EventData)) eventData(ev.EventData, data);
  if (isObj(ev.UserData)) flattenLeaves(ev.UserData, data);
  if (system.EventID === undefined) return { kind: 'skip', code: 'unrecognised-record', reason: 'Event.System without an EventID' };
  return { kind: 'event', family: 'windows', system, data };
}

/**
 * Depth-first over nested values with an explicit stack, in document order: a record nested
 * thousands deep (crafted, or broken) must not overflow the call stack.
 */
function walkDepthFirst<T>(root: Iterable<T>, visit: (item: T) => Iterable<T> | undefined): void {
  const stack: Iterator<T>[] = [root[Symbol.iterator]()];
  while (stack.length > 0) {
    const next = stack[stack.length - 1].next();
    if (next.done) {
      stack.pop();
      continue;
    }
    const inner = visit(next.value);
    if (inner) stack.push(inner[Symbol.iterator]());
  }
}

function eventData(ed: Obj, data: Record<string, string>): void {
  let unnamed = 0;
  // positional Data: a value or array of them; an unnamed item whose #text is an array holds more
  const positional = (v: unknown): void => walkDepthFirst(Array.isArray(v) ? v : [v], (item) => {
    const name = scalarString(attributes(item).Name);
    const text = isObj(item) ? item['#text'] : item;
    if (name !== undefined) data[name] = scalarString(text) ?? '';
    else if (isObj(item) && Array.isArray(item['#text'])) return item['#text'] as unknown[];
    else data[`Data[${unnamed++}]`] = scalarString(text) ?? '';
    return undefined;
  });
  for (const k in ed) {
    if (k === '#attributes') continue;
    const v = ed[k];
    if (k === 'Data' || k === '#text') positional(v);
    else if (isObj(v)) flattenLeaves(v, data);
    else leaf(data, k, v);
  }
}

function leaf(data: Record<string, string>, k: string, v: unknown): void {
  if (Array.isArray(v)) data[k] = v.map((x) => scalarString(x) ?? '').join(',');
  else if (v === null) data[k] = '';
  else put(data, k, v);
}

/** Leaves of nested objects by their own key (UserData, event_data), attributes ignored. */
function flattenLeaves(o: Obj, data: Record<string, string>): void {
  walkDepthFirst(Object.entries(o), ([k, v]) => {
    if (k === '#attributes') return undefined;
    if (isObj(v)) return Object.entries(v);
    leaf(data, k, v);
    return undefined;
  });
}
