import type { CimEvent, DatasetName, FieldValue } from '../cim/model.js';
import type { Detection } from '../rules/detection.js';
import type { ByField } from '../rules/search-plan.js';
import { compilePredicate, LoweredFields, type Predicate } from './predicate.js';
import { columnValues, findingId, KEY_SEPARATOR, type Finding } from './finding.js';
import {
  accumulate,
  deserializeGroupState,
  mergeGroupStates,
  newGroupState,
  serializeGroupState,
  type GroupState,
} from './partial-state.js';

/** BY value of an event lacking the field, before `fillnull` decides between `0` and dropping. */
const MISSING = '\u0000missing';
/** Splunk's fillnull_value for tstats under security_content_summariesonly */
const NULL_FILL = 'null';

export interface DetectorOptions {
  /** groups kept per detection; beyond it new groups are dropped and counted (bounded memory) */
  maxGroupsPerDetection?: number;
}

/** A finding group's state, addressed by detection and BY values: what workers ship and stores upsert. */
export interface PartialFinding {
  detectionId: string;
  key: string[];
  state: ReturnType<typeof serializeGroupState>;
  /** BY fields seen on at least one matched event (decides `fillnull` 0 versus drop) */
  seenFields: string[];
}

interface CompiledDetection {
  detection: Detection;
  matches: Predicate;
  /** `| search` / `| where` after the aggregation, over the output columns */
  keepsRow: (columns: Record<string, FieldValue>) => boolean;
  groups: Map<string, { key: string[]; state: GroupState }>;
  seenFields: Set<string>;
  droppedGroups: number;
}

export class Detector {
  private readonly byDataset = new Map<DatasetName, CompiledDetection[]>();
  private readonly compiled: CompiledDetection[];
  private readonly maxGroups: number;

  constructor(detections: Detection[], options: DetectorOptions = {}) {
    this.maxGroups = options.maxGroupsPerDetection ?? 100_000;
    this.compiled = detections.map((detection) => ({
      detection,
      matches: compilePredicate(detection.plan.where),
      keepsRow: allOf(detection.output.rowFilters.map(compilePredicate)),
      groups: new Map(),
      seenFields: new Set(),
      droppedGroups: 0,
    }));
    for (const c of this.compiled) {
      const list = this.byDataset.get(c.detection.plan.dataset) ?? [];
      list.push(c);
      this.byDataset.set(c.detection.plan.dataset, list);
    }
    this.datasets = new Set(this.byDataset.keys());
  }

  /** datasets some loaded detection reads: events of other datasets need not be normalized */
  readonly datasets: ReadonlySet<DatasetName>;

  /** `lowered`: the event's lowercased values, shared with other consumers of the same event */
  observe(event: CimEvent, lowered = new LoweredFields(event.fields)): void {
    const candidates = this.byDataset.get(event.dataset);
    if (!candidates) return;
    for (const c of candidates) {
      if (c.matches(event.fields, lowered)) this.record(c, event);
    }
  }

  private record(c: CompiledDetection, event: CimEvent): void {
    const { plan, output } = c.detection;
    const valueOf = (field: string) => (field === '_time' ? event.time : event.fields[field]);
    for (const key of groupKeys(plan.by, event.fields, output.missingBy === 'fill-null' ? NULL_FILL : MISSING)) {
      if (output.missingBy === 'drop' && !output.fillnullZero && key.includes(MISSING)) continue;
      for (const b of plan.by) if (event.fields[b.field] !== undefined) c.seenFields.add(b.field);
      const state = this.groupFor(c, key);
      if (state) accumulate(state, plan.aggregates, valueOf);
    }
  }

  private groupFor(c: CompiledDetection, key: string[]): GroupState | undefined {
    const id = key.join(KEY_SEPARATOR);
    let group = c.groups.get(id);
    if (!group) {
      if (c.groups.size >= this.maxGroups) {
        c.droppedGroups++;
        return undefined;
      }
      group = { key, state: newGroupState(c.detection.plan.aggregates) };
      c.groups.set(id, group);
    }
    return group.state;
  }

  partials(): PartialFinding[] {
    return this.compiled.flatMap((c) =>
      [...c.groups.values()].map((g) => ({
        detectionId: c.detection.id,
        key: g.key,
        state: serializeGroupState(g.state),
        seenFields: [...c.seenFields],
      })),
    );
  }

  merge(partials: Iterable<PartialFinding>): void {
    const byId = new Map(this.compiled.map((c) => [c.detection.id, c]));
    for (const p of partials) {
      const c = byId.get(p.detectionId);
      if (!c) continue;
      for (const f of p.seenFields) c.seenFields.add(f);
      const state = this.groupFor(c, p.key);
      if (state) mergeGroupStates(state, deserializeGroupState(p.state), c.detection.plan.aggregates);
    }
  }

  /** groups that could not be kept because a detection hit its group cap */
  droppedGroups(): Map<string, number> {
    return new Map(this.compiled.filter((c) => c.droppedGroups > 0).map((c) => [c.detection.name, c.droppedGroups]));
  }

  /** Final rows, ordered by detection name then BY values, as Splunk would return them. */
  findings(): Finding[] {
    const out: Finding[] = [];
    for (const c of [...this.compiled].sort((a, b) => compareText(a.detection.name, b.detection.name))) {
      const rows = [...resolvedGroups(c).values()]
        .map((g) => toFinding(c.detection, g.key, g.state))
        .filter((f) => c.keepsRow(columnValues(f)));
      out.push(...rows.sort(compareFindings));
    }
    return out;
  }
}

/**
 * Applies `fillnull` to the stored keys. A missing-value group and a literal `0` group can land on
 * the same key, so their states are merged (into copies: the detector keeps accepting events).
 */
function resolvedGroups(c: CompiledDetection): Map<string, { key: string[]; state: GroupState }> {
  const resolved = new Map<string, { key: string[]; state: GroupState }>();
  for (const g of c.groups.values()) {
    const key = resolveMissing(g.key, c.detection.plan.by, c.seenFields);
    if (!key) continue;
    const id = key.join(KEY_SEPARATOR);
    const copy = deserializeGroupState(serializeGroupState(g.state));
    const existing = resolved.get(id);
    if (existing) mergeGroupStates(existing.state, copy, c.detection.plan.aggregates);
    else resolved.set(id, { key, state: copy });
  }
  return resolved;
}

function allOf(predicates: Array<(fields: Record<string, FieldValue>) => boolean>) {
  return (fields: Record<string, FieldValue>) => predicates.every((p) => p(fields));
}

/** One key per combination of BY values: a multivalue field yields one row per value. */
function groupKeys(by: ByField[], fields: Record<string, FieldValue>, missing: string): string[][] {
  let keys: string[][] = [[]];
  for (const b of by) {
    const value = fields[b.field];
    const values = value === undefined || (Array.isArray(value) && value.length === 0) ? [missing] : Array.isArray(value) ? value : [value];
    keys = values.length === 1 ? keys.map((k) => [...k, values[0]]) : keys.flatMap((k) => values.map((v) => [...k, v]));
  }
  return keys;
}

/** `fillnull` gives 0 to a field some matched event had; a field no event had drops the row. */
function resolveMissing(key: string[], by: ByField[], seen: Set<string>): string[] | undefined {
  if (!key.includes(MISSING)) return key;
  const resolved: string[] = [];
  for (let i = 0; i < key.length; i++) {
    if (key[i] !== MISSING) resolved.push(key[i]);
    else if (seen.has(by[i].field)) resolved.push('0');
    else return undefined;
  }
  return resolved;
}

function toFinding(detection: Detection, key: string[], state: GroupState): Finding {
  const plan = detection.plan;
  const finding: Finding = {
    id: findingId(detection.id, key),
    detection,
    by: plan.by.map((b, i) => [b.as, key[i]]),
    count: state.count,
    aggregates: [],
  };
  plan.aggregates.forEach((spec, i) => {
    const slot = state.slots[i];
    const value =
      spec.fn === 'count' ? state.count
      : spec.fn === 'dc' ? (slot as Set<string>).size
      : spec.fn === 'values' ? [...(slot as Set<string>)].sort(compareText)
      : (slot as number | string | null);
    finding.aggregates.push([spec.as, value]);
    if (spec.field === '_time' && spec.fn === 'min') finding.firstTime = value as number;
    if (spec.field === '_time' && spec.fn === 'max') finding.lastTime = value as number;
  });
  return finding;
}

function compareFindings(a: Finding, b: Finding): number {
  for (let i = 0; i < a.by.length; i++) {
    const c = compareText(a.by[i][1], b.by[i][1]);
    if (c !== 0) return c;
  }
  return 0;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
