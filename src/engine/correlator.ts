import type { CimEvent, DatasetName } from '../cim/model.js';
import type { BoundCorrelation, CarriedColumn } from '../rules/correlation.js';
import { carriedValues, emptyStep, identityOf, isConfirmed, toFinding, type KeyState } from './correlation-findings.js';
import { KEY_SEPARATOR, type Finding } from './finding.js';
import { compareText } from './finding-groups.js';
import { addEvidence, evidenceOf, mergeEvidence, type Evidence } from './evidence.js';
import { compilePredicate, LoweredFields, type Predicate } from './predicate.js';
import type { CapCause } from '../diagnostics/cap-tally.js';
import { correlationLimits, type CorrelationLimitOptions, type CorrelationLimits } from './correlation-limits.js';
import { withTuning } from './step-filter.js';
import { SigmaCorrelator, type SigmaGroupPartial } from './sigma-correlator.js';

/** How the correlator's state is bounded (correlation-limits.ts); Sigma correlations also cap their events. */
export interface CorrelatorOptions extends CorrelationLimitOptions {
  /** events a Sigma correlation keeps for its windows, over all its groups */
  maxSigmaEvents?: number;
}

/** A correlation finding that changed since the last `changes()`; `closed` once its key expired and was freed. */
export interface CorrelationChange {
  finding: Finding;
  status: 'open' | 'closed';
}

/** JSON-safe per-key state, for shipping between workers like Detector.partials(). */
export interface CorrelationPartial {
  correlationId: string;
  alt: number;
  key: string[];
  steps: Array<{ count: number; minTime: number; maxTime: number; detections: string[]; events?: number; evidence?: Evidence[] }>;
  carried: Array<[field: string, values: string[]]>;
}

/** A key of either kind of correlation: our own (above) or a Sigma correlation's group (sigma-correlator.ts). */
export type AnyCorrelationPartial = CorrelationPartial | SigmaGroupPartial;

interface StepMatcher {
  step: number;
  detectionName: string;
  matches: Predicate;
}

interface CompiledCorrelation {
  correlation: BoundCorrelation;
  byDataset: Map<DatasetName, StepMatcher[]>;
  carryByStep: CarriedColumn[][];
  live: Map<string, KeyState>;
  confirmed: Map<string, KeyState>;
  evicted: number;
  expired: number;
  droppedFindings: number;
  lastSweep: number;
  /** key ids touched since the last changes() (trackChanges only) */
  dirty: Set<string>;
}

/**
 * Evaluates correlations per process: each event matching a referenced detection is filed under
 * its identity key (host + process_guid, else host + process_id...), and a key whose steps all
 * occurred within the window becomes one "confirmed" finding. Step times are kept as min/max,
 * so the result does not depend on the order events arrive in. State is bounded: keys whose
 * newest event is older than window + lateness behind the newest event seen are expired, and a
 * max-keys cap evicts the least recently touched key.
 */
export class Correlator {
  private readonly compiled: CompiledCorrelation[];
  private readonly limits: CorrelationLimits;
  /** findings of confirmed keys that expired since the last changes() (trackChanges only) */
  private closedSinceChanges: Finding[] = [];
  private watermark = -Infinity;
  private untimed = 0;
  /** the Sigma correlation rules, over exact sliding windows */
  private readonly sigma: SigmaCorrelator;
  private datasetSet?: ReadonlySet<DatasetName>;

  constructor(correlations: BoundCorrelation[], options: CorrelatorOptions = {}) {
    this.limits = correlationLimits(options);
    // a detection referenced by several steps or correlations is compiled once
    const predicates = new Map<string, Predicate>();
    this.sigma = new SigmaCorrelator(correlations, this.limits, options.maxSigmaEvents);
    this.compiled = correlations.filter((c) => !c.sigma).map((correlation) => {
      const byDataset = new Map<DatasetName, StepMatcher[]>();
      correlation.steps.forEach((s, step) => {
        for (const d of s.detections) {
          let matches = predicates.get(d.id);
          if (!matches) {
            matches = withTuning(compilePredicate(d.plan.where), d, correlation.stepFilters?.[d.id]);
            predicates.set(d.id, matches);
          }
          const list = byDataset.get(d.plan.dataset) ?? [];
          list.push({ step, detectionName: d.name, matches });
          byDataset.set(d.plan.dataset, list);
        }
      });
      return {
        correlation,
        byDataset,
        carryByStep: correlation.steps.map((s) => s.carry),
        live: new Map(),
        confirmed: new Map(),
        evicted: 0,
        expired: 0,
        droppedFindings: 0,
        lastSweep: -Infinity,
        dirty: new Set(),
      };
    });
  }

  /** datasets some step reads: the pipeline need not normalize others for the correlator */
  get datasets(): ReadonlySet<DatasetName> {
    this.datasetSet ??= new Set([...this.compiled.flatMap((c) => [...c.byDataset.keys()]), ...this.sigma.datasets]);
    return this.datasetSet;
  }

  /** `lowered`: the event's lowercased values, shared with other consumers of the same event */
  observe(event: CimEvent, lowered = new LoweredFields(event.fields)): void {
    if (!Number.isFinite(event.time)) {
      // without a time an event cannot be placed in a window
      if (this.datasets.has(event.dataset)) this.untimed++;
      return;
    }
    if (event.time > this.watermark) this.watermark = event.time;
    this.sigma.observe(event, lowered);
    for (const c of this.compiled) {
      const matchers = c.byDataset.get(event.dataset);
      if (!matchers) continue;
      let identity: { alt: number; key: string[] } | undefined | null = null;
      // an event matching several detections of one step is one piece of that step's evidence
      let evidence: Evidence | undefined;
      const evidenceSteps: number[] = [];
      for (const m of matchers) {
        if (!m.matches(event.fields, lowered)) continue;
        if (identity === null) identity = identityOf(c.correlation, event);
        if (identity === undefined) break;
        evidence ??= evidenceOf(event);
        const firstForStep = !evidenceSteps.includes(m.step);
        if (firstForStep) evidenceSteps.push(m.step);
        this.record(c, identity, m, event, firstForStep ? evidence : undefined);
      }
      this.maybeSweep(c);
    }
  }

  private record(c: CompiledCorrelation, identity: { alt: number; key: string[] }, m: StepMatcher, event: CimEvent, evidence: Evidence | undefined): void {
    const state = this.stateFor(c, identity.alt, identity.key);
    if (!state) return;
    const s = state.steps[m.step];
    s.count++;
    s.minTime = Math.min(s.minTime, event.time);
    s.maxTime = Math.max(s.maxTime, event.time);
    s.detections.add(m.detectionName);
    if (evidence) {
      s.events++;
      addEvidence(s.evidence, evidence, this.limits.evidenceCap);
    }
    state.newest = Math.max(state.newest, event.time);
    for (const carried of c.carryByStep[m.step]) {
      const values = carriedValues(carried, event);
      if (values.length === 0) continue;
      let set = state.carried.get(carried.column);
      if (!set) state.carried.set(carried.column, (set = new Set()));
      this.carry(c, set, values);
    }
  }

  /** adds values carried for a key up to the per-field cap; the ones beyond it are counted */
  private carry(c: CompiledCorrelation, set: Set<string>, values: Iterable<string>): void {
    for (const v of values) {
      if (set.has(v)) continue;
      if (set.size < this.limits.maxValues) set.add(v);
      else this.limits.caps.add('carried values', c.correlation.name, 'cap');
    }
  }

  /** the live state of a key, created on first sight; undefined when the cap leaves no room */
  private stateFor(c: CompiledCorrelation, alt: number, key: string[]): KeyState | undefined {
    const id = `${alt}${KEY_SEPARATOR}${key.join(KEY_SEPARATOR)}`;
    if (this.limits.trackChanges) c.dirty.add(id);
    let state = c.live.get(id) ?? c.confirmed.get(id);
    if (state) {
      // re-insert so Map order is least-recently-touched first, the eviction order
      if (c.live.delete(id)) c.live.set(id, state);
      return state;
    }
    if (c.live.size >= this.limits.maxKeys) {
      this.sweep(c);
      if (c.live.size >= this.limits.maxKeys) this.evictOldest(c, 'cap');
    }
    // a nearly full heap: the new key takes the place of the least recently touched one
    if (c.live.size > 0 && this.limits.heap.nearlyFull()) this.evictOldest(c, 'memory');
    state = { alt, key, steps: c.correlation.steps.map(emptyStep), carried: new Map(), newest: -Infinity };
    c.live.set(id, state);
    return state;
  }

  private evictOldest(c: CompiledCorrelation, cause: CapCause): void {
    const oldest = c.live.keys().next();
    if (oldest.done) return;
    // an unconfirmed key's steps so far are lost: a later step of its process can no longer confirm it
    if (!this.retire(c, oldest.value, cause)) this.limits.caps.add('correlation keys', c.correlation.name, cause);
    c.evicted++;
  }

  /**
   * Moves a live key out: a confirmed one is kept as a finding (or, refused by the findings cap or
   * a nearly full heap, counted) and true is returned; an unconfirmed one is dropped (false).
   */
  private retire(c: CompiledCorrelation, id: string, cause: CapCause = 'cap'): boolean {
    const state = c.live.get(id);
    if (!state) return false;
    c.live.delete(id);
    if (!isConfirmed(c.correlation, state)) return false;
    if (this.limits.trackChanges) {
      // a stream reports the final state and lets the key go: memory stays bounded however long it runs
      c.dirty.delete(id);
      this.closedSinceChanges.push(toFinding(c.correlation, state));
      return true;
    }
    if (c.confirmed.size < this.limits.maxFindings && cause === 'cap') {
      c.confirmed.set(id, state);
      return true;
    }
    c.droppedFindings++;
    this.limits.caps.add('correlation findings', c.correlation.name, c.confirmed.size < this.limits.maxFindings ? 'memory' : 'cap');
    return true;
  }

  /** sweeps at most once per window of event time: expiry stays amortised O(1) per event */
  private maybeSweep(c: CompiledCorrelation): void {
    if (this.watermark - c.lastSweep >= c.correlation.windowSeconds) this.sweep(c);
  }

  private sweep(c: CompiledCorrelation): void {
    if (!this.limits.expires) return;
    c.lastSweep = this.watermark;
    const horizon = this.watermark - c.correlation.windowSeconds - c.correlation.latenessSeconds;
    for (const [id, state] of c.live) {
      if (state.newest >= horizon) continue;
      if (!this.retire(c, id)) c.expired++;
    }
  }

  partials(): AnyCorrelationPartial[] {
    const ours = this.compiled.flatMap((c) =>
      [...c.confirmed.values(), ...c.live.values()].map((s) => ({
        correlationId: c.correlation.id,
        alt: s.alt,
        key: s.key,
        steps: s.steps.map((st) => ({ count: st.count, minTime: st.minTime, maxTime: st.maxTime, detections: [...st.detections], events: st.events, evidence: [...st.evidence] })),
        carried: [...s.carried].map(([f, v]) => [f, [...v]] as [string, string[]]),
      })),
    );
    return [...ours, ...this.sigma.partials()];
  }

  /** Forgets every key (after `partials()` shipped them), keeping the compiled steps. */
  clear(): void {
    for (const c of this.compiled) {
      c.live.clear();
      c.confirmed.clear();
      c.dirty.clear();
    }
    this.closedSinceChanges = [];
    this.sigma.clear();
  }

  merge(partials: Iterable<AnyCorrelationPartial>): void {
    const byId = new Map(this.compiled.map((c) => [c.correlation.id, c]));
    const sigma: SigmaGroupPartial[] = [];
    for (const p of partials) {
      if ('entries' in p) {
        sigma.push(p);
        continue;
      }
      const c = byId.get(p.correlationId);
      if (!c || p.steps.length !== c.correlation.steps.length) continue;
      const state = this.stateFor(c, p.alt, p.key);
      if (!state) continue;
      p.steps.forEach((from, i) => {
        const into = state.steps[i];
        into.count += from.count;
        // a step this partial never saw has no times (±Infinity, which JSON — the bus's store —
        // turns into null, and Math.min into 0: a 1970 firstTime)
        if (from.count > 0) {
          into.minTime = Math.min(into.minTime, from.minTime);
          into.maxTime = Math.max(into.maxTime, from.maxTime);
        }
        for (const d of from.detections) into.detections.add(d);
        into.events += from.events ?? 0;
        into.evidence = mergeEvidence(into.evidence, from.evidence ?? [], this.limits.evidenceCap);
        if (from.count > 0) state.newest = Math.max(state.newest, from.maxTime);
      });
      for (const [field, values] of p.carried) {
        let set = state.carried.get(field);
        if (!set) state.carried.set(field, (set = new Set()));
        this.carry(c, set, values);
      }
      if (state.newest > this.watermark) this.watermark = state.newest;
    }
    this.sigma.merge(sigma);
  }

  /** Confirmed findings whose keys changed since the last call, then those that expired (final, freed). */
  changes(): CorrelationChange[] {
    const out: CorrelationChange[] = [];
    for (const c of this.compiled) {
      for (const id of c.dirty) {
        const state = c.live.get(id) ?? c.confirmed.get(id);
        if (state && isConfirmed(c.correlation, state)) out.push({ finding: toFinding(c.correlation, state), status: 'open' });
      }
      c.dirty.clear();
    }
    for (const finding of this.closedSinceChanges) out.push({ finding, status: 'closed' });
    this.closedSinceChanges = [];
    return [...out, ...this.sigma.changes()];
  }

  /** keys dropped by the max-keys cap and incomplete keys expired, per correlation name */
  stats(): Map<string, { evicted: number; expired: number; droppedFindings: number; untimed: number }> {
    return new Map(
      this.compiled.map((c) => [
        c.correlation.name,
        { evicted: c.evicted, expired: c.expired, droppedFindings: c.droppedFindings, untimed: this.untimed },
      ]),
    );
  }

  /** One finding per confirmed key, ordered by correlation name then key values. */
  findings(): Finding[] {
    const out: Finding[] = [];
    for (const c of [...this.compiled].sort((a, b) => compareText(a.correlation.name, b.correlation.name))) {
      const rows = [...c.confirmed.values(), ...c.live.values()]
        .filter((s) => isConfirmed(c.correlation, s))
        .map((s) => toFinding(c.correlation, s));
      out.push(...rows.sort((a, b) => compareText(a.by.map((x) => x[1]).join(KEY_SEPARATOR), b.by.map((x) => x[1]).join(KEY_SEPARATOR))));
    }
    return [...out, ...this.sigma.findings()];
  }
}
