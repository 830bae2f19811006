import type { RawEvent } from '../sources/source.js';
import type { CimEvent, DatasetName, FieldValue } from './model.js';
import type { DataSourceDescriptor, FamilyMappings } from './family-mappings.js';
import type { AnyMapping, Derive, FieldRule } from './mapping.js';
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

/** One data source's tables, by event code, and the routes resolved so far. */
interface SourceRoutes {
  prefix: string;
  byEvent: Map<string, CompiledMapping[]>;
  everyEvent: CompiledMapping[];
  /** routes by event code, bounded: a hostile input must not grow it without end */
  routes: Map<string, Route>;
}

/** One family's data sources, found by provider or channel. */
interface FamilyRoutes {
  family: FamilyMappings;
  byProvider: Map<string, SourceRoutes>;
  byChannel: Map<string, SourceRoutes>;
  byLowerChannel: Map<string, SourceRoutes>;
  /** the one source with neither providers nor channels: it takes every event of the family */
  catchAll?: SourceRoutes;
  /** channels no source lists, so each still gets a data source name (`Windows Event Log System 7045`) */
  otherChannels: Map<string, SourceRoutes>;
}

const MAX_ROUTES_PER_SOURCE = 1024;
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

function sourceRoutes(prefix: string): SourceRoutes {
  return { prefix, byEvent: new Map(), everyEvent: [], routes: new Map() };
}

function routeFor(source: SourceRoutes, event: string): Route {
  let route = source.routes.get(event);
  if (route !== undefined) return route;
  route = { dataSource: source.prefix + event, mappings: [...(source.byEvent.get(event) ?? []), ...source.everyEvent] };
  if (source.routes.size < MAX_ROUTES_PER_SOURCE) source.routes.set(event, route);
  return route;
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
 * The CIM stage over a set of event families: which tables map a raw event, into which CIM events,
 * under which ESCU data source name. Built once per family set (src/families/registry.ts builds the
 * registered one); a registration mistake (a table naming a data source its family lacks, a family
 * or source name given twice) throws here, at start-up, never on an event.
 */
export class Normalizer {
  /** every mapping table of every family */
  readonly mappings: readonly AnyMapping[];
  /** Data source names a detection's `data_source` may list: every mapped event plus the documented ones. */
  readonly knownDataSources: readonly string[];
  private readonly families = new Map<string, FamilyRoutes>();
  private readonly sources = new Map<string, DataSourceDescriptor>();

  constructor(families: readonly FamilyMappings[]) {
    const names = new Set<string>();
    const sourceTables = new Map<string, SourceRoutes>();
    for (const family of families) {
      if (this.families.has(family.name)) throw new Error(`event family ${family.name} is registered twice`);
      const routes: FamilyRoutes = { family, byProvider: new Map(), byChannel: new Map(), byLowerChannel: new Map(), otherChannels: new Map() };
      for (const [name, source] of Object.entries(family.sources)) {
        if (this.sources.has(name)) throw new Error(`data source ${name} of event family ${family.name} is also another family's`);
        this.sources.set(name, source);
        const table = sourceRoutes(source.dataSourcePrefix);
        sourceTables.set(name, table);
        for (const provider of source.providers) routes.byProvider.set(provider, table);
        for (const channel of source.channels) {
          routes.byChannel.set(channel, table);
          routes.byLowerChannel.set(channel.toLowerCase(), table);
        }
        if (source.providers.length === 0 && source.channels.length === 0) routes.catchAll = table;
      }
      for (const mapping of family.mappings) {
        const table = sourceTables.get(mapping.family);
        if (table === undefined || !Object.hasOwn(family.sources, mapping.family)) {
          throw new Error(`a ${mapping.dataset} table of event family ${family.name} reads data source ${mapping.family}, which the family does not declare`);
        }
        const compiled = compile(mapping);
        if (mapping.events === '*') {
          table.everyEvent.push(compiled);
          continue;
        }
        for (const event of mapping.events) {
          const list = table.byEvent.get(event) ?? [];
          list.push(compiled);
          table.byEvent.set(event, list);
        }
      }
      this.families.set(family.name, routes);
    }
    this.mappings = families.flatMap((f) => f.mappings);
    for (const [name, source] of this.sources) {
      const events = [...sourceTables.get(name)!.byEvent.keys(), ...source.documentedEvents];
      for (const event of events) names.add(source.dataSourcePrefix + event);
    }
    this.knownDataSources = [...names];
  }

  /** The descriptor of a data source (a mapping table's `family`), for cim/verbatim.ts. */
  dataSource(name: string): DataSourceDescriptor | undefined {
    return this.sources.get(name);
  }

  /** The names of the families, in registration order. */
  get familyNames(): readonly string[] {
    return [...this.families.keys()];
  }

  /** The mapping tables of one family (none for a family not in the set). */
  mappingsOf(family: string): readonly AnyMapping[] {
    return this.families.get(family)?.family.mappings ?? [];
  }

  /** The code a raw event's family names it by (EventID, event_simpleName), as the record holds it. */
  eventCode(raw: RawEvent): string | undefined {
    return this.families.get(raw.family)?.family.eventCode(raw);
  }

  /** Event time in epoch seconds, by the event's family; NaN when there is none or the family is unknown. */
  eventTime(raw: RawEvent): number {
    return this.families.get(raw.family)?.family.eventTime(raw) ?? NaN;
  }

  /**
   * The CIM events a raw event yields: one per mapping table that applies (a Sysmon EID 1 gives
   * Endpoint.Processes and the raw `sysmon` dataset). [] for events no table maps; never throws.
   * `datasets`: only build events of these datasets (those the loaded detections read); copying
   * every payload field into the raw `sysmon` dataset is the costliest step, so skip it when unused.
   */
  normalize(raw: RawEvent, datasets?: ReadonlySet<DatasetName>): CimEvent[] {
    const family = this.families.get(raw.family);
    if (family === undefined) return [];
    const route = routeIn(family, raw);
    if (route === undefined || route.mappings.length === 0) return [];
    const out: CimEvent[] = [];
    let time = NaN;
    for (const mapping of route.mappings) {
      if (datasets !== undefined && !datasets.has(mapping.dataset)) continue;
      if (out.length === 0) time = family.family.eventTime(raw);
      out.push(apply(mapping, raw, time));
    }
    return out;
  }

  /**
   * ESCU data_source name of a raw event (`Sysmon EventID 1`, `Windows Event Log Security 4688`,
   * `CrowdStrike ProcessRollup2`, `Windows Event Log System 7045`...); undefined when the event has
   * no event code, or no data source or channel to name it by.
   */
  dataSourceOf(raw: RawEvent): string | undefined {
    const family = this.families.get(raw.family);
    return family === undefined ? undefined : routeIn(family, raw)?.dataSource;
  }
}

/** The route of an event of `family`: by its code and data source; undefined when it has either none. */
function routeIn(family: FamilyRoutes, raw: RawEvent): Route | undefined {
  const code = present(family.family.eventCode(raw));
  if (code === undefined) return undefined;
  const source = sourceOf(family, raw.system);
  return source === undefined ? undefined : routeFor(source, code);
}

/** The data source of an event: by Provider, else Channel (any case), else the family's catch-all, else a named other channel. */
function sourceOf(family: FamilyRoutes, system: Record<string, string>): SourceRoutes | undefined {
  const provider = system.Provider;
  const channel = system.Channel;
  const known =
    (provider === undefined ? undefined : family.byProvider.get(provider)) ??
    (channel === undefined ? undefined : family.byChannel.get(channel) ?? family.otherChannels.get(channel));
  if (known !== undefined) return known;
  if (family.catchAll !== undefined) return family.catchAll;
  if (channel === undefined || channel === '') return undefined;
  const byCase = family.byLowerChannel.get(channel.toLowerCase());
  if (byCase !== undefined) return byCase;
  const prefix = family.family.otherChannelPrefix;
  if (prefix === undefined) return undefined;
  const other = sourceRoutes(`${prefix}${channel} `);
  if (family.otherChannels.size < MAX_OTHER_CHANNELS) family.otherChannels.set(channel, other);
  return other;
}
