import type { AggregateSpec } from '../rules/search-plan.js';
import { mergeEvidence, type Evidence } from './evidence.js';

/**
 * The aggregate state of one finding group, built so that states computed anywhere (another file,
 * another worker, another machine) merge into the same result: count sums, min/max keep the
 * extreme, values/dc take the union, evidence keeps the first events of both (see evidence.ts).
 */
export interface GroupState {
  count: number;
  /** per aggregate, in plan order: the extreme for min/max, the distinct values for values/dc, the timed value for earliest/latest */
  slots: Array<Extreme | string[] | Set<string> | Timed | null>;
  /** the first contributing events in evidence order, at most the run's evidence cap; `count` is their total */
  evidence: Evidence[];
}

type Extreme = number | string;
/** earliest/latest: the values of the field in the event with the extreme time */
export interface Timed {
  time: number;
  values: string[];
}

/**
 * Distinct values a values()/dc() slot keeps: one group must not grow without end (a tunnel's
 * every destination port). The values refused are counted (the return of accumulate and
 * mergeGroupStates), and a dc() at the cap reads as at least this many.
 */
export const MAX_SLOT_VALUES = 10_000;

export function newGroupState(aggregates: AggregateSpec[]): GroupState {
  return { count: 0, slots: aggregates.map((a) => (a.fn === 'values' || a.fn === 'dc' ? new Set<string>() : null)), evidence: [] };
}

/**
 * Folds one event's values into `state`; `valueOf` returns the aggregate's input for this event.
 * Returns how many distinct values the slot cap refused (usually 0).
 */
export function accumulate(
  state: GroupState,
  aggregates: AggregateSpec[],
  valueOf: (field: string) => number | string | string[] | undefined,
): number {
  let refused = 0;
  state.count++;
  for (let i = 0; i < aggregates.length; i++) {
    const spec = aggregates[i];
    if (spec.fn === 'count' || spec.field === undefined) continue;
    const value = valueOf(spec.field);
    if (value === undefined) continue;
    if (spec.fn === 'earliest' || spec.fn === 'latest') {
      const time = valueOf('_time');
      const candidate = { time: typeof time === 'number' ? time : Number(time), values: (Array.isArray(value) ? value : [value]).map(String) };
      if (Number.isFinite(candidate.time)) state.slots[i] = pickTimed(spec.fn, state.slots[i] as Timed | null, candidate);
    } else if (spec.fn === 'min' || spec.fn === 'max') {
      for (const v of Array.isArray(value) ? value : [value]) state.slots[i] = pickExtreme(spec.fn, state.slots[i] as Extreme | null, v);
    } else {
      refused += addCapped(state.slots[i] as Set<string>, (Array.isArray(value) ? value : [value]).map(String));
    }
  }
  return refused;
}

/** adds distinct values up to MAX_SLOT_VALUES; returns how many new ones did not fit */
function addCapped(set: Set<string>, values: Iterable<string>): number {
  let refused = 0;
  for (const v of values) {
    if (set.size < MAX_SLOT_VALUES) set.add(v);
    else if (!set.has(v)) refused++;
  }
  return refused;
}

/** Folds `from` into `into`; returns how many distinct values the slot cap refused (usually 0). */
export function mergeGroupStates(into: GroupState, from: GroupState, aggregates: AggregateSpec[], evidenceCap: number): number {
  let refused = 0;
  into.count += from.count;
  into.evidence = mergeEvidence(into.evidence, from.evidence, evidenceCap);
  for (let i = 0; i < aggregates.length; i++) {
    const spec = aggregates[i];
    const other = from.slots[i];
    if (other === null || other === undefined) continue;
    if (spec.fn === 'earliest' || spec.fn === 'latest') {
      into.slots[i] = pickTimed(spec.fn, into.slots[i] as Timed | null, other as Timed);
    } else if (spec.fn === 'min' || spec.fn === 'max') {
      into.slots[i] = pickExtreme(spec.fn, into.slots[i] as Extreme | null, other as Extreme);
    } else if (spec.fn !== 'count') {
      refused += addCapped(into.slots[i] as Set<string>, other as Iterable<string>);
    }
  }
  return refused;
}

/** the earlier / later of two timed values; a tie keeps the smaller values so any merge order agrees */
function pickTimed(fn: 'earliest' | 'latest', current: Timed | null, candidate: Timed): Timed {
  if (current === null) return candidate;
  if (candidate.time !== current.time) return (fn === 'earliest') === candidate.time < current.time ? candidate : current;
  return candidate.values.join('\u0000') < current.values.join('\u0000') ? candidate : current;
}

/** Splunk compares numerically when both sides are numbers, else as strings. */
function pickExtreme(fn: 'min' | 'max', current: Extreme | null, candidate: Extreme): Extreme {
  if (typeof candidate === 'number' && Number.isNaN(candidate)) return current ?? candidate;
  if (current === null || (typeof current === 'number' && Number.isNaN(current))) return candidate;
  const a = toComparable(candidate);
  const b = toComparable(current);
  const less = typeof a === 'number' && typeof b === 'number' ? a < b : String(a) < String(b);
  return fn === 'min' ? (less ? candidate : current) : less || a === b ? current : candidate;
}

function toComparable(v: Extreme): Extreme {
  if (typeof v === 'number') return v;
  const n = Number(v);
  return v.trim() !== '' && Number.isFinite(n) ? n : v;
}

/** JSON-safe form of a state, for shipping between workers and keeping beside a stored finding. */
export function serializeGroupState(state: GroupState): SerializedGroupState {
  return { count: state.count, slots: state.slots.map((s) => (s instanceof Set ? [...s] : (s as Extreme | Timed | null))), evidence: [...state.evidence] };
}

export function deserializeGroupState(data: SerializedGroupState): GroupState {
  // evidence items are never changed in place, so the copy may share them
  return { count: data.count, slots: data.slots.map((s) => (Array.isArray(s) ? new Set(s) : s)), evidence: [...(data.evidence ?? [])] };
}

export interface SerializedGroupState {
  count: number;
  slots: Array<Extreme | string[] | Timed | null>;
  /** absent in states written before evidence existed (a stored checkpoint) */
  evidence?: Evidence[];
}
