/**
 * The JSON shapes of Windows-shaped events: evtx_dump (and `tunnelwatch dump`), Winlogbeat,
 * Azure Log Analytics Syslog rows holding Sysmon for Linux XML, and NXLog / Mordor flat events.
 */
import {
  attributes, flattenLeaves, isJsonObject, leaf, put, scalarString, topLevelScalars, walkDepthFirst,
  type JsonObject, type JsonRecord, type JsonShape,
} from '../../sources/json-shapes.js';
import { parseXmlEvent } from '../../sources/xml-event.js';

/** Sysmon's own `YYYY-MM-DD hh:mm:ss.mmm` (UTC) as ISO-8601. */
function sysmonUtcToIso(v: string): string | undefined {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)$/.exec(v);
  return m ? `${m[1]}T${m[2]}Z` : undefined;
}

/** moved to `system`, or (Message) too big and already split into fields */
export const FLAT_SYSTEM_KEYS: ReadonlySet<string> = new Set(['EventID', 'Channel', 'Hostname', 'Computer', 'SourceName', 'ProviderName', 'Message']);

export const windowsJsonShapes: readonly JsonShape[] = [
  { name: 'evtx_dump', read: (v) => (isJsonObject(v.Event) && isJsonObject(v.Event.System) ? evtxDump(v.Event) : undefined) },
  { name: 'winlogbeat', read: (v) => (isJsonObject(v.winlog) ? winlogbeat(v, v.winlog) : undefined) },
  { name: 'azure-syslog', read: (v) => (typeof v.SyslogMessage === 'string' ? azureSyslog(v.SyslogMessage) : undefined) },
  {
    name: 'flat',
    fallback: true,
    read: (v) => (v.EventID !== undefined && (v.Channel !== undefined || v.SourceName !== undefined || v.ProviderName !== undefined || v.Hostname !== undefined) ? flat(v) : undefined),
  },
];

/** NXLog / Mordor-style: EventData fields at the top level next to the envelope. */
function flat(v: JsonObject): JsonRecord {
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

function winlogbeat(v: JsonObject, w: JsonObject): JsonRecord {
  const system: Record<string, string> = {};
  const event = isJsonObject(v.event) ? v.event : {};
  const host = isJsonObject(v.host) ? v.host : {};
  put(system, 'EventID', w.event_id ?? event.code);
  put(system, 'Channel', w.channel);
  put(system, 'Provider', w.provider_name);
  put(system, 'Computer', w.computer_name ?? host.name);
  put(system, 'EventRecordID', w.record_id);
  put(system, 'TimeCreated', v['@timestamp']);
  if (isJsonObject(w.user)) put(system, 'UserID', w.user.identifier);
  if (isJsonObject(w.process)) put(system, 'ExecutionProcessID', w.process.pid);
  const data: Record<string, string> = {};
  if (isJsonObject(w.event_data)) flattenLeaves(w.event_data, data);
  if (isJsonObject(w.user_data)) flattenLeaves(w.user_data, data);
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

/** evtx_dump / `tunnelwatch dump` JSON: `{"Event":{"System":{...},"EventData":{...}}}`. */
function evtxDump(ev: JsonObject): JsonRecord {
  const sys = ev.System as JsonObject;
  const system: Record<string, string> = {};
  for (const k in sys) {
    const val = sys[k];
    if (isJsonObject(val)) put(system, k, val['#text']);
    else put(system, k, val);
  }
  put(system, 'Provider', attributes(sys.Provider).Name ?? attributes(sys.Provider).EventSourceName);
  put(system, 'TimeCreated', attributes(sys.TimeCreated).SystemTime);
  const sec = attributes(sys.Security);
  put(system, 'UserID', sec.UserID ?? sec.UserId);
  put(system, 'ExecutionProcessID', attributes(sys.Execution).ProcessID);
  put(system, 'ExecutionThreadID', attributes(sys.Execution).ThreadID);
  const data: Record<string, string> = {};
  if (isJsonObject(ev.EventData)) eventData(ev.EventData, data);
  if (isJsonObject(ev.UserData)) flattenLeaves(ev.UserData, data);
  if (system.EventID === undefined) return { kind: 'skip', code: 'unrecognised-record', reason: 'Event.System without an EventID' };
  return { kind: 'event', family: 'windows', system, data };
}

function eventData(ed: JsonObject, data: Record<string, string>): void {
  let unnamed = 0;
  // positional Data: a value or array of them; an unnamed item whose #text is an array holds more
  const positional = (v: unknown): void => walkDepthFirst(Array.isArray(v) ? v : [v], (item) => {
    const name = scalarString(attributes(item).Name);
    const text = isJsonObject(item) ? item['#text'] : item;
    if (name !== undefined) data[name] = scalarString(text) ?? '';
    else if (isJsonObject(item) && Array.isArray(item['#text'])) return item['#text'] as unknown[];
    else data[`Data[${unnamed++}]`] = scalarString(text) ?? '';
    return undefined;
  });
  for (const k in ed) {
    if (k === '#attributes') continue;
    const v = ed[k];
    if (k === 'Data' || k === '#text') positional(v);
    else if (isJsonObject(v)) flattenLeaves(v, data);
    else leaf(data, k, v);
  }
}

