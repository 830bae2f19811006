import type { MatchedValues } from '../engine/matched-values.js';
import type { FindingRecord } from '../engine/render.js';

export interface SinkContext {
  /** true when writing to a terminal: sinks may use width and colour */
  isTTY: boolean;
  /** the terminal's width, when writing to one */
  columns?: number;
  /** ANSI colour allowed: a terminal, and NO_COLOR unset */
  color?: boolean;
  /** the ATT&CK tactics of a detection's techniques, where the caller has the tactic table */
  tacticsOf?: (techniqueIds: readonly string[]) => string[];
  /** the spans of a finding's values its detection's condition matched, where the caller has the detections */
  matchedOf?: (record: FindingRecord) => MatchedValues | undefined;
  /** the risk incident rule in words, where the caller raised incidents */
  incidentRule?: string;
  /** the zone a human-readable sink shows times in (`--timezone`; default UTC); machine formats stay UTC */
  timeZone?: string;
}

/** Writes a complete, ordered set of findings to a text stream. */
export interface FindingSink {
  readonly description: string;
  write(records: FindingRecord[], out: NodeJS.WritableStream, ctx: SinkContext): void;
}
