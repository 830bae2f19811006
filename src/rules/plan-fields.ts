import type { Expr, OutputSettings, SearchPlan, ValueExpr } from './search-plan.js';

/** Every field name an expression reads (a `fieldref` test names two), once each, in order of first use. */
export function fieldsOf(expr: Expr): string[] {
  const out = new Set<string>();
  const visit = (e: Expr): void => {
    if (e.kind === 'and' || e.kind === 'or') e.terms.forEach(visit);
    else if (e.kind === 'not') visit(e.term);
    else if (e.kind === 'compare' || e.kind === 'in') out.add(e.field);
    else if (e.kind === 'test') {
      if (e.field !== null) out.add(e.field);
      if (e.test.op === 'fieldref') out.add(e.test.other);
    }
    else if (e.kind === 'eval') visitValue(e.value);
  };
  const visitValue = (v: ValueExpr): void => {
    if (v.kind === 'field') out.add(v.name);
    else if (v.kind === 'call') v.args.forEach(visitValue);
    else if (v.kind === 'relation' || v.kind === 'arithmetic') [v.left, v.right].forEach(visitValue);
    else if (v.kind === 'logic') v.terms.forEach(visitValue);
    else if (v.kind === 'not') visitValue(v.value);
  };
  visit(expr);
  return [...out];
}

/** The output columns of a search: its BY columns, then its aggregates; what a filter over its rows can name. */
export function outputColumns(plan: Pick<SearchPlan, 'by' | 'aggregates'>): string[] {
  return [...plan.by.map((b) => b.as), ...plan.aggregates.map((a) => a.as)];
}

/**
 * The columns a detection's rows carry: those `table` / `fields` chose, else the aggregation's
 * (or the last `stats`'s) followed by those its row commands (eval, rex, lookup, eventstats, bin) write.
 */
export function rowColumns(plan: Pick<SearchPlan, 'by' | 'aggregates'>, output: Pick<OutputSettings, 'columns' | 'rowStages'>): string[] {
  if (output.columns) return output.columns;
  let columns = outputColumns(plan);
  for (const stage of output.rowStages) {
    if (stage.kind === 'stats') columns = [...stage.by.map((b) => b.as), ...stage.aggregates.map((a) => a.as)];
    else if (stage.kind === 'eval') columns.push(stage.field);
    else if (stage.kind === 'rex') columns.push(...stage.groups.map((g) => g.as));
    else if (stage.kind === 'lookup') columns.push(...stage.outputs.map((o) => o.as));
    else if (stage.kind === 'eventstats') columns.push(...stage.aggregates.map((a) => a.as));
    else if (stage.kind === 'bin') columns.push(stage.as);
  }
  return [...new Set(columns)];
}
