import type { Expr } from '../search-plan.js';

/** Shorter literals would pass almost every record and only cost time. */
const MIN_LITERAL = 3;

/**
 * For a raw-bytes prefilter: literals (lowercased) at least one of which the raw text of any
 * event matching `expr` must contain; null when no such set is known.
 *
 * The literals are returned as the event values hold them. The caller must search raw records
 * case-insensitively and account for how the format escapes them: JSON writes `\` as `\\` and `"`
 * as `\"`; XML may write `&`, `<`, `>`, `"`, `'` as entities. Only fields whose values appear
 * verbatim in the raw record may contribute (derived fields such as `direction`, `action`,
 * `vendor_product`, a process_name cut from a path, or a hex PID rewritten to decimal would not
 * be found), so pass `isVerbatim` to exclude the others; by default every field counts.
 */
export function requiredLiterals(
  expr: Expr,
  isVerbatim: (field: string) => boolean = () => true,
  /**
   * turns a literal into what will really be searched (or undefined: unusable), so AND picks on
   * that; `whole` says the literal is the pattern's entire value (the pattern has no `*`)
   */
  toNeedle: (literal: string, whole: boolean) => string | undefined = (literal) => literal,
): string[] | null {
  const literalOf = (pattern: string) => {
    const literal = patternLiteral(pattern);
    const needle = literal && toNeedle(literal[0], !pattern.includes('*'));
    return needle && needle.length >= MIN_LITERAL ? [needle] : null;
  };
  switch (expr.kind) {
    case 'compare':
      if (expr.op !== '=' || !isVerbatim(expr.field)) return null;
      return unionOf([literalOf(expr.pattern)]);
    case 'in':
      return isVerbatim(expr.field) ? unionOf(expr.patterns.map(literalOf)) : null;
    case 'or':
      return unionOf(expr.terms.map((t) => requiredLiterals(t, isVerbatim, toNeedle)));
    case 'and':
      return bestOf(expr.terms.map((t) => requiredLiterals(t, isVerbatim, toNeedle)));
    case 'not':
    case 'eval':
    case 'true':
      return null;
  }
}

/** the longest `*`-free segment, lowercased, or null when it is too short to be selective */
function patternLiteral(pattern: string): string[] | null {
  const longest = pattern.split('*').reduce((a, b) => (b.length > a.length ? b : a), '');
  return longest.length >= MIN_LITERAL ? [longest.toLowerCase()] : null;
}

function unionOf(sets: (string[] | null)[]): string[] | null {
  if (sets.length === 0 || sets.some((s) => s === null)) return null;
  return [...new Set((sets as string[][]).flat())];
}

/** any one conjunct's set is sound; the one whose shortest literal is longest filters best */
function bestOf(sets: (string[] | null)[]): string[] | null {
  let best: string[] | null = null;
  for (const set of sets) {
    if (set === null) continue;
    if (best === null || score(set) > score(best) || (score(set) === score(best) && set.length < best.length)) best = set;
  }
  return best;
}

function score(set: string[]): number {
  return Math.min(...set.map((s) => s.length));
}
