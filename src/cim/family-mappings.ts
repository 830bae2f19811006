import type { RawEvent } from '../sources/source.js';
import type { AnyMapping } from './mapping.js';

/**
 * One data source of an event family (Sysmon, Security, CrowdStrike...): how its events are
 * recognised and named, and what EVTX stores typed.
 */
export interface DataSourceDescriptor {
  /** <System> Provider names (Windows-shaped events) */
  readonly providers: readonly string[];
  /**
   * Channel names (Windows-shaped events), matched case-insensitively. A family's one source with
   * neither providers nor channels takes every event of the family.
   */
  readonly channels: readonly string[];
  /** ESCU data_source name = prefix + the event code */
  readonly dataSourcePrefix: string;
  /** event codes ESCU names as data sources even when no table maps them beyond `*` */
  readonly documentedEvents: readonly string[];
  /**
   * Payload fields EVTX stores typed rather than as text (as found in the EVTX files of
   * ../shared/data and the providers' manifests). A `number` is in the record as binary, found
   * by its binary forms as a whole decimal number only; any other type (`rendered`: GUID, SID, hex,
   * boolean, time) is text rendered from bytes, nowhere in the record. See cim/verbatim.ts.
   */
  readonly evtxTyped: Readonly<Record<string, 'number' | 'rendered'>>;
}

/**
 * What the CIM stage needs of an event family (the RawEvents whose `family` is `name`): its data
 * sources, its mapping tables, and how its events name their code and time. Declared here, where
 * normalize reads it; the families themselves are registered above (src/families/registry.ts) and
 * passed in, so the tables of a family live in its own folder.
 */
export interface FamilyMappings {
  /** the `RawEvent.family` its events carry */
  readonly name: string;
  /** its data sources by the name its tables give as `family` (unique across families) */
  readonly sources: Readonly<Record<string, DataSourceDescriptor>>;
  readonly mappings: readonly AnyMapping[];
  /** the code tables list events by (EventID, event_simpleName); undefined, empty or `-`: none */
  eventCode(raw: RawEvent): string | undefined;
  /** event time in epoch seconds; NaN when the event carries none */
  eventTime(raw: RawEvent): number;
  /**
   * Data source name prefix for events of a channel none of its sources lists (`Windows Event Log `
   * names `Windows Event Log System 7045`); absent: such events have no data source.
   */
  readonly otherChannelPrefix?: string;
}
