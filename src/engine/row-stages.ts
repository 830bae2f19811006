import type { FieldValue } from '../cim/model.js';
import type { Detection } from '../rules/detection.js';
import { setStageKinds, type JoinedSearch, type LookupTable, type RowStage } from '../rules/search-plan.js';
import { compileRuleRegex } from '../rules/linear-regex.js';
import { compileValue } from './evaluate.js';
import type { Value } from './eval-functions.js';
import { aggregatedColumns, ctime, findingId, type ColumnValue, type Finding, type Row } from './finding.js';
import { compileSegments } from './matcher.js';
import { compilePredicate } from './predicate.js';
import { DEFAULT_EVIDENCE_CAP, mergeEvidence } from './evidence.js';
import { compileSetStage, type RowItem } from './row-set-stages.js';
import { joinRows, type SubsearchRow } from './join-stage.js';
import { compareFindings } from './finding-groups.js';

/** Runs a row through the commands after the aggregation, in order; undefined when a filter drops it. */
export type RowPipeline = (row: Row) => Row | undefined;

/** Row-by-row commands only (see compileRowSetPipeline for those that need every row). */
export function compileRowStages(stages: RowStage[]): RowPipeline {
  const steps = stages.map((stage) => {
    if (setStageKinds.has(stage.kind)) throw new Error(`${stage.kind} needs every row: use compileRowSetPipeline`);
    return compileStage(stage as RowByRowStage);
  });
  return (input) => {
    let row: Row | undefined = { ...input };
    for (const step of steps) {
      row = step(row);
      if (!row) return undefined;
    }
    return row;
  };
}

type RowByRowStage = Exclude<RowStage, { kind: 'stats' | 'eventstats' | 'dedup' | 'sort' | 'head' | 'join' }>;

/**
 * Every command over the whole set of a detection's rows (in one window), in order: row-by-row
 * commands run per row, stats/eventstats/dedup/sort/head on the rows at that point, and the n-th
 * join with `joined[n]`, its subsearch's rows of the same window.
 */
export function compileRowSetPipeline(stages: RowStage[]): (rows: Row[], joined?: SubsearchRow[][]) => RowItem[] {
  let joins = 0;
  const steps = stages.map((stage): ((items: RowItem[], joined: SubsearchRow[][]) => RowItem[]) => {
    if (stage.kind === 'join') {
      const n = joins++;
      return (items, joined) => joinRows(stage, items, joined[n] ?? []);
    }
    if (stage.kind === 'stats' || stage.kind === 'eventstats' || stage.kind === 'dedup' || stage.kind === 'sort' || stage.kind === 'head') return compileSetStage(stage);
    const perRow = compileStage(stage);
    return (items) => items.flatMap((item) => {
      const row = perRow(item.row);
      return row ? [{ ...item, row }] : [];
    });
  });
  return (rows, joined = []) => steps.reduce((items, step) => step(items, joined), rows.map((row, origin): RowItem => ({ row: { ...row }, origin, sources: [origin] })));
}

/**
 * A join's subsearch as Splunk runs it over the same window: its aggregated rows in the order
 * tstats returns them (by BY values), through its own commands, with the columns it chose.
 */
function subsearchRows(search: JoinedSearch): (findings: Finding[]) => SubsearchRow[] {
  const run = compileRowSetPipeline(search.output.rowStages);
  const chosen = search.output.columns;
  const pick = (row: Row): Row => (chosen ? Object.fromEntries(chosen.filter((c) => c in row).map((c) => [c, row[c]])) : row);
  return (findings) => {
    const sorted = [...findings].sort(compareFindings);
    return run(sorted.map(aggregatedColumns)).map((item) => ({ row: pick(item.row), from: item.sources.map((i) => sorted[i]) }));
  };
}

/** Runs a finding's row through the detection's row-by-row commands; only computing commands give it a `row`. */
export function rowShaper(detection: Detection): (finding: Finding) => Finding | undefined {
  const stages = detection.output.rowStages;
  if (stages.length === 0) return (finding) => finding;
  const run = compileRowStages(stages);
  const computes = stages.some((s) => s.kind !== 'filter');
  return (finding) => {
    const row = run(aggregatedColumns(finding));
    if (!row) return undefined;
    return computes ? { ...finding, row } : finding;
  };
}

/**
 * The findings of a detection whose commands need every row (stats, eventstats, dedup, sort,
 * head, join), from its aggregated findings of one window (and, per join, its subsearch's of that
 * window): a row that kept its origin keeps that finding's id; a row `stats` made is named by its
 * BY values (and the window).
 */
export function setShaper(detection: Detection, evidenceCap = DEFAULT_EVIDENCE_CAP): ((findings: Finding[], joined?: Finding[][]) => Finding[]) | undefined {
  const stages = detection.output.rowStages;
  if (!stages.some((s) => setStageKinds.has(s.kind))) return undefined;
  const run = compileRowSetPipeline(stages);
  const subsearches = stages.flatMap((s) => (s.kind === 'join' ? [subsearchRows(s.search)] : []));
  return (findings, joined = []) => {
    const items = run(findings.map(aggregatedColumns), subsearches.map((rows, n) => rows(joined[n] ?? [])));
    // a row made from several findings (by `stats`, or a `join`) carries their evidence: the first events of all (capped), and their total
    const evidenceOf = (fed: Finding[]): Pick<Finding, 'evidence' | 'evidenceCount'> => ({
      evidence: fed.reduce((list, f) => mergeEvidence(list, f.evidence, evidenceCap), [] as Finding['evidence']),
      evidenceCount: fed.reduce((n, f) => n + f.evidenceCount, 0),
    });
    return items.map(({ row, origin, sources, joined: subsearch = [] }) => {
      if (typeof origin === 'number') return subsearch.length === 0 ? { ...findings[origin], row } : { ...findings[origin], row, ...evidenceOf([findings[origin], ...new Set(subsearch)]) };
      const window = findings[0]?.window;
      const count = typeof row.count === 'number' ? row.count : 1;
      const fed = [...new Set(sources)].map((i) => findings[i]);
      const finding: Finding = { id: findingId(detection.id, origin, window?.start), detection, by: [], count, aggregates: [], row, ...evidenceOf([...fed, ...new Set(subsearch)]) };
      if (window) finding.window = window;
      if (typeof row.firstTime === 'number') finding.firstTime = row.firstTime;
      if (typeof row.lastTime === 'number') finding.lastTime = row.lastTime;
      return finding;
    });
  };
}

function compileStage(stage: RowByRowStage): (row: Row) => Row | undefined {
  switch (stage.kind) {
    case 'ctime':
      return (row) => {
        const value = row[stage.field];
        if (typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))) row[stage.field] = ctime(Number(value));
        return row;
      };
    case 'filter': {
      const keeps = compilePredicate(stage.expr);
      return (row) => (keeps(searchable(row)) ? row : undefined);
    }
    case 'eval': {
      const value = compileValue(stage.value);
      return (row) => assign(row, stage.field, columnValue(value(row)));
    }
    case 'bin':
      // Splunk's bin of a time span: the start of the span the value falls in (a value that is no number stays)
      return (row) => {
        const value = row[stage.field];
        const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
        if (Number.isFinite(n)) row[stage.as] = Math.floor(n / stage.span) * stage.span;
        else if (stage.as !== stage.field && value !== undefined) row[stage.as] = value;
        return row;
      };
    case 'rex':
      return rex(stage);
    case 'lookup':
      return lookup(stage);
  }
}

/** the row as filters read it: text values, null columns absent */
function searchable(row: Row): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  for (const [column, value] of Object.entries(row)) {
    if (value !== null) fields[column] = Array.isArray(value) ? value : String(value);
  }
  return fields;
}

function columnValue(value: Value): ColumnValue {
  return typeof value === 'boolean' ? String(value) : value;
}

/** a null value removes the column, as eval of null() does in Splunk */
function assign(row: Row, column: string, value: ColumnValue): Row {
  if (value === null || (Array.isArray(value) && value.length === 0)) delete row[column];
  else row[column] = value;
  return row;
}

/**
 * The first value of the column the expression matches gives the groups; a group that took part
 * in the match sets its column, one that did not leaves it. No match leaves the row as it was.
 */
function rex(stage: Extract<RowStage, { kind: 'rex' }>): (row: Row) => Row {
  const compiled = compileRuleRegex(stage.pattern);
  if (!compiled.ok) return (row) => row;
  const regex = compiled.regex;
  return (row) => {
    const value = row[stage.field];
    const values = value === null || value === undefined ? [] : Array.isArray(value) ? value : [String(value)];
    for (const text of values) {
      const groups = regex.groups(text);
      if (!groups) continue;
      for (const { group, as } of stage.groups) if (groups[group] !== undefined) row[as] = groups[group];
      break;
    }
    return row;
  };
}

/**
 * Splunk's CSV lookup, as transforms.conf defines its settings: a table row matches when each
 * input column equals one of the row column's values (case-insensitively unless
 * case_sensitive_match, with `*` a wildcard in WILDCARD(column) columns); the first max_matches
 * rows in file order are taken; with fewer than min_matches, every output is default_match.
 * Several matches make an output multivalue (each value once, in file order). OUTPUT overwrites
 * the output columns (no match clears them); OUTPUTNEW writes only columns the row lacks.
 */
function lookup(stage: Extract<RowStage, { kind: 'lookup' }>): (row: Row) => Row {
  const table = stage.table;
  const fold = (text: string) => (table.caseSensitive ? text : text.toLowerCase());
  const matchers = stage.inputs.map((input) => ({ field: input.field, cells: cellMatchers(table, input.column, fold) }));
  return (row) => {
    const inputs = matchers.map((m) => ({ values: textValues(row[m.field]).map(fold), cells: m.cells }));
    const matched: string[][] = [];
    if (inputs.every((i) => i.values.length > 0)) {
      for (let r = 0; r < table.rows.length && matched.length < table.maxMatches; r++) {
        if (inputs.every((i) => i.values.some((v) => i.cells[r](v)))) matched.push(table.rows[r]);
      }
    }
    for (const output of stage.outputs) {
      if (!stage.overwrite && row[output.as] !== undefined && row[output.as] !== null) continue;
      if (matched.length < table.minMatches) {
        assign(row, output.as, table.defaultMatch ?? null);
        continue;
      }
      const values = [...new Set(matched.map((r) => r[output.column]).filter((v) => v !== ''))];
      assign(row, output.as, values.length === 1 ? values[0] : values);
    }
    return row;
  };
}

function textValues(value: ColumnValue | undefined): string[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [String(value)];
}

/** per table row, a test of one (folded) row value against that row's cell of `column` */
function cellMatchers(table: LookupTable, column: number, fold: (text: string) => string): Array<(folded: string) => boolean> {
  return table.rows.map((cells) => {
    const cell = fold(cells[column] ?? '');
    if (table.wildcard[column] && cell.includes('*')) return compileSegments(cell.split('*'));
    return (folded) => folded === cell;
  });
}
