import type { Expr } from '../rules/search-plan.js';
import { columnValues, type Finding } from './finding.js';
import { compilePredicate } from './predicate.js';

/** `--where`: keeps the findings whose output columns satisfy the expression (SPL semantics). */
export function keepRows(findings: Finding[], expr: Expr): Finding[] {
  const keeps = compilePredicate(expr);
  return findings.filter((f) => keeps(columnValues(f)));
}
