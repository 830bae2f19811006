import type { Expr, SearchPlan, ValueExpr } from './search-plan.js';

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
    else if (v.kind === 'relation') [v.left, v.right].forEach(visitValue);
  };
  visit(expr);
  return [...out];
}

/** The output columns of a search: its BY columns, then its aggregates; what a filter over its rows can name. */
export function outputColumns(plan: Pick<SearchPlan, 'by' | 'aggregates'>): string[] {
  return [...plan.by.map((b) => b.as), ...plan.aggregates.map((a) => a.as)];
}
