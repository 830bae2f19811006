/**
 * The pure side of a detection's finding groups: how an event's BY values become group keys,
 * how `fillnull` resolves a missing value, and how a group's state becomes a Finding row.
 * The Detector (detector.ts) owns the groups and their lifecycle; everything here is stateless.
 */
import type { CimEvent, FieldValue } from '../cim/model.js';
import type { Detection } from '../rules/detection.js';
import { EVENT_BY, type ByField } from '../rules/search-plan.js';
import { findingId, KEY_SEPARATOR, type Finding } from './finding.js';
import { deserializeGroupState, mergeGroupStates, serializeGroupState, type GroupState, type SerializedGroupState, type Timed } from './partial-state.js';

/** BY value of an event lacking the field, before `fillnull` decides between `0` and dropping. */
export const MISSING = '\u0000missing';
/** Splunk's fillnull_value for tstats under security_content_summariesonly */
export const NULL_FILL = 'null';

/** One finding group: a detection's aggregate state for one combination of BY values (and window). */
export interface Group {
  key: string[];
  /** window start, epoch seconds; undefined without windows */
  window?: number;
  state: GroupState;
  /** opened for events of a window that had already closed */
  late: boolean;
}

/** What resolving a detection's groups into rows needs to read. */
export interface GroupTable {
  detection: Detection;
  /** by group id (see groupId) */
  groups: Map<string, Group>;
  /** BY fields seen on at least one matched event */
  seenFields: Set<string>;
}

export function groupId(key: string[], window: number | undefined): string {
  const id = key.join(KEY_SEPARATOR);
  return window === undefined ? id : `${window}${KEY_SEPARATOR}${id}`;
}

/** One key per combination of BY values: a multivalue field yields one row per value. */
export function groupKeys(by: ByField[], event: CimEvent, missing: string): string[][] {
  let keys: string[][] = [[]];
  for (const b of by) {
    const value = byValue(b, event);
    const values = value === undefined || (Array.isArray(value) && value.length === 0) ? missing : Array.isArray(value) && value.length === 1 ? value[0] : value;
    // the keys are this call's own arrays: a single value is appended in place (copying every key
    // for each of a detection's BY fields made this the largest allocation per matched event)
    if (Array.isArray(values)) keys = keys.flatMap((k) => values.map((v) => [...k, v]));
    else for (const k of keys) k.push(values);
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

/** `fillnull` gives 0 to a field some matched event had; a field no event had drops the row. */
export function resolveMissing(key: string[], by: ByField[], seen: Set<string>): string[] | undefined {
  if (!key.includes(MISSING)) return key;
  const resolved: string[] = [];
  for (let i = 0; i < key.length; i++) {
    if (key[i] !== MISSING) resolved.push(key[i]);
    else if (seen.has(by[i].field)) resolved.push('0');
    else return undefined;
  }
  return resolved;
}

/** the newest _time a state holds, when its detection computes max(_time) */
export function latestTime(detection: Detection, state: GroupState): number {
  const i = detection.plan.aggregates.findIndex((a) => a.fn === 'max' && a.field === '_time');
  const value = i >= 0 ? state.slots[i] : null;
  return typeof value === 'number' ? value : -Infinity;
}

/**
 * Applies `fillnull` to the stored keys. A missing-value group and a literal `0` group can land on
 * the same key, so their states are merged (into copies: the detector keeps accepting events).
 * With `only`, just the rows some of those group ids feed (with every group feeding them).
 */
export function resolvedGroups(c: GroupTable, windowSeconds: number | undefined, evidenceCap: number, only?: Set<string>): Array<{ finding: Finding; sources: string[]; state: GroupState }> {
  const wanted = only && new Set([...only].flatMap((id) => {
    const g = c.groups.get(id);
    const key = g && resolveMissing(g.key, c.detection.plan.by, c.seenFields);
    return key ? [groupId(key, g.window)] : [];
  }));
  const resolved = new Map<string, { key: string[]; window?: number; state: GroupState; sources: string[] }>();
  const groups = only && !hasMissingKeys(c.detection) ? [...only].flatMap((id) => (c.groups.has(id) ? [[id, c.groups.get(id) as Group] as const] : [])) : c.groups;
  for (const [sourceId, g] of groups) {
    const key = resolveMissing(g.key, c.detection.plan.by, c.seenFields);
    if (!key) continue;
    const id = groupId(key, g.window);
    if (wanted && !wanted.has(id)) continue;
    const copy = deserializeGroupState(serializeGroupState(g.state));
    const existing = resolved.get(id);
    if (existing) {
      mergeGroupStates(existing.state, copy, c.detection.plan.aggregates, evidenceCap);
      existing.sources.push(sourceId);
    } else resolved.set(id, { key, window: g.window, state: copy, sources: [sourceId] });
  }
  return [...resolved.values()].map((r) => ({ finding: toFinding(c.detection, r.key, r.state, r.window, windowSeconds), sources: r.sources, state: r.state }));
}

/** whether some group may still merge with another once fillnull resolves it */
function hasMissingKeys(detection: Detection): boolean {
  return detection.output.missingBy === 'drop' && detection.output.fillnullZero === true;
}

/**
 * A finding's state folded into another state of the same finding (a stored final state and the
 * late update that followed it): the finding both together make, and their merged state.
 */
export function findingWithState(finding: Finding, state: SerializedGroupState, other: SerializedGroupState, evidenceCap: number): { finding: Finding; state: SerializedGroupState } {
  const { detection, window } = finding;
  const merged = deserializeGroupState(state);
  mergeGroupStates(merged, deserializeGroupState(other), detection.plan.aggregates, evidenceCap);
  const key = finding.by.map(([, value]) => value);
  return { finding: toFinding(detection, key, merged, window?.start, window && window.end - window.start), state: serializeGroupState(merged) };
}

export function toFinding(detection: Detection, key: string[], state: GroupState, window: number | undefined, windowSeconds: number | undefined): Finding {
  const plan = detection.plan;
  const finding: Finding = {
    id: findingId(detection.id, key, window),
    detection,
    by: plan.by.map((b, i) => [b.as, key[i]]),
    count: state.count,
    aggregates: [],
    evidence: state.evidence,
    evidenceCount: state.count,
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

/** Splunk's row order within one detection: by BY values, then window start. */
export function compareFindings(a: Finding, b: Finding): number {
  for (let i = 0; i < a.by.length; i++) {
    const c = compareText(a.by[i][1], b.by[i][1]);
    if (c !== 0) return c;
  }
  return (a.window?.start ?? 0) - (b.window?.start ?? 0);
}

/** code-unit order, as Splunk sorts text (not locale order) */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
