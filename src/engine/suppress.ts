import type { Tuning } from '../rules/tuning.js';
import { columnValues, type Finding } from './finding.js';
import { compilePredicate } from './predicate.js';

export interface Suppression {
  finding: Finding;
  /** the filter macro that rejected it */
  macro: string;
}

export interface SuppressionResult {
  kept: Finding[];
  suppressed: Suppression[];
  /** detection name -> findings its tuning filter suppressed */
  countsByDetection: Map<string, number>;
}

/**
 * Applies each detection's `<name>_filter` as ESCU does: `| <filter>` after the search, so a
 * row the filter rejects is suppressed. Suppressed rows are returned, never silently dropped.
 */
export function applyTuning(findings: Finding[], tuning: Tuning): SuppressionResult {
  const filters = new Map([...tuning].map(([macro, f]) => [macro, compilePredicate(f.expr)]));
  const result: SuppressionResult = { kept: [], suppressed: [], countsByDetection: new Map() };
  for (const finding of findings) {
    const macro = finding.detection.output.filterMacro;
    const keeps = macro ? filters.get(macro) : undefined;
    if (!macro || !keeps || keeps(columnValues(finding))) {
      result.kept.push(finding);
      continue;
    }
    result.suppressed.push({ finding, macro });
    const name = finding.detection.name;
    result.countsByDetection.set(name, (result.countsByDetection.get(name) ?? 0) + 1);
  }
  return result;
}

/** The summary lines: suppressed counts per detection, so tuning never hides findings silently. */
export function formatSuppressionSummary(result: SuppressionResult, tuningFile: string): string {
  if (result.countsByDetection.size === 0) return `suppressed by tuning (${tuningFile}): 0\n`;
  const lines = [`suppressed by tuning (${tuningFile}): ${result.suppressed.length}`];
  for (const [name, n] of [...result.countsByDetection].sort()) lines.push(`  ${name}: ${n}`);
  return `${lines.join('\n')}\n`;
}
