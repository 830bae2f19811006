import type { Detection } from '../rules/detection.js';
import { compileRuleRegex } from '../rules/linear-regex.js';
import type { Expr, ValueTest } from '../rules/search-plan.js';
import type { ColumnValue } from './finding.js';
import { compileValueTest, regexFlags } from './value-test.js';

/**
 * Where a finding's columns hold what its detection's condition matched: per column, the
 * `[value index, start, end)` spans (UTF-16 offsets into that value as the finding holds it). For
 * `process=*ngrok*` it is the `ngrok` inside the command line, for `process_name=ngrok.exe` the whole
 * value. Views render these spans as `<mark>` around text nodes; the finding record is unchanged.
 */
export type MatchedValues = Record<string, Array<[number, number, number]>>;

/** The spans one condition leaf matched in one value, or undefined when it does not match it. */
type LeafSpans = (value: string) => Array<[number, number]> | undefined;

/**
 * Compiles a detection's condition into a function from a finding's columns to the spans its
 * positive leaves match (a leaf under NOT, or `!=`, matched by not matching: nothing to mark).
 * Leaves of the event search (`plan.where`) apply to the columns grouped or aggregated from their
 * field (BY, values, earliest, latest, min, max); leaves of filters after the aggregation apply to
 * the column they name. Matching is the engine's own: literal segments, RE2 for regexes.
 */
export function compileMatchedValues(detection: Detection): (columns: Record<string, unknown>) => MatchedValues | undefined {
  const byInput = new Map<string, LeafSpans[]>();
  collectLeaves(detection.plan.where, false, byInput);
  const byColumn = new Map<string, LeafSpans[]>();
  const add = (column: string, leaves: LeafSpans[] | undefined) => {
    if (leaves?.length) byColumn.set(column, [...(byColumn.get(column) ?? []), ...leaves]);
  };
  for (const b of detection.plan.by) add(b.as, byInput.get(b.field));
  for (const a of detection.plan.aggregates) {
    if (a.field !== undefined && ['values', 'earliest', 'latest', 'min', 'max'].includes(a.fn)) add(a.as, byInput.get(a.field));
  }
  for (const stage of detection.output.rowStages) {
    if (stage.kind !== 'filter') continue;
    const leaves = new Map<string, LeafSpans[]>();
    collectLeaves(stage.expr, false, leaves);
    for (const [column, list] of leaves) add(column, list);
  }
  return (columns) => {
    const matched: MatchedValues = {};
    for (const [column, leaves] of byColumn) {
      const value = columns[column] as ColumnValue | undefined;
      const values = value === undefined || value === null ? [] : Array.isArray(value) ? value : [String(value)];
      const spans = values.flatMap((v, index) => merge(leaves.flatMap((leaf) => leaf(v) ?? [])).map(([s, e]): [number, number, number] => [index, s, e]));
      if (spans.length > 0) matched[column] = spans;
    }
    return Object.keys(matched).length > 0 ? matched : undefined;
  };
}

function collectLeaves(expr: Expr, negated: boolean, into: Map<string, LeafSpans[]>): void {
  const push = (field: string, leaf: LeafSpans) => into.set(field, [...(into.get(field) ?? []), leaf]);
  switch (expr.kind) {
    case 'and':
    case 'or':
      for (const term of expr.terms) collectLeaves(term, negated, into);
      return;
    case 'not':
      return collectLeaves(expr.term, !negated, into);
    case 'compare':
      if (!negated && expr.op === '=') push(expr.field, patternSpans(expr.pattern));
      return;
    case 'in':
      if (!negated) for (const p of expr.patterns) push(expr.field, patternSpans(p));
      return;
    case 'test': {
      const leaf = negated || expr.field === null ? undefined : testSpans(expr.test);
      if (leaf && expr.field !== null) push(expr.field, leaf);
      return;
    }
    default:
      return;
  }
}

/** An SPL pattern: case-insensitive, `*` any run of characters. */
export function patternSpans(pattern: string): LeafSpans {
  return segmentSpans(pattern.toLowerCase().split('*'), false);
}

/**
 * The literal segments' positions when the value matches them in order (first at the start, last
 * at the end, the middle ones leftmost in between: optimal when `*` is the only wildcard).
 */
function segmentSpans(segments: string[], cased: boolean): LeafSpans {
  return (value) => {
    const subject = cased ? value : value.toLowerCase();
    const whole = (): Array<[number, number]> => [[0, value.length]];
    if (segments.length === 1) return subject === segments[0] ? whole() : undefined;
    const prefix = segments[0];
    const suffix = segments[segments.length - 1];
    if (!subject.startsWith(prefix) || !subject.endsWith(suffix) || subject.length < prefix.length + suffix.length) return undefined;
    const spans: Array<[number, number]> = prefix ? [[0, prefix.length]] : [];
    const end = subject.length - suffix.length;
    let pos = prefix.length;
    for (const segment of segments.slice(1, -1)) {
      if (segment === '') continue;
      const found = subject.indexOf(segment, pos);
      if (found < 0 || found + segment.length > end) return undefined;
      spans.push([found, found + segment.length]);
      pos = found + segment.length;
    }
    if (suffix) spans.push([end, subject.length]);
    // lower-casing changed the length (a few non-ASCII letters): the offsets would not fit the value
    if (subject.length !== value.length) return whole();
    return spans;
  };
}

/** Sigma's value tests: globs as segments, regexes by their first RE2 match, the rest mark the whole value. */
function testSpans(test: ValueTest): LeafSpans | undefined {
  if (test.op === 'glob' && test.tokens.every((t) => typeof t === 'string' || t.wildcard === '*')) {
    const segments = [''];
    for (const t of test.tokens) {
      if (typeof t === 'string') segments[segments.length - 1] += test.cased ? t : t.toLowerCase();
      else segments.push('');
    }
    return segmentSpans(segments, test.cased);
  }
  if (test.op === 'regex') {
    const compiled = compileRuleRegex(test.pattern, regexFlags(test.flags));
    if (!compiled.ok) return undefined;
    return (value) => {
      const span = compiled.regex.firstMatch(value);
      return span && span[1] > span[0] ? [span] : undefined;
    };
  }
  // presence tests say nothing about which part of a value mattered
  if (test.op === 'exists' || test.op === 'null' || test.op === 'fieldref') return undefined;
  let judge: ReturnType<typeof compileValueTest>;
  try {
    judge = compileValueTest(test);
  } catch {
    // content loading refuses such a test; marking must never be what breaks a report
    return undefined;
  }
  return (value) => (judge(value, value.toLowerCase(), undefined) ? [[0, value.length]] : undefined);
}

/** Spans sorted and overlapping ones joined. */
function merge(spans: Array<[number, number]>): Array<[number, number]> {
  const sorted = [...spans].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Array<[number, number]> = [];
  for (const [s, e] of sorted) {
    const last = out.at(-1);
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/**
 * For views that hold finding records, not findings (the HTML report, the dashboard): the matched
 * spans of a record, by its detection id. A Sigma rule runs as one detection per log source under
 * one id: the first of them whose condition marks something wins.
 */
export function matchedValuesByDetection(detections: Iterable<Detection>): (record: { detection_id: string }) => MatchedValues | undefined {
  const byId = new Map<string, Detection[]>();
  for (const d of detections) byId.set(d.ruleId ?? d.id, [...(byId.get(d.ruleId ?? d.id) ?? []), d]);
  const compiled = new Map<string, Array<ReturnType<typeof compileMatchedValues>>>();
  return (record) => {
    let highlighters = compiled.get(record.detection_id);
    if (!highlighters) compiled.set(record.detection_id, (highlighters = (byId.get(record.detection_id) ?? []).map(compileMatchedValues)));
    for (const highlight of highlighters) {
      const matched = highlight(record as Record<string, unknown>);
      if (matched) return matched;
    }
    return undefined;
  };
}
