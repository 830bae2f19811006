/**
 * How `dump` prints a Windows-shaped event that came from a text source: evtx_dump's JSON shape, or
 * Windows XML (EVTX itself is rendered by its decoder, src/sources/evtx/).
 */
import type { RawEvent } from '../../sources/source.js';
import { escapeXmlAttribute } from '../../sources/xml-escape.js';

const EVENT_NS = 'http://schemas.microsoft.com/win/2004/08/events/event';
/** System fields that evtx_dump prints as numbers (BinXML types them as integers). */
const NUMERIC_SYSTEM = new Set(['EventID', 'EventRecordID']);

function jsonScalar(key: string, v: string): unknown {
  return NUMERIC_SYSTEM.has(key) && /^\d{1,15}$/.test(v) ? Number(v) : v;
}

/** evtx_dump-shaped JSON of an event that came from a text source. */
export function windowsEventJson(e: RawEvent): string {
  const system: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e.system)) {
    if (k === 'Provider') system.Provider = { '#attributes': { Name: v } };
    else if (k === 'TimeCreated') system.TimeCreated = { '#attributes': { SystemTime: v } };
    else if (k === 'UserID') system.Security = { '#attributes': { UserID: v } };
    else system[k] = jsonScalar(k, v);
  }
  return JSON.stringify({ Event: { '#attributes': { xmlns: EVENT_NS }, System: system, EventData: e.data } });
}

const esc = escapeXmlAttribute;

/** Windows XML of an event that came from a text source. */
export function windowsEventXml(e: RawEvent): string {
  let sys = '';
  for (const [k, v] of Object.entries(e.system)) {
    if (k === 'Provider') sys += `<Provider Name="${esc(v)}"/>`;
    else if (k === 'TimeCreated') sys += `<TimeCreated SystemTime="${esc(v)}"/>`;
    else if (k === 'UserID') sys += `<Security UserID="${esc(v)}"/>`;
    else sys += `<${esc(k)}>${esc(v)}</${esc(k)}>`;
  }
  let data = '';
  for (const [k, v] of Object.entries(e.data)) {
    const positional = /^Data\[\d+\]$/.test(k);
    data += positional ? `<Data>${esc(v)}</Data>` : `<Data Name="${esc(k)}">${esc(v)}</Data>`;
  }
  return `<Event xmlns="${EVENT_NS}"><System>${sys}</System><EventData>${data}</EventData></Event>`;
}
