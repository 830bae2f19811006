import type { RawEvent } from '../sources/source.js';
import type { DatasetName, FieldOf, FieldValue } from './model.js';

/**
 * Which data source of an event family a table reads (`sysmon`, `security`, `crowdstrike`): a key
 * of its family's `sources` (see cim/family-mappings.ts), checked when the family is registered.
 */
export type SourceFamily = string;

/** Computes a field from the whole event; undefined = absent. Must not throw. */
export type Derive = (raw: RawEvent) => FieldValue | undefined;

/**
 * Where a CIM field comes from. Raw values that mean "none" (`-`, empty, see `present`) are absent
 * before any `via` runs, so `via` only ever sees a real value.
 *
 * The kinds also say whether a field's text is in the raw record as the log wrote it (see
 * cim/verbatim.ts): the prefilter searches raw records for a rule's literals only on such fields.
 * A copy (`'Name'`, `firstOf`), a `partOf` and a `piecesOf` are; a `system` field (EVTX templates may
 * hold it outside the record), a constant, a `from`/`via` transform and a bare Derive are not.
 */
export type FieldRule =
  /** a payload (EventData / CrowdStrike) field by name, copied */
  | string
  /** the first present of these payload fields, copied */
  | { readonly firstOf: readonly string[] }
  /** a <System> field by name */
  | { readonly system: string }
  /** a constant */
  | { readonly value: string }
  /** a payload field, transformed */
  | { readonly from: string; readonly via: (value: string) => FieldValue | undefined }
  /** a payload field cut down: each value `via` returns is a substring of it (a base name, the number in `DWORD (…)`) */
  | { readonly partOf: string; readonly via: (value: string) => FieldValue | undefined }
  /**
   * computed from the whole event out of substrings of these payload fields, put together only
   * where one of the `joins` characters begins the next piece, or with one of the `inserts`
   * characters (text of its own, in no raw field) between them: a literal cut there has each piece
   * in the raw record
   */
  | { readonly piecesOf: readonly string[]; readonly joins?: string; readonly inserts?: string; readonly derive: Derive }
  /** computed from the whole event */
  | Derive;

/**
 * One data source's mapping into one dataset. `fields` keys are checked against the dataset's
 * field list in model.ts, so a table cannot produce a field detections are not allowed to name.
 */
export interface Mapping<D extends DatasetName> {
  readonly dataset: D;
  readonly family: SourceFamily;
  /** event codes (its family's `eventCode`: EventID, event_simpleName) this table reads; `*` = every event of the data source */
  readonly events: readonly string[] | '*';
  /** also copy every present payload field under its own name (the raw `sysmon` dataset) */
  readonly passthrough?: boolean;
  readonly fields: { readonly [F in FieldOf<D>]?: FieldRule };
}

export type AnyMapping = { [D in DatasetName]: Mapping<D> }[DatasetName];
