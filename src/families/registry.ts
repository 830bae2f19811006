import type { DatasetName } from '../cim/model.js';
import type { RawEvent } from '../sources/source.js';
import { FamilyCatalog } from './catalog.js';
import { crowdstrikeFamily } from './crowdstrike/index.js';
import type { EventFamily } from './family.js';
import { windowsFamily } from './windows/index.js';

/**
 * Every event family. A new one (auditd, Elastic Defend...) is one folder beside these, holding its
 * JSON shapes, mapping tables and dump rendering, plus one line here.
 */
export const eventFamilies = [windowsFamily, crowdstrikeFamily] as const satisfies readonly EventFamily[];

/** The registered families, put together: what every run uses. */
export const families = new FamilyCatalog(eventFamilies);

/** Every mapping table of the registered families. */
export const mappings = families.normalizer.mappings;

/** ESCU data source names a detection's `data_source` may list. */
export const knownDataSources = families.normalizer.knownDataSources;

/** See Normalizer.normalize. */
export function normalize(raw: RawEvent, datasets?: ReadonlySet<DatasetName>) {
  return families.normalizer.normalize(raw, datasets);
}

/** See Normalizer.dataSourceOf. */
export function dataSourceOf(raw: RawEvent): string | undefined {
  return families.normalizer.dataSourceOf(raw);
}

/** See Normalizer.eventTime. */
export function eventTime(raw: RawEvent): number {
  return families.normalizer.eventTime(raw);
}
