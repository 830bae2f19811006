import type { FieldValue } from '../cim/model.js';
import type { Detection } from '../rules/detection.js';
import type { Expr } from '../rules/search-plan.js';
import { compilePredicate, type Predicate } from './predicate.js';

/**
 * A step detection's match, narrowed by its tuning filter: the filter speaks of the detection's
 * output columns, so it is asked about the row this one event would give (its BY columns and the
 * fields its aggregates read, under their output names). Aggregate totals are not known per event.
 */
export function withTuning(matches: Predicate, d: Detection, filter: Expr | undefined): Predicate {
  if (!filter) return matches;
  const keeps = compilePredicate(filter);
  const columns: Array<[column: string, field: string]> = [
    ...d.plan.by.filter((b) => b.field !== '_time').map((b) => [b.as, b.field] as [string, string]),
    ...d.plan.aggregates.filter((a) => a.field !== undefined && a.field !== '_time' && a.fn !== 'count' && a.fn !== 'dc').map((a) => [a.as, a.field as string] as [string, string]),
  ];
  return (fields, lowered) => {
    if (!matches(fields, lowered)) return false;
    const row: Record<string, FieldValue> = {};
    for (const [column, field] of columns) row[column] = fields[field] ?? 'null';
    return keeps(row);
  };
}

