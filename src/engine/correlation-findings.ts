/**
 * The pure side of a correlation's keys: which identity an event is filed under, when a key's
 * steps confirm, and how a key's state becomes a Finding row. The Correlator (correlator.ts) owns
 * the keys and their lifecycle; everything here is stateless (the cut detector.ts has with
 * finding-groups.ts).
 */
import type { CimEvent } from '../cim/model.js';
import type { BoundCorrelation, CarriedColumn } from '../rules/correlation.js';
import { keyColumns, stepColumns } from '../rules/correlation-columns.js';
import type { Evidence } from './evidence.js';
import { findingId, type Finding } from './finding.js';
import { compareText, NULL_FILL } from './finding-groups.js';

/** One step's evidence for one key: everything here merges by sum, min/max or union. */
export interface StepState {
  count: number;
  minTime: number;
  maxTime: number;
  detections: Set<string>;
  /** distinct events of this step (`count` counts an event once per detection of the step it matched) */
  events: number;
  /** the step's first events in evidence order, capped; `events` is their total */
  evidence: Evidence[];
}

export interface KeyState {
  /** index of the identity alternative that keyed the events */
  alt: number;
  key: string[];
  steps: StepState[];
  carried: Map<string, Set<string>>;
  /** newest event time, for expiry */
  newest: number;
}

export function emptyStep(): StepState {
  return { count: 0, minTime: Infinity, maxTime: -Infinity, detections: new Set(), events: 0, evidence: [] };
}

/** The first identity alternative whose parts all exist on the event; undefined when none does. */
export function identityOf(c: BoundCorrelation, event: CimEvent): { alt: number; key: string[] } | undefined {
  const fieldMap = c.fieldMap[event.dataset] ?? {};
  for (let alt = 0; alt < c.key.length; alt++) {
    const key: string[] = [];
    for (const part of c.key[alt]) {
      const value = event.fields[fieldMap[part] ?? part];
      const first = Array.isArray(value) ? value[0] : value;
      if (first === undefined || first === '') break;
      // hosts and GUIDs are case-insensitive; sources disagree on case ({ABC-...} vs {abc-...})
      key.push(first.toLowerCase());
    }
    if (key.length === c.key[alt].length) return { alt, key };
  }
  return undefined;
}

/**
 * Every required step seen, and every pair of them close enough: the gap between two steps' [min,
 * max] time ranges is at most the window. Either step may come first in time. Optional (context)
 * steps take no part.
 */
export function isConfirmed(c: Pick<BoundCorrelation, 'steps' | 'windowSeconds'>, state: KeyState): boolean {
  const window = c.windowSeconds;
  const steps = state.steps.filter((_, i) => !c.steps[i].optional);
  if (steps.some((s) => s.count === 0)) return false;
  for (let i = 0; i < steps.length; i++) {
    for (let j = i + 1; j < steps.length; j++) {
      const gap = Math.max(0, steps[j].minTime - steps[i].maxTime, steps[i].minTime - steps[j].maxTime);
      if (gap > window) return false;
    }
  }
  return true;
}

export function toFinding(c: BoundCorrelation, s: KeyState): Finding {
  const parts = c.key[s.alt];
  const by: Array<[string, string]> = keyColumns(c.key).map((col) => {
    const i = parts.indexOf(col);
    return [col, i >= 0 ? s.key[i] : NULL_FILL];
  });
  // an optional step may have no event: its times are not the finding's
  const seen = s.steps.filter((st) => st.count > 0);
  const firstTime = Math.min(...seen.map((st) => st.minTime));
  const lastTime = Math.max(...seen.map((st) => st.maxTime));
  const count = s.steps.reduce((n, st) => n + st.count, 0);
  const aggregates: Finding['aggregates'] = [
    ['count', count],
    ['firstTime', firstTime],
    ['lastTime', lastTime],
  ];
  c.steps.forEach((step, i) => {
    const st = s.steps[i];
    const columns = stepColumns(step.name);
    aggregates.push([columns.count, st.count]);
    aggregates.push([columns.firstTime, st.count > 0 ? st.minTime : NaN]);
    aggregates.push([columns.lastTime, st.count > 0 ? st.maxTime : NaN]);
    aggregates.push([columns.detections, [...st.detections].sort(compareText)]);
  });
  for (const field of new Set(c.steps.flatMap((st) => st.carry.map((e) => e.column)))) {
    aggregates.push([field, [...(s.carried.get(field) ?? [])].sort(compareText)]);
  }
  return {
    id: findingId(c.id, [String(s.alt), ...s.key]),
    detection: c.detection,
    by,
    count,
    aggregates,
    firstTime,
    lastTime,
    // each step's own first events, named by step, in step order
    evidence: c.steps.flatMap((step, i) => s.steps[i].evidence.map((e) => ({ ...e, step: step.name }))),
    evidenceCount: s.steps.reduce((n, st) => n + st.events, 0),
  };
}

/**
 * The values one event gives a carried column: the field's values, or for an endpoint (an address
 * and a port field) `address:port` (`[v6]:port`); none when a part is missing.
 */
export function carriedValues(carried: CarriedColumn, event: CimEvent): string[] {
  const parts: string[] = [];
  for (const field of carried.fields) {
    const value = event.fields[field];
    const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
    if (carried.fields.length === 1) return values;
    if (values.length === 0 || values[0] === '') return [];
    parts.push(values[0]);
  }
  const [address, ...rest] = parts;
  return [[address.includes(':') ? `[${address}]` : address, ...rest].join(':')];
}
