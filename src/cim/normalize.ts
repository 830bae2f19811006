import type { RawEvent } from '../sources/source.js';
import type { CimEvent, DatasetName, FieldValue } from './model.js';
import type { AnyMapping, Derive, FieldRule, SourceFamily } from './mappings/mapping.js';
import { families, mappings } from './mappings/registry.js';
import { parseEpochMillisSeconds, parseIsoSeconds } from './time.js';
import { present } from './values.js';

const DATA = 0;
const SYSTEM = 1;
const CONSTANT = 2;
const VIA = 3;
const DERIVE = 4;

/** A mapping table flattened into parallel arrays, so applying it is one loop and a switch. */
interface CompiledMapping {
  dataset: DatasetName;
  passthrough: boolean;
  names: string[];
  kinds: number[];
  keys: string[];
  fns: (((value: string) => FieldValue | undefined) | Derive | undefined)[];
}

/** What one kind of event becomes: its ESCU data source name and the tables that map it. */
interface Route {
  dataSource: string;
  mappings: CompiledMapping[];
}

interface FamilyRoutes {
  prefix: string;
  byEvent: Map<string, CompiledMapping[]>;
  everyEvent: CompiledMapping[];
  /** routes by EventID / event_simpleName, bounded: a hostile input must not grow it without end */
  routes: Map<string, Route>;
}

const MAX_ROUTES_PER_FAMILY = 1024;
const MAX_OTHER_CHANNELS = 256;

function firstPresentOf(names: readonly string[]): Derive {
  return (raw) => {
    for (const name of names) {
      const value = present(raw.data[name]);
      if (value !== undefined) return value;
    }
    return undefined;
  };
}

function compile(mapping: AnyMapping): CompiledMapping {
  const compiled: CompiledMapping = {
    dataset: mapping.dataset,
    passthrough: mapping.passthrough === true,
    names: [],
    kinds: [],
    keys: [],
    fns: [],
  };
  const add = (name: string, kind: number, key: string, fn?: CompiledMapping['fns'][number]): void => {
    compiled.names.push(name);
    compiled.kinds.push(kind);
    compiled.keys.push(key);
    compiled.fns.push(fn);
  };
  for (const [name, rule] of Object.entries(mapping.fields) as [string, FieldRule][]) {
    if (typeof rule === 'string') add(name, DATA, rule);
    else if (typeof rule === 'function') add(name, DERIVE, '', rule);
    else if ('firstOf' in rule) add(name, DERIVE, '', firstPresentOf(rule.firstOf));
    else if ('system' in rule) add(name, SYSTEM, rule.system);
    else if ('value' in rule) add(name, CONSTANT, rule.value);
    else if ('piecesOf' in rule) add(name, DERIVE, '', rule.derive);
    else if ('partOf' in rule) add(name, VIA, rule.partOf, rule.via);
    else add(name, VIA, rule.from, rule.via);
  }
  return compiled;
}

function buildFamilyRoutes(): Record<SourceFamily, FamilyRoutes> {
  const result = {} as Record<SourceFamily, FamilyRoutes>;
  for (const family of Object.keys(families) as SourceFamily[]) {
    result[family] = { prefix: families[family].dataSourcePrefix, byEvent: new Map(), everyEvent: [], routes: new Map() };
  }
  for (const mapping of mappings) {
    const target = result[mapping.family];
    const compiled = compile(mapping);
    if (mapping.events === '*') {
      target.everyEvent.push(compiled);
      continue;
    }
    for (const event of mapping.events) {
      const list = target.byEvent.get(event) ?? [];
      list.push(compiled);
      target.byEvent.set(event, list);
    }
  }
  return result;
}

const familyRoutes = buildFamilyRoutes();

const familyByProvider = new Map<string, FamilyRoutes>();
const familyByChannel = new Map<string, FamilyRoutes>();
const familyByLowerChannel = new Map<string, FamilyRoutes>();
for (const family of Object.keys(families) as SourceFamily[]) {
  for (const provider of families[family].providers) familyByProvider.set(provider, familyRoutes[family]);
  for (const channel of families[family].channels) {
    familyByChannel.set(channel, familyRoutes[family]);
    familyByLowerChannel.set(channel.toLowerCase(), familyRoutes[family]);
  }
}
/** Windows channels no table maps, so each still gets a data source name (`Windows Event Log System 7045`). */
const otherChannels = new Map<string, FamilyRoutes>();

function routeFor(family: FamilyRoutes, event: string): Route {
  let route = family.routes.get(event);
  if (route !== undefined) return route;
  route = { dataSource: family.prefix + event, mappings: [...(family.byEvent.get(event) ?? []), ...family.everyEvent] };
  if (family.routes.size < MAX_ROUTES_PER_FAMILY) family.routes.set(event, route);
  return route;
}

function windowsFamily(system: Record<string, string>): FamilyRoutes | undefined {
  const provider = system.Provider;
  const channel = system.Channel;
  const known =
    (provider === undefined ? undefined : familyByProvider.get(provider)) ??
    (channel === undefined ? undefined : familyByChannel.get(channel) ?? otherChannels.get(channel));
  if (known !== undefined || channel === undefined || channel === '') return known;
  const byCase = familyByLowerChannel.get(channel.toLowerCase());
  if (byCase !== undefined) return byCase;
  const other: FamilyRoutes = {
    prefix: `Windows Event Log ${channel} `,
    byEvent: new Map(),
    everyEvent: [],
    routes: new Map(),
  };
  if (otherChannels.size < MAX_OTHER_CHANNELS) otherChannels.set(channel, other);
  return other;
}

function routeOf(raw: RawEvent): Route | undefined {
  if (raw.family === 'crowdstrike') {
    const name = present(raw.data.event_simpleName);
    return name === undefined ? undefined : routeFor(familyRoutes.crowdstrike, name);
  }
  const eventId = present(raw.system.EventID);
  if (eventId === undefined) return undefined;
  const family = windowsFamily(raw.system);
  return family === undefined ? undefined : routeFor(family, eventId);
}

function apply(mapping: CompiledMapping, raw: RawEvent, time: number): CimEvent {
  const fields: Record<string, FieldValue> = {};
  const data = raw.data;
  if (mapping.passthrough) {
    for (const name in data) {
      const value = present(data[name]);
      if (value !== undefined && name !== '__proto__') fields[name] = value;
    }
  }
  const { names, kinds, keys, fns } = mapping;
  for (let i = 0; i < names.length; i++) {
    let value: FieldValue | undefined;
    switch (kinds[i]) {
      case DATA:
        value = present(data[keys[i]]);
        break;
      case SYSTEM:
        value = present(raw.system[keys[i]]);
        break;
      case CONSTANT:
        value = keys[i];
        break;
      case VIA: {
        const input = present(data[keys[i]]);
        value = input === undefined ? undefined : (fns[i] as (v: string) => FieldValue | undefined)(input);
        break;
      }
      default:
        value = (fns[i] as Derive)(raw);
    }
    if (value !== undefined) fields[names[i]] = value;
  }
  return { dataset: mapping.dataset, time, fields, location: raw.location, raw };
}

/**
 * Event time in epoch seconds: `system.TimeCreated` (ISO-8601 UTC; Sysmon's `UtcTime` when that is
 * missing or unparsable), CrowdStrike `timestamp` (epoch ms). NaN when there is none.
 */
export function eventTime(raw: RawEvent): number {
  if (raw.family === 'crowdstrike') {
    const timestamp = present(raw.data.timestamp);
    return timestamp === undefined ? NaN : parseEpochMillisSeconds(timestamp);
  }
  const created = present(raw.system.TimeCreated);
  const time = created === undefined ? NaN : parseIsoSeconds(created);
  if (!Number.isNaN(time)) return time;
  const utcTime = present(raw.data.UtcTime);
  return utcTime === undefined ? NaN : parseIsoSeconds(utcTime);
}

/**
 * The CIM events a raw event yields: one per mapping table that applies (a Sysmon EID 1 gives
 * Endpoint.Processes and the raw `sysmon` dataset). [] for events no table maps; never throws.
 * `datasets`: only build events of these datasets (those the loaded detections read); copying
 * every payload field into the raw `sysmon` dataset is the costliest step, so skip it when unused.
 */
export function normalize(raw: RawEvent, datasets?: ReadonlySet<DatasetName>): CimEvent[] {
  const route = routeOf(raw);
  if (route === undefined || route.mappings.length === 0) return [];
  const out: CimEvent[] = [];
  let time = NaN;
  for (const mapping of route.mappings) {
    if (datasets !== undefined && !datasets.has(mapping.dataset)) continue;
    if (out.length === 0) time = eventTime(raw);
    out.push(apply(mapping, raw, time));
  }
  return out;
}

/**
 * ESCU data_source name of a raw event (`Sysmon EventID 1`, `Windows Event Log Security 4688`,
 * `CrowdStrike ProcessRollup2`, `Windows Event Log System 7045`...); undefined when the event has
 * no EventID / event_simpleName or no channel to name it by.
 */
export function dataSourceOf(raw: RawEvent): string | undefined {
  return routeOf(raw)?.dataSource;
}

/** Data source names a detection's `data_source` may list: every mapped event plus documented Sysmon EventIDs. */
export const knownDataSources: string[] = (() => {
  const names = new Set<string>();
  for (const family of Object.keys(families) as SourceFamily[]) {
    const { dataSourcePrefix, documentedEvents } = families[family];
    const events = [...familyRoutes[family].byEvent.keys(), ...documentedEvents];
    for (const event of events) names.add(dataSourcePrefix + event);
  }
  return [...names];
})();
