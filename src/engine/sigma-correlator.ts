import type { CimEvent, DatasetName } from '../cim/model.js';
import type { BoundCorrelation } from '../rules/correlation.js';
import type { SigmaCorrelationSpec } from '../rules/sigma/correlation.js';
import { correlationLimits, type CorrelationLimits } from './correlation-limits.js';
import { compareEvidence, evidenceOf, type Evidence } from './evidence.js';
import { findingId, KEY_SEPARATOR, type Finding } from './finding.js';
import { compareText } from './finding-groups.js';
import { compilePredicate, LoweredFields, type Predicate } from './predicate.js';
import { episodes, type Episode, type WindowEntry } from './sigma-windows.js';
import { withTuning } from './step-filter.js';

/** One event of a group as shipped between workers: time, matched-rule bits, value_count value, evidence. */
export type SigmaEntryData = [time: number, rules: number, value: string | null, evidence: Evidence];

/** A group's events, JSON-safe: partial states of one group merge by taking the union of their events. */
export interface SigmaGroupPartial {
  correlationId: string;
  key: string[];
  entries: SigmaEntryData[];
}

interface Entry extends WindowEntry {
  evidence: Evidence;
}

interface Group {
  key: string[];
  entries: Entry[];
  newest: number;
}

interface Matcher {
  rule: number;
  matches: Predicate;
  groupBy: string[];
  value?: string;
}

interface Compiled {
  correlation: BoundCorrelation;
  spec: SigmaCorrelationSpec;
  byDataset: Map<DatasetName, Matcher[]>;
  groups: Map<string, Group>;
  events: number;
  /** findings of groups expired (watermark expiry without trackChanges) */
  done: Finding[];
  lastSweep: number;
  dirty: Set<string>;
}

/**
 * Sigma correlation rules (event_count, value_count, temporal, temporal_ordered) over exact sliding
 * windows. Per correlation and group (the `group-by` values, lower-cased like every key) it keeps
 * each matching event's time, matched rules and evidence; windows are judged only when findings are
 * read, over the group's events sorted by time (sigma-windows.ts). So a state merged from any split
 * of the events is the state of one pass, and the findings are the same: computed after the merge,
 * like the Correlator's own keys. Memory is bounded by caps on groups and events, counted in the
 * run's CapTally when they refuse anything.
 */
export class SigmaCorrelator {
  private readonly compiled: Compiled[];
  private readonly limits: CorrelationLimits;
  /** events kept per correlation, over all its groups (every event of a group is needed for exact windows) */
  private readonly maxEvents: number;
  private closed: Finding[] = [];
  private watermark = -Infinity;

  /** `limits`: the Correlator's, so both count into one CapTally and share one heap guard */
  constructor(correlations: BoundCorrelation[], limits: CorrelationLimits = correlationLimits({}), maxEvents = 200_000) {
    this.limits = limits;
    this.maxEvents = maxEvents;
    this.compiled = correlations.flatMap((correlation) => {
      const spec = correlation.sigma;
      if (!spec) return [];
      const byDataset = new Map<DatasetName, Matcher[]>();
      correlation.steps.forEach((step, rule) => {
        for (const d of step.detections) {
          const fields = spec.fields[d.id];
          if (!fields) continue;
          const list = byDataset.get(d.plan.dataset) ?? [];
          list.push({ rule, matches: withTuning(compilePredicate(d.plan.where), d, correlation.stepFilters?.[d.id]), ...fields });
          byDataset.set(d.plan.dataset, list);
        }
      });
      return [{ correlation, spec, byDataset, groups: new Map(), events: 0, done: [], lastSweep: -Infinity, dirty: new Set<string>() }];
    });
  }

  get datasets(): DatasetName[] {
    return this.compiled.flatMap((c) => [...c.byDataset.keys()]);
  }

  /** an event with a finite time: files it under its group in every correlation one of whose rules it matches */
  observe(event: CimEvent, lowered = new LoweredFields(event.fields)): void {
    if (event.time > this.watermark) this.watermark = event.time;
    for (const c of this.compiled) {
      const matchers = c.byDataset.get(event.dataset);
      if (!matchers) continue;
      let rules = 0;
      let first: Matcher | undefined;
      for (const m of matchers) {
        if (!m.matches(event.fields, lowered)) continue;
        rules |= 1 << m.rule;
        first ??= m;
      }
      if (first) this.file(c, event, first, rules);
      if (this.limits.expires && this.watermark - c.lastSweep >= c.correlation.windowSeconds) this.sweep(c);
    }
  }

  private file(c: Compiled, event: CimEvent, m: Matcher, rules: number): void {
    const key: string[] = [];
    for (const field of m.groupBy) {
      const v = firstValue(event.fields[field]);
      // an event without a group-by value belongs to no group (as `stats ... by` drops it)
      if (v === undefined) return;
      key.push(v.toLowerCase());
    }
    const value = m.value === undefined ? undefined : firstValue(event.fields[m.value]);
    if (m.value !== undefined && value === undefined) return;
    const group = this.groupFor(c, key);
    if (!group) return;
    this.add(c, group, { time: event.time, rules, ...(value !== undefined && { value }), evidence: { ...evidenceOf(event), step: c.correlation.steps[m.rule].name } });
  }

  /** the group of a key, created on first sight; undefined (counted) when the cap or the heap leaves no room */
  private groupFor(c: Compiled, key: string[]): Group | undefined {
    const id = key.join(KEY_SEPARATOR);
    if (this.limits.trackChanges) c.dirty.add(id);
    const found = c.groups.get(id);
    if (found) return found;
    if (c.groups.size >= this.limits.maxKeys || this.limits.heap.nearlyFull()) {
      this.limits.caps.add('correlation keys', c.correlation.name, c.groups.size >= this.limits.maxKeys ? 'cap' : 'memory');
      return undefined;
    }
    const group: Group = { key, entries: [], newest: -Infinity };
    c.groups.set(id, group);
    return group;
  }

  private add(c: Compiled, group: Group, entry: Entry): void {
    if (c.events >= this.maxEvents) {
      this.limits.caps.add('correlation events', c.correlation.name, 'cap');
      return;
    }
    group.entries.push(entry);
    group.newest = Math.max(group.newest, entry.time);
    c.events++;
  }

  /** watermark expiry: a group whose newest event is two timespans behind the newest seen can grow no window: its findings are final */
  private sweep(c: Compiled): void {
    c.lastSweep = this.watermark;
    const horizon = this.watermark - 2 * c.correlation.windowSeconds;
    for (const [id, group] of c.groups) {
      if (group.newest >= horizon) continue;
      const found = this.groupFindings(c, group);
      if (this.limits.trackChanges) this.closed.push(...found);
      else {
        const room = Math.max(0, this.limits.maxFindings - c.done.length);
        c.done.push(...found.slice(0, room));
        this.limits.caps.add('correlation findings', c.correlation.name, 'cap', found.length - room);
      }
      c.events -= group.entries.length;
      c.groups.delete(id);
      c.dirty.delete(id);
    }
  }

  partials(): SigmaGroupPartial[] {
    return this.compiled.flatMap((c) =>
      [...c.groups.values()].map((g) => ({
        correlationId: c.correlation.id,
        key: g.key,
        entries: g.entries.map((e): SigmaEntryData => [e.time, e.rules, e.value ?? null, e.evidence]),
      })),
    );
  }

  merge(partials: Iterable<SigmaGroupPartial>): void {
    const byId = new Map(this.compiled.map((c) => [c.correlation.id, c]));
    for (const p of partials) {
      const c = byId.get(p.correlationId);
      if (!c || !Array.isArray(p.entries)) continue;
      const group = this.groupFor(c, p.key);
      if (!group) continue;
      for (const [time, rules, value, evidence] of p.entries) {
        if (!Number.isFinite(time)) continue;
        this.add(c, group, { time, rules, ...(value !== null && { value }), evidence });
        if (time > this.watermark) this.watermark = time;
      }
    }
  }

  clear(): void {
    for (const c of this.compiled) {
      c.groups.clear();
      c.dirty.clear();
      c.done = [];
      c.events = 0;
    }
    this.closed = [];
  }

  /** findings of the groups changed since the last call (open), then those of expired groups (closed, freed) */
  changes(): Array<{ finding: Finding; status: 'open' | 'closed' }> {
    const out: Array<{ finding: Finding; status: 'open' | 'closed' }> = [];
    for (const c of this.compiled) {
      for (const id of c.dirty) {
        const group = c.groups.get(id);
        if (group) out.push(...this.groupFindings(c, group).map((finding) => ({ finding, status: 'open' as const })));
      }
      c.dirty.clear();
    }
    out.push(...this.closed.map((finding) => ({ finding, status: 'closed' as const })));
    this.closed = [];
    return out;
  }

  /** every finding, ordered by correlation name, then group values, then time */
  findings(): Finding[] {
    const out: Finding[] = [];
    for (const c of [...this.compiled].sort((a, b) => compareText(a.correlation.name, b.correlation.name))) {
      const groups = [...c.groups.values()].sort((a, b) => compareText(a.key.join(KEY_SEPARATOR), b.key.join(KEY_SEPARATOR)));
      out.push(...c.done, ...groups.flatMap((g) => this.groupFindings(c, g)));
    }
    return out;
  }

  /** the episodes of one group as findings */
  private groupFindings(c: Compiled, group: Group): Finding[] {
    const entries = [...group.entries].sort((a, b) => compareEvidence(a.evidence, b.evidence));
    return episodes(entries, c.spec, c.correlation.windowSeconds, c.correlation.steps.length).map((e) => this.toFinding(c, group, entries, e));
  }

  private toFinding(c: Compiled, group: Group, entries: Entry[], e: Episode): Finding {
    const { correlation, spec } = c;
    const inside = entries.slice(e.first, e.last + 1);
    const firstTime = inside[0].time;
    const lastTime = inside[inside.length - 1].time;
    const rules = correlation.steps.filter((_, r) => inside.some((x) => x.rules & (1 << r))).map((s) => s.name);
    const measure = spec.type === 'event_count' ? 'event_count' : spec.type === 'value_count' ? 'value_count' : 'rule_count';
    const aggregates: Finding['aggregates'] = [
      ['count', inside.length],
      ['firstTime', firstTime],
      ['lastTime', lastTime],
      [measure, e.measure],
      ['rules', rules],
    ];
    if (spec.field !== undefined) {
      // the first values listed; `value_count` says how many there are
      const values = [...new Set(inside.flatMap((x) => (x.value === undefined ? [] : [x.value])))].sort(compareText);
      aggregates.push([spec.field, values.slice(0, this.limits.maxValues)]);
    }
    return {
      id: findingId(correlation.id, group.key, firstTime),
      detection: correlation.detection,
      by: spec.groupBy.map((g, i): [string, string] => [g, group.key[i]]),
      count: inside.length,
      aggregates,
      firstTime,
      lastTime,
      evidence: inside.slice(0, this.limits.evidenceCap).map((x) => x.evidence),
      evidenceCount: inside.length,
    };
  }
}

function firstValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}
