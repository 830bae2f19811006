import type { Expr, OutputSettings, RowStage, SearchPlan, ValueExpr } from './search-plan.js';

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
 * (or the last `stats`'s) followed by those its row commands (eval, rex, lookup, eventstats, bin, join) write.
 */
export function rowColumns(plan: Pick<SearchPlan, 'by' | 'aggregates'>, output: Pick<OutputSettings, 'columns' | 'rowStages'>): string[] {
  if (output.columns) return output.columns;
  let columns = outputColumns(plan);
  for (const stage of output.rowStages) {
    if (stage.kind === 'stats') columns = [...stage.by.map((b) => b.as), ...stage.aggregates.map((a) => a.as)];
    else columns.push(...stageWrites(stage));
  }
  return [...new Set(columns)];
}

/** The columns a row command other than `stats` writes (new ones, or over those a row has). */
export function stageWrites(stage: RowStage): string[] {
  switch (stage.kind) {
    case 'eval':
      return [stage.field];
    case 'rex':
      return stage.groups.map((g) => g.as);
    case 'lookup':
      return stage.outputs.map((o) => o.as);
    case 'eventstats':
      return stage.aggregates.map((a) => a.as);
    case 'bin':
      return [stage.as];
    case 'join':
      return stage.columns.map((c) => c.as);
    default:
      return [];
  }
}

/**
 * The group-by columns of the rows after `stages`: the aggregation's BY columns (`by`), or the last
 * `stats`'s, that no later command wrote. Each holds one value per row, never a multivalue.
 */
export function keyColumns(by: string[], stages: RowStage[]): string[] {
  let keys = by;
  for (const stage of stages) {
    if (stage.kind === 'stats') keys = stage.by.map((b) => b.as);
    else keys = keys.filter((k) => !stageWrites(stage).includes(k));
  }
  return keys;
}
