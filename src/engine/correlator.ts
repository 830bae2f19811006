import type { CimEvent, DatasetName } from '../cim/model.js';
import type { BoundCorrelation } from '../rules/correlation.js';
import { emptyStep, identityOf, isConfirmed, toFinding, type KeyState } from './correlation-findings.js';
import { KEY_SEPARATOR, type Finding } from './finding.js';
import { compareText } from './finding-groups.js';
import { addEvidence, DEFAULT_EVIDENCE_CAP, evidenceOf, mergeEvidence, type Evidence } from './evidence.js';
import { compilePredicate, LoweredFields, type Predicate } from './predicate.js';
import { CapTally, type CapCause } from '../diagnostics/cap-tally.js';
import { HeapGuard } from './heap-guard.js';
import { withTuning } from './step-filter.js';

export interface CorrelatorOptions {
  /** live keys per correlation; beyond it the least recently touched key is evicted and counted */
  maxKeys?: number;
  /** confirmed keys kept per correlation once they leave the live set */
  maxFindings?: number;
  /** distinct values kept per carried field and key (a long-lived tunnel must not grow a key without end) */
  maxValuesPerField?: number;
  /**
   * `watermark` (default, for a live stream whose events arrive roughly in time order): keys that
   * fell too far behind the newest event are retired. `cap`: only the max-keys cap bounds state, as
   * a scan needs: its files arrive in any order and from any era (threads share them), so the newest
   * event of one file says nothing about the events of another still to come.
   */
  expiry?: 'watermark' | 'cap';
  /** contributing events kept as evidence per step of a finding (the first ones by time) */
  evidenceCap?: number;
  /**
   * Streams: remember which keys changed for `changes()`, and free a confirmed key once it
   * expires (reported `closed`) instead of keeping it until the run ends.
   */
  trackChanges?: boolean;
  /** where keys, findings and values the caps or a nearly full heap refused are counted */
  caps?: CapTally;
  heap?: HeapGuard;
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

interface StepMatcher {
  step: number;
  detectionName: string;
  matches: Predicate;
}

interface CompiledCorrelation {
  correlation: BoundCorrelation;
  byDataset: Map<DatasetName, StepMatcher[]>;
  carryByStep: string[][];
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
  private readonly maxKeys: number;
  private readonly maxFindings: number;
  private readonly maxValues: number;
  private readonly expires: boolean;
  private readonly trackChanges: boolean;
  private readonly evidenceCap: number;
  private readonly caps: CapTally;
  private readonly heap: HeapGuard;
  /** findings of confirmed keys that expired since the last changes() (trackChanges only) */
  private closedSinceChanges: Finding[] = [];
  private watermark = -Infinity;
  private untimed = 0;

  constructor(correlations: BoundCorrelation[], options: CorrelatorOptions = {}) {
    this.maxKeys = options.maxKeys ?? 100_000;
    this.maxFindings = options.maxFindings ?? 100_000;
    this.maxValues = options.maxValuesPerField ?? 32;
    this.expires = (options.expiry ?? 'watermark') === 'watermark';
    this.trackChanges = options.trackChanges === true;
    this.evidenceCap = options.evidenceCap ?? DEFAULT_EVIDENCE_CAP;
    this.caps = options.caps ?? new CapTally();
    this.heap = options.heap ?? new HeapGuard();
    // a detection referenced by several steps or correlations is compiled once
    const predicates = new Map<string, Predicate>();
    this.compiled = correlations.map((correlation) => {
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
    return new Set(this.compiled.flatMap((c) => [...c.byDataset.keys()]));
  }

  /** `lowered`: the event's lowercased values, shared with other consumers of the same event */
  observe(event: CimEvent, lowered = new LoweredFields(event.fields)): void {
    if (!Number.isFinite(event.time)) {
      // without a time an event cannot be placed in a window
      if (this.compiled.some((c) => c.byDataset.has(event.dataset))) this.untimed++;
      return;
    }
    if (event.time > this.watermark) this.watermark = event.time;
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
      addEvidence(s.evidence, evidence, this.evidenceCap);
    }
    state.newest = Math.max(state.newest, event.time);
    for (const field of c.carryByStep[m.step]) {
      const value = event.fields[field];
      if (value === undefined) continue;
      let set = state.carried.get(field);
      if (!set) state.carried.set(field, (set = new Set()));
      this.carry(c, set, Array.isArray(value) ? value : [value]);
    }
  }

  /** adds values carried for a key up to the per-field cap; the ones beyond it are counted */
  private carry(c: CompiledCorrelation, set: Set<string>, values: Iterable<string>): void {
    for (const v of values) {
      if (set.has(v)) continue;
      if (set.size < this.maxValues) set.add(v);
      else this.caps.add('carried values', c.correlation.name, 'cap');
    }
  }

  /** the live state of a key, created on first sight; undefined when the cap leaves no room */
  private stateFor(c: CompiledCorrelation, alt: number, key: string[]): KeyState | undefined {
    const id = `${alt}${KEY_SEPARATOR}${key.join(KEY_SEPARATOR)}`;
    if (this.trackChanges) c.dirty.add(id);
    let state = c.live.get(id) ?? c.confirmed.get(id);
    if (state) {
      // re-insert so Map order is least-recently-touched first, the eviction order
      if (c.live.delete(id)) c.live.set(id, state);
      return state;
    }
    if (c.live.size >= this.maxKeys) {
      this.sweep(c);
      if (c.live.size >= this.maxKeys) this.evictOldest(c, 'cap');
    }
    // a nearly full heap: the new key takes the place of the least recently touched one
    if (c.live.size > 0 && this.heap.nearlyFull()) this.evictOldest(c, 'memory');
    state = { alt, key, steps: c.correlation.steps.map(emptyStep), carried: new Map(), newest: -Infinity };
    c.live.set(id, state);
    return state;
  }

  private evictOldest(c: CompiledCorrelation, cause: CapCause): void {
    const oldest = c.live.keys().next();
    if (oldest.done) return;
    // an unconfirmed key's steps so far are lost: a later step of its process can no longer confirm it
    if (!this.retire(c, oldest.value, cause)) this.caps.add('correlation keys', c.correlation.name, cause);
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
    if (!isConfirmed(state, c.correlation.windowSeconds)) return false;
    if (this.trackChanges) {
      // a stream reports the final state and lets the key go: memory stays bounded however long it runs
      c.dirty.delete(id);
      this.closedSinceChanges.push(toFinding(c.correlation, state));
      return true;
    }
    if (c.confirmed.size < this.maxFindings && cause === 'cap') {
      c.confirmed.set(id, state);
      return true;
    }
    c.droppedFindings++;
    this.caps.add('correlation findings', c.correlation.name, c.confirmed.size < this.maxFindings ? 'memory' : 'cap');
    return true;
  }

  /** sweeps at most once per window of event time: expiry stays amortised O(1) per event */
  private maybeSweep(c: CompiledCorrelation): void {
    if (this.watermark - c.lastSweep >= c.correlation.windowSeconds) this.sweep(c);
  }

  private sweep(c: CompiledCorrelation): void {
    if (!this.expires) return;
    c.lastSweep = this.watermark;
    const horizon = this.watermark - c.correlation.windowSeconds - c.correlation.latenessSeconds;
    for (const [id, state] of c.live) {
      if (state.newest >= horizon) continue;
      if (!this.retire(c, id)) c.expired++;
    }
  }

  partials(): CorrelationPartial[] {
    return this.compiled.flatMap((c) =>
      [...c.confirmed.values(), ...c.live.values()].map((s) => ({
        correlationId: c.correlation.id,
        alt: s.alt,
        key: s.key,
        steps: s.steps.map((st) => ({ count: st.count, minTime: st.minTime, maxTime: st.maxTime, detections: [...st.detections], events: st.events, evidence: [...st.evidence] })),
        carried: [...s.carried].map(([f, v]) => [f, [...v]] as [string, string[]]),
      })),
    );
  }

  /** Forgets every key (after `partials()` shipped them), keeping the compiled steps. */
  clear(): void {
    for (const c of this.compiled) {
      c.live.clear();
      c.confirmed.clear();
      c.dirty.clear();
    }
    this.closedSinceChanges = [];
  }

  merge(partials: Iterable<CorrelationPartial>): void {
    const byId = new Map(this.compiled.map((c) => [c.correlation.id, c]));
    for (const p of partials) {
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
        into.evidence = mergeEvidence(into.evidence, from.evidence ?? [], this.evidenceCap);
        if (from.count > 0) state.newest = Math.max(state.newest, from.maxTime);
      });
      for (const [field, values] of p.carried) {
        let set = state.carried.get(field);
        if (!set) state.carried.set(field, (set = new Set()));
        this.carry(c, set, values);
      }
      if (state.newest > this.watermark) this.watermark = state.newest;
    }
  }

  /** Confirmed findings whose keys changed since the last call, then those that expired (final, freed). */
  changes(): CorrelationChange[] {
    const out: CorrelationChange[] = [];
    for (const c of this.compiled) {
      for (const id of c.dirty) {
        const state = c.live.get(id) ?? c.confirmed.get(id);
        if (state && isConfirmed(state, c.correlation.windowSeconds)) out.push({ finding: toFinding(c.correlation, state), status: 'open' });
      }
      c.dirty.clear();
    }
    for (const finding of this.closedSinceChanges) out.push({ finding, status: 'closed' });
    this.closedSinceChanges = [];
    return out;
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
        .filter((s) => isConfirmed(s, c.correlation.windowSeconds))
        .map((s) => toFinding(c.correlation, s));
      out.push(...rows.sort((a, b) => compareText(a.by.map((x) => x[1]).join(KEY_SEPARATOR), b.by.map((x) => x[1]).join(KEY_SEPARATOR))));
    }
    return out;
  }
}
