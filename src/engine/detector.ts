import type { CimEvent, DatasetName } from '../cim/model.js';
import { joinedSearches, type Detection } from '../rules/detection.js';
import { EVENT_BY } from '../rules/search-plan.js';
import { candidateIndexes, type CandidateIndex } from './candidate-index.js';
import type { TableStore } from './saved-tables.js';
import { compilePredicate, LoweredFields, type Predicate } from './predicate.js';
import type { Finding } from './finding.js';
import { rowShaper, setShaper } from './row-stages.js';
import {
  byValue,
  compareFindings,
  compareText,
  groupId,
  groupKeys,
  latestTime,
  MISSING,
  NULL_FILL,
  resolvedGroups,
  type Group,
  type GroupTable,
} from './finding-groups.js';
import { addEvidence, DEFAULT_EVIDENCE_CAP, evidenceOf } from './evidence.js';
import { CapTally } from '../diagnostics/cap-tally.js';
import { HeapGuard } from './heap-guard.js';
import { accumulate, deserializeGroupState, mergeGroupStates, newGroupState, serializeGroupState, type SerializedGroupState } from './partial-state.js';

export interface DetectorOptions {
  /** groups kept per detection; beyond it new groups are dropped and counted (bounded memory) */
  maxGroupsPerDetection?: number;
  /**
   * Cut time into UTC-aligned windows of this many seconds: a finding is then keyed by detection,
   * BY values and window. Undefined (a scan without --window): one window spans the whole run.
   */
  windowSeconds?: number;
  /** remember which findings changed since `changes()` was last called (streams; a scan has no use for it) */
  trackChanges?: boolean;
  /** contributing events kept as evidence per finding (the first ones by time; the total is always counted) */
  evidenceCap?: number;
  /** where groups refused by the cap or for memory are counted (shared with the rest of an analyzer) */
  caps?: CapTally;
  heap?: HeapGuard;
  /** where the candidate indexes are kept between runs over the same detections (a scan's: beside its compiled content) */
  indexTables?: TableStore;
}

/** A finding group's state, addressed by detection and BY values: what workers ship and stores upsert. */
export interface PartialFinding {
  detectionId: string;
  key: string[];
  /** start of the group's time window (epoch seconds), when the run has windows */
  window?: number;
  state: SerializedGroupState;
  /** BY fields seen on at least one matched event (decides `fillnull` 0 versus drop) */
  seenFields: string[];
}

/** What became of one finding since the last `changes()`: the pipeline turns these into upserts. */
export interface FindingChange {
  finding: Finding;
  /** `closed`: its window is past the watermark; this is its final state and its memory is freed */
  status: 'open' | 'closed';
  /** the finding's window had already closed when these events came: a late update, holding only them */
  late: boolean;
  /** a row filter (`| where count > 5`...) no longer keeps a finding that was shown before */
  retracted: boolean;
  /**
   * The finding's mergeable aggregate state, on closed and late changes: a consumer that keeps it
   * with the final finding can fold a later late update into it exactly (`findingWithState`).
   */
  state?: SerializedGroupState;
}

/** JSON-safe event-time state of a detector (null stands for -Infinity, which JSON cannot hold) */
export interface DetectorClock {
  newest: number | null;
  closedUpTo: number | null;
  lateEvents: number;
}

interface CompiledDetection extends GroupTable {
  /** compiled when the detection is first a candidate: with thousands of rules most never are */
  matches?: Predicate;
  /** the commands after the aggregation: the finding with its computed row, or undefined when a filter drops it */
  shape: (finding: Finding) => Finding | undefined;
  /** for commands that need every row (stats, dedup, sort, join, ...): a window's findings (and its joins' subsearch findings) to its output rows */
  shapeSet?: (findings: Finding[], joined?: Finding[][]) => Finding[];
  /** the subsearches of its joins, aggregated beside it (see joinedSearches) */
  joins: CompiledDetection[];
  /** a join's subsearch: its groups are state, its rows only the detection joining it reports */
  hidden?: true;
  /** per window, what shapeSet last reported (trackChanges only), to retract rows that went away */
  shownSets: Map<string, Map<string, Finding>>;
  /** group ids changed since the last changes() (trackChanges only) */
  dirty: Set<string>;
  /** ids of findings last reported as kept by the row filter (trackChanges only), to retract them */
  shown: Set<string>;
  /** seenFields.size when changes() last ran: a new field can turn dropped groups into rows */
  seenAtLastChanges: number;
}

export class Detector {
  private readonly byDataset: Map<DatasetName, CandidateIndex<CompiledDetection>>;
  private readonly compiled: CompiledDetection[];
  /**
   * The entries holding groups or seen fields since the last clear(): a bus worker drains after
   * every message, and with thousands of Sigma rules walking every entry cost more than the events.
   */
  private readonly touched = new Set<CompiledDetection>();
  private readonly maxGroups: number;
  private readonly windowSeconds?: number;
  private readonly trackChanges: boolean;
  private readonly evidenceCap: number;
  private readonly caps: CapTally;
  private readonly heap: HeapGuard;
  /** newest event time seen (epoch seconds) */
  private newest = -Infinity;
  /** windows ending at or before this are closed: their groups were reported final and freed */
  private closedUpTo = -Infinity;
  private lateEvents = 0;

  constructor(detections: Detection[], options: DetectorOptions = {}) {
    this.maxGroups = options.maxGroupsPerDetection ?? 100_000;
    this.windowSeconds = options.windowSeconds;
    this.trackChanges = options.trackChanges === true;
    this.evidenceCap = options.evidenceCap ?? DEFAULT_EVIDENCE_CAP;
    this.caps = options.caps ?? new CapTally();
    this.heap = options.heap ?? new HeapGuard();
    const entry = (detection: Detection, joins: CompiledDetection[], hidden: boolean): CompiledDetection => ({
      detection,
      ...(hidden ? { shape: (f: Finding) => f, hidden: true as const } : shapers(detection, this.evidenceCap)),
      joins,
      shownSets: new Map(),
      groups: new Map(),
      seenFields: new Set(),
      dirty: new Set(),
      shown: new Set(),
      seenAtLastChanges: 0,
    });
    this.compiled = detections.flatMap((detection) => {
      const joins = joinedSearches(detection).map((sub) => entry(sub, [], true));
      return [entry(detection, joins, false), ...joins];
    });
    const lists = new Map<DatasetName, CompiledDetection[]>();
    for (const c of this.compiled) {
      const list = lists.get(c.detection.plan.dataset) ?? [];
      list.push(c);
      lists.set(c.detection.plan.dataset, list);
    }
    this.byDataset = candidateIndexes(lists, (c) => c.detection.plan.where, options.indexTables);
    this.datasets = new Set(this.byDataset.keys());
  }

  /** datasets some loaded detection reads: events of other datasets need not be normalized */
  readonly datasets: ReadonlySet<DatasetName>;

  /** `lowered`: the event's lowercased values, shared with other consumers of the same event */
  observe(event: CimEvent, lowered = new LoweredFields(event.fields)): void {
    if (event.time > this.newest) this.newest = event.time;
    const index = this.byDataset.get(event.dataset);
    if (!index) return;
    for (const c of index.candidates(lowered)) {
      if ((c.matches ??= compilePredicate(c.detection.plan.where))(event.fields, lowered)) this.record(c, event);
    }
  }

  private record(c: CompiledDetection, event: CimEvent): void {
    const { plan, output } = c.detection;
    const valueOf = (field: string) => (field === '_time' ? event.time : event.fields[field]);
    const window = this.windowOf(event.time);
    const evidence = evidenceOf(event);
    let late = false;
    for (const key of groupKeys(plan.by, event, output.missingBy === 'fill-null' ? NULL_FILL : MISSING)) {
      if (output.missingBy === 'drop' && !output.fillnullZero && key.includes(MISSING)) continue;
      this.touched.add(c);
      for (const b of plan.by) if (b.field !== EVENT_BY && byValue(b, event) !== undefined) c.seenFields.add(b.field);
      const group = this.groupFor(c, key, window);
      if (!group) continue;
      this.caps.add('aggregate values', c.detection.name, 'cap', accumulate(group.state, plan.aggregates, valueOf));
      addEvidence(group.state.evidence, evidence, this.evidenceCap);
      late ||= group.late;
    }
    if (late) this.lateEvents++;
  }

  /**
   * The UTC-aligned window of an event time. An event without a time joins the window of the
   * newest event seen: it cannot be placed, and it must not be lost.
   */
  private windowOf(time: number): number | undefined {
    const size = this.windowSeconds;
    if (size === undefined) return undefined;
    const t = Number.isFinite(time) ? time : Number.isFinite(this.newest) ? this.newest : 0;
    return Math.floor(t / size) * size;
  }

  private groupFor(c: CompiledDetection, key: string[], window: number | undefined): Group | undefined {
    const id = groupId(key, window);
    let group = c.groups.get(id);
    if (!group) {
      if (c.groups.size >= this.maxGroups) {
        this.caps.add('finding groups', c.detection.name, 'cap');
        return undefined;
      }
      if (this.heap.nearlyFull()) {
        this.caps.add('finding groups', c.detection.name, 'memory');
        return undefined;
      }
      const late = window !== undefined && window + (this.windowSeconds as number) <= this.closedUpTo;
      group = { key, window, state: newGroupState(c.detection.plan.aggregates), late };
      c.groups.set(id, group);
    }
    if (this.trackChanges) c.dirty.add(id);
    return group;
  }

  partials(): PartialFinding[] {
    return this.compiled.filter((c) => this.touched.has(c)).flatMap((c) =>
      [...c.groups.values()].map((g) => ({
        detectionId: c.detection.id,
        key: g.key,
        ...(g.window !== undefined && { window: g.window }),
        state: serializeGroupState(g.state),
        seenFields: [...c.seenFields],
      })),
    );
  }

  /** Forgets every group (after `partials()` shipped them), keeping what was compiled: the next batch starts empty. */
  clear(): void {
    for (const c of this.touched) {
      c.groups.clear();
      c.seenFields.clear();
      c.dirty.clear();
      c.shown.clear();
      c.shownSets.clear();
    }
    this.touched.clear();
  }

  /** Folds partial states in (order-free); the caller guarantees each is merged once (see OriginLedger). */
  merge(partials: Iterable<PartialFinding>): void {
    const byId = new Map(this.compiled.map((c) => [c.detection.id, c]));
    for (const p of partials) {
      const c = byId.get(p.detectionId);
      if (!c) continue;
      this.touched.add(c);
      for (const f of p.seenFields) c.seenFields.add(f);
      const group = this.groupFor(c, p.key, this.windowSeconds === undefined ? undefined : (p.window ?? 0));
      if (!group) continue;
      const from = deserializeGroupState(p.state);
      this.caps.add('aggregate values', c.detection.name, 'cap', mergeGroupStates(group.state, from, c.detection.plan.aggregates, this.evidenceCap));
      if (group.late) this.lateEvents += from.count;
      const newest = latestTime(c.detection, from);
      if (newest > this.newest) this.newest = newest;
    }
  }

  /** newest event time seen, epoch seconds (-Infinity before any) */
  get newestTime(): number {
    return this.newest;
  }

  /** events that arrived after their window had closed (each produced a late update, none was dropped) */
  get lateEventCount(): number {
    return this.lateEvents;
  }

  /** the detector's sense of event time, for checkpoints */
  clock(): DetectorClock {
    return { newest: finiteOrNull(this.newest), closedUpTo: finiteOrNull(this.closedUpTo), lateEvents: this.lateEvents };
  }

  restoreClock(clock: DetectorClock): void {
    this.newest = clock.newest ?? -Infinity;
    this.closedUpTo = clock.closedUpTo ?? -Infinity;
    this.lateEvents = clock.lateEvents;
  }

  /** groups held in memory now, over every detection */
  get groupCount(): number {
    return this.compiled.reduce((n, c) => n + c.groups.size, 0);
  }

  /**
   * Findings changed since the last call (trackChanges), then those of every window ending at or
   * before `watermark`, reported `closed` and freed. Late groups (opened for a closed window) close
   * at the next call: a late update, then gone.
   */
  changes(watermark = -Infinity): FindingChange[] {
    const out: FindingChange[] = [];
    const size = this.windowSeconds;
    if (size !== undefined && watermark > this.closedUpTo) this.closedUpTo = Math.floor(watermark / size) * size;
    for (const c of this.compiled) {
      if (c.hidden) continue;
      if (c.seenFields.size !== c.seenAtLastChanges) {
        // a BY field seen for the first time decides fillnull for groups that lacked it
        for (const [id, g] of c.groups) if (g.key.includes(MISSING)) c.dirty.add(id);
        c.seenAtLastChanges = c.seenFields.size;
      }
      const closing = this.closing(c);
      const joins = c.joins.map((j) => ({ j, closing: this.closing(j) }));
      if ([{ j: c, closing }, ...joins].every(({ j, closing: ids }) => j.dirty.size === 0 && ids.size === 0)) continue;
      const touched = new Set([...c.dirty, ...closing]);
      if (c.shapeSet) {
        // a window is run again when its rows or its subsearches' rows changed
        const windows = new Set([{ j: c, closing }, ...joins].flatMap(({ j, closing: ids }) => [...j.dirty, ...ids].map((id) => j.groups.get(id)?.window)));
        out.push(...this.setChanges(c, windows, [closing, ...joins.map((x) => x.closing)]));
        for (const { j, closing: ids } of [{ j: c, closing }, ...joins]) {
          for (const id of ids) j.groups.delete(id);
          j.dirty.clear();
        }
        continue;
      }
      for (const { finding, sources, state } of resolvedGroups(c, this.windowSeconds, this.evidenceCap, touched)) {
        const closed = sources.every((id) => closing.has(id));
        const late = sources.some((id) => c.groups.get(id)?.late === true);
        const shaped = c.shape(finding);
        const kept = shaped !== undefined;
        const wasShown = c.shown.has(finding.id);
        if (kept) c.shown.add(finding.id);
        else c.shown.delete(finding.id);
        const change: FindingChange = { finding: shaped ?? finding, status: closed ? 'closed' : 'open', late, retracted: !kept };
        if (closed || late) change.state = serializeGroupState(state);
        if (kept || wasShown) out.push(change);
        if (closed) c.shown.delete(finding.id);
      }
      for (const id of closing) c.groups.delete(id);
      c.dirty.clear();
    }
    return out;
  }

  /** ids of the groups that close now: their window is past the watermark, or they are late */
  private closing(c: CompiledDetection): Set<string> {
    const closing = new Set<string>();
    const size = this.windowSeconds;
    if (size !== undefined) {
      for (const [id, g] of c.groups) if (g.late || (g.window as number) + size <= this.closedUpTo) closing.add(id);
    }
    return closing;
  }

  /**
   * A detection whose commands need every row: each window touched (in its groups or its joins'
   * subsearch groups: `closing[0]` its own closing ids, then each join's) is run again whole; its
   * rows are reported (closed with the window), and rows it no longer has retracted.
   */
  private setChanges(c: CompiledDetection, windows: Set<number | undefined>, closing: Array<Set<string>>): FindingChange[] {
    const out: FindingChange[] = [];
    const tables = [c, ...c.joins];
    for (const window of windows) {
      const ids = tables.map((t) => new Set([...t.groups].filter(([, g]) => g.window === window).map(([id]) => id)));
      const [resolved, ...joined] = tables.map((t, i) => resolvedGroups(t, this.windowSeconds, this.evidenceCap, ids[i]).map((r) => r.finding));
      const closed = ids.every((set, i) => [...set].every((id) => closing[i].has(id)));
      const late = ids.some((set, i) => [...set].some((id) => tables[i].groups.get(id)?.late === true));
      const rows = (c.shapeSet as NonNullable<CompiledDetection['shapeSet']>)(resolved, joined);
      const key = String(window);
      const before = c.shownSets.get(key) ?? new Map<string, Finding>();
      const now = new Map(rows.map((f) => [f.id, f]));
      for (const finding of rows) out.push({ finding, status: closed ? 'closed' : 'open', late, retracted: false });
      for (const [id, finding] of before) if (!now.has(id)) out.push({ finding, status: closed ? 'closed' : 'open', late, retracted: true });
      if (closed) c.shownSets.delete(key);
      else c.shownSets.set(key, now);
    }
    return out;
  }

  /** Final rows, ordered by detection name then BY values (then window), as Splunk would return them. */
  findings(): Finding[] {
    const out: Finding[] = [];
    for (const c of [...this.compiled].sort((a, b) => compareText(a.detection.name, b.detection.name))) {
      if (c.hidden) continue;
      const resolved = resolvedGroups(c, this.windowSeconds, this.evidenceCap).map((r) => r.finding);
      if (!c.shapeSet) {
        out.push(...resolved.flatMap((f) => c.shape(f) ?? []).sort(compareFindings));
        continue;
      }
      const byWindow = new Map<number | undefined, Finding[]>();
      for (const f of resolved.sort(compareFindings)) byWindow.set(f.window?.start, [...(byWindow.get(f.window?.start) ?? []), f]);
      const joined = c.joins.map((j) => resolvedGroups(j, this.windowSeconds, this.evidenceCap).map((r) => r.finding));
      for (const window of [...byWindow.keys()].sort((a, b) => (a ?? 0) - (b ?? 0))) {
        out.push(...c.shapeSet(byWindow.get(window)!, joined.map((list) => list.filter((f) => f.window?.start === window))));
      }
    }
    return out;
  }
}

function finiteOrNull(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

/** how a detection's rows are shaped: row by row, or (stats, dedup, sort, ...) a window's rows at once */
function shapers(detection: Detection, evidenceCap: number): Pick<CompiledDetection, 'shape' | 'shapeSet'> {
  const shapeSet = setShaper(detection, evidenceCap);
  return shapeSet ? { shape: (f) => f, shapeSet } : { shape: rowShaper(detection) };
}
