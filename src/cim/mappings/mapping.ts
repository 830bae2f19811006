import type { RawEvent } from '../../sources/source.js';
import type { DatasetName, FieldOf, FieldValue } from '../model.js';

/** Which telemetry an event belongs to; resolved from Provider/Channel, or CrowdStrike. */
export type SourceFamily = 'sysmon' | 'linux-sysmon' | 'security' | 'crowdstrike';

/** Computes a field from the whole event; undefined = absent. Must not throw. */
export type Derive = (raw: RawEvent) => FieldValue | undefined;

/**
 * Where a CIM field comes from. Raw values that mean "none" (`-`, empty, see `present`) are absent
 * before any `via` runs, so `via` only ever sees a real value.
 */
export type FieldRule =
  /** a payload (EventData / CrowdStrike) field by name */
  | string
  /** a <System> field by name */
  | { readonly system: string }
  /** a constant */
  | { readonly value: string }
  /** a payload field, transformed */
  | { readonly from: string; readonly via: (value: string) => FieldValue | undefined }
  | Derive;

/**
 * One data source's mapping into one dataset. `fields` keys are checked against the dataset's
 * field list in model.ts, so a table cannot produce a field detections are not allowed to name.
 */
export interface Mapping<D extends DatasetName> {
  readonly dataset: D;
  readonly family: SourceFamily;
  /** EventIDs (Windows) or event_simpleNames (CrowdStrike) this table reads; `*` = every event of the family */
  readonly events: readonly string[] | '*';
  /** also copy every present payload field under its own name (the raw `sysmon` dataset) */
  readonly passthrough?: boolean;
  readonly fields: { readonly [F in FieldOf<D>]?: FieldRule };
}

export type AnyMapping = { [D in DatasetName]: Mapping<D> }[DatasetName];
