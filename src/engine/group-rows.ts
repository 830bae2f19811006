import type { CimEvent, FieldValue } from '../cim/model.js';
import type { Detection } from '../rules/detection.js';
import { EVENT_BY, type ByField } from '../rules/search-plan.js';
import { findingId, type Finding } from './finding.js';
import type { GroupState, Timed } from './partial-state.js';

/** How a detector's events become group keys, and its groups output rows (findings). */

/** One key per combination of BY values: a multivalue field yields one row per value. */
export function groupKeys(by: ByField[], event: CimEvent, missing: string): string[][] {
  let keys: string[][] = [[]];
  for (const b of by) {
    const value = byValue(b, event);
    const values = value === undefined || (Array.isArray(value) && value.length === 0) ? [missing] : Array.isArray(value) ? value : [value];
    keys = values.length === 1 ? keys.map((k) => [...k, values[0]]) : keys.flatMap((k) => values.map((v) => [...k, v]));
  }
  return keys;
}

/** where an event was read (`file:line` or `file@offset`): one group per event in `--per-event` mode */
function eventAt(event: CimEvent): string {
  const { file, line, offset, piece } = event.location;
  // a line counted from a piece of the file names it by the piece's offset, so it stays unique
  return line !== undefined ? `${file}${piece !== undefined ? `@${piece}` : ''}:${line}` : `${file}@${offset ?? 0}`;
}

/** A BY field's value: `_time` is the event time in epoch seconds, the start of its bucket under `span=`. */
export function byValue(b: ByField, event: CimEvent): FieldValue | undefined {
  if (b.field === EVENT_BY) return eventAt(event);
  if (b.field !== '_time') return event.fields[b.field];
  if (!Number.isFinite(event.time)) return undefined;
  return String(b.span ? Math.floor(event.time / b.span) * b.span : event.time);
}

export function toFinding(detection: Detection, key: string[], state: GroupState, window: number | undefined, windowSeconds: number | undefined): Finding {
  const plan = detection.plan;
  const finding: Finding = {
    id: findingId(detection.id, key, window),
    detection,
    by: plan.by.map((b, i) => [b.as, key[i]]),
    count: state.count,
    aggregates: [],
  };
  if (window !== undefined && windowSeconds !== undefined) finding.window = { start: window, end: window + windowSeconds };
  plan.aggregates.forEach((spec, i) => {
    const slot = state.slots[i];
    const value =
      spec.fn === 'count' ? state.count
      : spec.fn === 'dc' ? (slot as Set<string>).size
      : spec.fn === 'values' ? [...(slot as Set<string>)].sort(compareText)
      : spec.fn === 'earliest' || spec.fn === 'latest' ? timedValue(slot as Timed | null)
      : (slot as number | string | null);
    finding.aggregates.push([spec.as, value]);
    if (spec.field === '_time' && spec.fn === 'min') finding.firstTime = value as number;
    if (spec.field === '_time' && spec.fn === 'max') finding.lastTime = value as number;
  });
  return finding;
}

function timedValue(slot: Timed | null): string | string[] | null {
  if (slot === null) return null;
  return slot.values.length === 1 ? slot.values[0] : slot.values;
}

export function compareFindings(a: Finding, b: Finding): number {
  for (let i = 0; i < a.by.length; i++) {
    const c = compareText(a.by[i][1], b.by[i][1]);
    if (c !== 0) return c;
  }
  return (a.window?.start ?? 0) - (b.window?.start ?? 0);
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
