import type { RowAggregate, RowStage } from '../rules/search-plan.js';
import { KEY_SEPARATOR, type Finding, type Row } from './finding.js';
import { toNumber } from './eval-functions.js';
import { compileValue } from './evaluate.js';

/**
 * A row on its way through the commands: `origin` is the aggregated row it came from (its index),
 * or, after `stats`, the BY values that now name it.
 */
export interface RowItem {
  row: Row;
  origin: number | string[];
  /** indexes of the aggregated rows that fed this one (its origin alone, or every row a `stats` group took in) */
  sources: number[];
  /** the subsearch findings a `join` joined into it (or into the rows a `stats` group took in): their events contributed too */
  joined?: Finding[];
}

type SetStage = Extract<RowStage, { kind: 'stats' | 'eventstats' | 'dedup' | 'sort' | 'head' }>;

/** The commands that read every row at once, as Splunk's search reference describes each. */
export function compileSetStage(stage: SetStage): (items: RowItem[]) => RowItem[] {
  switch (stage.kind) {
    case 'stats': {
      // rows lacking a BY column are left out; a multivalue BY column puts the row in one group per value
      // the groups come out ordered by their BY values, as Splunk's stats returns them
      const aggregates = stage.aggregates.map(withInput);
      return (items) =>
        [...groupRows(items, stage.by.map((b) => b.field))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, group]) => {
          const row: Row = {};
          stage.by.forEach((b, i) => (row[b.as] = group.key[i]));
          for (const a of aggregates) setColumn(row, a.as, aggregate(a, group.rows));
          return { row, origin: group.key, sources: group.sources, ...(group.joined.length > 0 && { joined: [...new Set(group.joined)] }) };
        });
    }
    case 'eventstats': {
      // each row gains its group's aggregates; a row lacking a BY column gains nothing and stays
      const aggregates = stage.aggregates.map(withInput);
      return (items) => {
        for (const [, group] of groupRows(items, stage.by)) {
          const values = aggregates.map((a) => [a.as, aggregate(a, group.rows)] as const);
          for (const row of group.rows) for (const [as, value] of values) setColumn(row, as, value);
        }
        return items;
      };
    }
    case 'dedup': {
      return (items) => {
        const seen = new Set<string>();
        return items.filter(({ row }) => {
          const values = stage.fields.map((f) => row[f]);
          if (values.some((v) => v === undefined || v === null)) return false;
          const key = values.map((v) => (Array.isArray(v) ? v.join('\n') : String(v))).join(KEY_SEPARATOR);
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        });
      };
    }
    case 'sort':
      return (items) => {
        const sorted = items.map((item, index) => ({ item, index }));
        sorted.sort((a, b) => {
          for (const key of stage.keys) {
            const order = compareValues(a.item.row[key.field], b.item.row[key.field]);
            if (order !== 0) return key.descending ? -order : order;
          }
          return a.index - b.index;
        });
        return sorted.slice(0, stage.limit).map((s) => s.item);
      };
    case 'head':
      return (items) => items.slice(0, stage.count);
  }
}

/** rows grouped by the values of `fields` (one group per value of a multivalue column), in first-seen order */
function groupRows(items: RowItem[], fields: string[]): Map<string, { key: string[]; rows: Row[]; sources: number[]; joined: Finding[] }> {
  const groups = new Map<string, { key: string[]; rows: Row[]; sources: number[]; joined: Finding[] }>();
  for (const { row, sources, joined } of items) {
    let keys: string[][] = [[]];
    for (const field of fields) {
      const values = textValues(row[field]);
      keys = keys.flatMap((k) => values.map((v) => [...k, v]));
    }
    for (const key of keys) {
      const id = key.join(KEY_SEPARATOR);
      const group = groups.get(id) ?? { key, rows: [], sources: [], joined: [] };
      group.rows.push(row);
      group.sources.push(...sources);
      if (joined) group.joined.push(...joined);
      groups.set(id, group);
    }
  }
  return groups;
}

function textValues(value: Row[string] | undefined): string[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [String(value)];
}

function setColumn(row: Row, column: string, value: Row[string]): void {
  if (value === null) delete row[column];
  else row[column] = value;
}

/** an aggregate with how it reads its input from a row: a column, or its eval(...) computed on the row */
type InputAggregate = RowAggregate & { input: (row: Row) => Row[string] | undefined };

function withInput(a: RowAggregate): InputAggregate {
  if (a.value === undefined) {
    const field = a.field;
    return { ...a, input: (row) => (field === undefined ? undefined : row[field]) };
  }
  const evaluate = compileValue(a.value);
  // a truth value only reaches count (the compiler saw to it): true counts, false and null do not
  return { ...a, input: (row) => {
    const value = evaluate(row);
    return value === false || value === null ? undefined : value === true ? 1 : value;
  } };
}

/**
 * count (rows, or rows with the column), dc and values (distinct values, values sorted), min/max
 * (numbers as numbers when every value is one), sum/avg/stdev over numeric values (stdev is the
 * sample standard deviation, as Splunk's), earliest/latest by the rows' `_time`.
 */
function aggregate(a: InputAggregate, rows: Row[]): Row[string] {
  if (a.fn === 'count' && a.field === undefined && a.value === undefined) return rows.length;
  const inputs = rows.map((row) => ({ row, value: a.input(row) })).filter((r) => r.value !== undefined && r.value !== null);
  const values = inputs.flatMap((r) => textValues(r.value));
  const numbers = values.map((v) => toNumber(v)).filter((n): n is number => n !== null);
  switch (a.fn) {
    case 'count':
      return inputs.length;
    case 'dc':
      return new Set(values).size;
    case 'values': {
      const distinct = [...new Set(values)].sort();
      return distinct.length === 0 ? null : distinct.length === 1 ? distinct[0] : distinct;
    }
    case 'min':
    case 'max': {
      if (values.length === 0) return null;
      if (numbers.length === values.length) return a.fn === 'min' ? Math.min(...numbers) : Math.max(...numbers);
      const sorted = [...values].sort();
      return a.fn === 'min' ? sorted[0] : sorted[sorted.length - 1];
    }
    case 'sum':
      return numbers.length === 0 ? null : numbers.reduce((x, y) => x + y, 0);
    case 'avg':
      return numbers.length === 0 ? null : numbers.reduce((x, y) => x + y, 0) / numbers.length;
    case 'stdev': {
      if (numbers.length < 2) return numbers.length === 0 ? null : 0;
      const mean = numbers.reduce((x, y) => x + y, 0) / numbers.length;
      return Math.sqrt(numbers.reduce((s, n) => s + (n - mean) ** 2, 0) / (numbers.length - 1));
    }
    case 'earliest':
    case 'latest': {
      let best: (typeof inputs)[number] | undefined;
      for (const input of inputs) {
        const time = toNumber(input.row._time as string | number) ?? -Infinity;
        const bestTime = best ? (toNumber(best.row._time as string | number) ?? -Infinity) : undefined;
        if (bestTime === undefined || (a.fn === 'earliest' ? time < bestTime : time >= bestTime)) best = input;
      }
      return best ? (best.value as Row[string]) : null;
    }
  }
}

/** numbers as numbers, anything else as text; an absent value sorts first */
function compareValues(a: Row[string] | undefined, b: Row[string] | undefined): number {
  if (a === undefined || a === null) return b === undefined || b === null ? 0 : -1;
  if (b === undefined || b === null) return 1;
  const x = toNumber(Array.isArray(a) ? a[0] : a);
  const y = toNumber(Array.isArray(b) ? b[0] : b);
  if (x !== null && y !== null) return x - y;
  const s = String(Array.isArray(a) ? a[0] : a);
  const t = String(Array.isArray(b) ? b[0] : b);
  return s < t ? -1 : s > t ? 1 : 0;
}
