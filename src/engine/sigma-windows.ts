/**
 * The pure side of Sigma correlations: over one group's events, sorted by time, which sliding
 * windows satisfy the correlation, joined into episodes. Everything here depends only on the set of
 * events (never on the order they arrived in), so a group merged from any split of its events over
 * files, threads or workers gives the same episodes as one pass (docs/sigma.md, Correlations).
 */
import { conditionHolds, type SigmaCorrelationSpec } from '../rules/sigma/correlation.js';

/** One event of a group: its time, the rules it matched (bit i: rule i), and its value_count value. */
export interface WindowEntry {
  time: number;
  rules: number;
  value?: string;
}

/** Consecutive satisfied windows that share events: one finding. Indexes into the sorted entries, inclusive. */
export interface Episode {
  first: number;
  last: number;
  /** the largest count (events, distinct values, rules) of its satisfied windows */
  measure: number;
}

/**
 * Windows are anchored at each distinct event time `t`: the events with time in [t - timespan, t],
 * both ends included (an event exactly `timespan` after another shares its window; one a
 * millisecond later does not). Every span of `timespan` seconds holding some set of events lies in
 * the window anchored at its last event, so no combination is missed. `entries` must be sorted by time.
 */
export function episodes(entries: readonly WindowEntry[], spec: Pick<SigmaCorrelationSpec, 'type' | 'condition'>, timespan: number, ruleCount: number): Episode[] {
  const measure = measurer(entries, spec.type, ruleCount);
  const out: Episode[] = [];
  let lo = 0;
  for (let hi = 0; hi < entries.length; hi++) {
    // the window of a time ends at its last event: later events of the same time belong in it
    if (hi + 1 < entries.length && entries[hi + 1].time === entries[hi].time) continue;
    const t = entries[hi].time;
    while (entries[lo].time < t - timespan) lo++;
    const m = measure(lo, hi);
    if (!conditionHolds(spec.condition, m)) continue;
    const open = out[out.length - 1];
    if (open && lo <= open.last) {
      open.last = hi;
      open.measure = Math.max(open.measure, m);
    } else {
      out.push({ first: lo, last: hi, measure: m });
    }
  }
  return out;
}

/**
 * The count a window [lo, hi] is judged by. Windows only move forward (lo and hi never decrease),
 * so event and value counts are kept incrementally; temporal_ordered searches each window.
 */
function measurer(entries: readonly WindowEntry[], type: SigmaCorrelationSpec['type'], ruleCount: number): (lo: number, hi: number) => number {
  switch (type) {
    case 'event_count':
      return (lo, hi) => hi - lo + 1;
    case 'value_count': {
      const counts = new Map<string, number>();
      return slider((e, d) => {
        if (e.value === undefined) return;
        const n = (counts.get(e.value) ?? 0) + d;
        if (n === 0) counts.delete(e.value);
        else counts.set(e.value, n);
      }, () => counts.size, entries);
    }
    case 'temporal': {
      const perRule = new Array<number>(ruleCount).fill(0);
      let seen = 0;
      return slider((e, d) => {
        for (let r = 0; r < ruleCount; r++) {
          if ((e.rules & (1 << r)) === 0) continue;
          if (d > 0 && perRule[r]++ === 0) seen++;
          if (d < 0 && --perRule[r] === 0) seen--;
        }
      }, () => seen, entries);
    }
    case 'temporal_ordered': {
      const times = Array.from({ length: ruleCount }, (_, r) => entries.filter((e) => e.rules & (1 << r)).map((e) => e.time));
      return (lo, hi) => orderedPrefix(times, entries[lo].time, entries[hi].time);
    }
  }
}

/** Adds entries entering the window and removes those leaving it, then reads the count. */
function slider(apply: (e: WindowEntry, delta: 1 | -1) => void, read: () => number, entries: readonly WindowEntry[]): (lo: number, hi: number) => number {
  let from = 0;
  let to = -1;
  return (lo, hi) => {
    while (to < hi) apply(entries[++to], 1);
    while (from < lo) apply(entries[from++], -1);
    return read();
  }
}

/**
 * How many of the rules, in their order, match events in [start, end] with non-decreasing times:
 * the earliest event of rule 1, then the earliest of rule 2 not before it, and so on (taking the
 * earliest possible event at each step never misses an ordering). Events of one time count as
 * ordered either way: their order in the logs is not theirs to tell.
 */
export function orderedPrefix(times: ReadonlyArray<readonly number[]>, start: number, end: number): number {
  let after = start;
  for (let r = 0; r < times.length; r++) {
    const t = times[r][lowerBound(times[r], after)];
    if (t === undefined || t > end) return r;
    after = t;
  }
  return times.length;
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
