import type { RowStage } from '../rules/search-plan.js';
import { KEY_SEPARATOR, type Finding, type Row } from './finding.js';
import type { RowItem } from './row-set-stages.js';

type JoinStage = Extract<RowStage, { kind: 'join' }>;

/** a subsearch row, with the subsearch findings whose events made it */
export interface SubsearchRow {
  row: Row;
  from: Finding[];
}

/** Splunk's join reads at most this many subsearch rows (limits.conf [join] subsearch_maxout): the first ones */
export const JOIN_SUBSEARCH_MAXOUT = 50_000;

/**
 * Splunk's `join` with max=1: each row takes the first subsearch row (in the subsearch's order)
 * whose join fields hold the same values, compared exactly as text. The subsearch row's columns
 * are written (over the row's own with overwrite, only where the row has none without); a column
 * the subsearch row lacks writes nothing. A row with no match, or lacking a join field, is dropped
 * by an inner join and kept as it was by a left (outer) one. A row keeps its origin: one row in,
 * at most one out.
 */
export function joinRows(stage: JoinStage, items: RowItem[], subRows: SubsearchRow[]): RowItem[] {
  const first = new Map<string, SubsearchRow>();
  for (const sub of subRows.slice(0, JOIN_SUBSEARCH_MAXOUT)) {
    const key = keyOf(sub.row, stage.fields.map((f) => f.sub));
    if (key !== undefined && !first.has(key)) first.set(key, sub);
  }
  const mainFields = stage.fields.map((f) => f.main);
  return items.flatMap((item) => {
    const key = keyOf(item.row, mainFields);
    const matched = key === undefined ? undefined : first.get(key);
    if (!matched) return stage.type === 'inner' ? [] : [item];
    const row = { ...item.row };
    const match = matched.row;
    for (const { sub, as } of stage.columns) {
      const value = match[sub];
      if (value === undefined || value === null) continue;
      if (!stage.overwrite && row[as] !== undefined && row[as] !== null) continue;
      row[as] = value;
    }
    return [{ ...item, row, joined: [...(item.joined ?? []), ...matched.from] }];
  });
}

/** the join fields' values as one key; undefined when one is missing (a multivalue cannot occur: join fields are group keys) */
function keyOf(row: Row, fields: string[]): string | undefined {
  const values: string[] = [];
  for (const field of fields) {
    const value = row[field];
    if (value === undefined || value === null || Array.isArray(value)) return undefined;
    values.push(String(value));
  }
  return values.join(KEY_SEPARATOR);
}
