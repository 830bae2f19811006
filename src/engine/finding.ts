import { createHash } from 'node:crypto';
import { isLoopback } from '../cim/ip.js';
import type { FieldValue } from '../cim/model.js';
import type { Detection } from '../rules/detection.js';
import { fillTemplate, fillTemplateDroppingEmpty, templateFields } from '../rules/field-template.js';
import type { Evidence } from './evidence.js';

/**
 * The Finding model shared by the detect stage (detector, correlator), rendering, tuning, risk and
 * drilldowns: its shape, its output columns and its id live here so none of them imports another.
 */

/** the separator of BY values in group keys and finding ids */
export const KEY_SEPARATOR = '\u001f';

/** A UTC-aligned time window [start, end) in epoch seconds; a finding of a scan without --window has none. */
export interface FindingWindow {
  start: number;
  end: number;
}

/** One output row before rendering: BY values plus aggregate results. */
export interface Finding {
  id: string;
  detection: Detection;
  by: Array<[column: string, value: string]>;
  count: number;
  aggregates: Array<[column: string, value: number | string | string[] | null]>;
  /** min/max of _time when the search computes them (epoch seconds) */
  firstTime?: number;
  lastTime?: number;
  /** the time window this finding aggregates over, when the run cuts time into windows */
  window?: FindingWindow;
  /** the row after the commands that compute columns (eval, rex, lookup): its columns, when there are such commands */
  row?: Record<string, ColumnValue>;
  /** the first contributing events (per step for a correlation), capped; see evidence.ts */
  evidence: Evidence[];
  /** every contributing event, kept or not */
  evidenceCount: number;
}

export type ColumnValue = string | number | string[] | null;

/** An output row: column name to value (numbers stay numbers, multivalues are arrays). */
export type Row = Record<string, ColumnValue>;

/**
 * Stable across runs, workers and restarts: the same detection, BY values (and window, when the
 * run has windows) always give the same id. Without a window the id is the one scans always had.
 */
export function findingId(detectionId: string, key: string[], windowStart?: number): string {
  // the parts hashed one after another, as one text (the same bytes: each part is whole UTF-8)
  const text = `${detectionId}\u0000${key.join(KEY_SEPARATOR)}${windowStart === undefined ? '' : `\u0000window\u0000${windowStart}`}`;
  let id = recentFindingIds.get(text);
  if (id === undefined) {
    id = createHash('sha256').update(text).digest('hex').slice(0, 32);
    if (recentFindingIds.size >= RECENT_FINDING_IDS) recentFindingIds.clear();
    recentFindingIds.set(text, id);
  }
  return id;
}

/**
 * Ids already hashed, by their text: a stream (serve) asks for the ids of the findings each input
 * moved after every input, mostly the same open findings again (a SHA-256 each was ~3 % of the
 * detection thread). Bounded: emptied when full.
 */
const recentFindingIds = new Map<string, string>();
const RECENT_FINDING_IDS = 50_000;

/** `security_content_ctime`: epoch seconds as `%Y-%m-%dT%H:%M:%S`, always in UTC. */
export function ctime(epochSeconds: number): string {
  if (!Number.isFinite(epochSeconds)) return '';
  return new Date(Math.floor(epochSeconds) * 1000).toISOString().slice(0, 19);
}

/** A finding's BY values and aggregates, with ctime applied: the row the commands after the aggregation start from. */
export function aggregatedColumns(finding: Finding): Record<string, ColumnValue> {
  const ctimeFields = new Set(finding.detection.output.ctimeFields);
  const columns: Record<string, ColumnValue> = {};
  for (const [column, value] of finding.by) columns[column] = value;
  for (const [column, value] of finding.aggregates) {
    columns[column] = ctimeFields.has(column) && typeof value === 'number' ? ctime(value) : value;
  }
  return columns;
}

/** The output columns of a finding: its row (BY values, aggregates, computed columns), as `table` / `fields` chose them. */
export function findingColumns(finding: Finding): Record<string, ColumnValue> {
  const columns = finding.row ?? aggregatedColumns(finding);
  const chosen = finding.detection.output.columns;
  if (!chosen) return columns;
  const selected: Record<string, ColumnValue> = {};
  for (const column of chosen) if (column in columns) selected[column] = columns[column];
  return selected;
}

/** A finding's output columns as searchable field values (ctime applied, numbers as text). */
export function columnValues(finding: Finding): Record<string, FieldValue> {
  const values: Record<string, FieldValue> = {};
  for (const [column, value] of Object.entries(findingColumns(finding))) {
    if (value !== null) values[column] = Array.isArray(value) ? value : String(value);
  }
  return values;
}

/** ES renders `$field$` tokens from the result row; a token with no value is left as written. */
export function renderTemplate(template: string, columns: Record<string, ColumnValue>): string {
  return fillTemplate(template, (field) => {
    const value = columns[field];
    if (value === undefined || value === null) return undefined;
    return Array.isArray(value) ? value.join(', ') : String(value);
  });
}

/** 127.0.0.0/8, ::1 (any spelling, also IPv4-mapped) and localhost: where a relay listens, never the tunnel service */
const isLocalEnd = (value: string): boolean => value.toLowerCase() === 'localhost' || isLoopback(value);

/**
 * A correlation's risk message. Its values are the distinct values its steps carried: a field may
 * have none (a network beacon has no DNS query) and a beacon to a loopback relay carries the
 * loopback address. So loopback addresses are left out, a `[...]` segment naming a field with no
 * value drops out whole, and a field with no value outside a segment renders as nothing.
 */
export function renderCorrelationMessage(template: string, columns: Record<string, ColumnValue>): string {
  const textOf = (field: string): string => {
    const value = columns[field];
    const values = value === undefined || value === null ? [] : Array.isArray(value) ? value : [String(value)];
    return values.filter((v) => v !== '' && v !== 'null' && !isLocalEnd(v)).join(', ');
  };
  const segments = template.replace(/\[([^[\]]*)\]/g, (whole, inner: string) => {
    const fields = templateFields(inner);
    if (fields.length === 0) return whole;
    return fields.some((f) => textOf(f) === '') ? '' : fillTemplate(inner, textOf);
  });
  // a field with no value outside a segment takes the space before it along (values keep theirs)
  return fillTemplateDroppingEmpty(segments, textOf);
}
