import { recordShare } from '../literal-odds.js';
import type { Expr, ValueTest } from '../search-plan.js';

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
 * `vendor_product`, or a hex PID rewritten to decimal would not be found), so pass `isVerbatim` to
 * exclude the others (cim/verbatim.ts knows which they are); by default every field counts.
 */
export function requiredLiterals(
  expr: Expr,
  isVerbatim: (field: string) => boolean = () => true,
  /**
   * turns a literal on `field` into what will really be searched (or undefined: unusable), so AND
   * picks on that; `whole` says the literal is the pattern's entire value (the pattern has no `*`)
   */
  toNeedle: (literal: string, whole: boolean, field: string) => string | undefined = (literal) => literal,
): string[] | null {
  const literalOf = (field: string) => (pattern: string) => {
    const literal = patternLiteral(pattern);
    const needle = literal && toNeedle(literal[0], !pattern.includes('*'), field);
    return needle && needle.length >= MIN_LITERAL ? [needle] : null;
  };
  switch (expr.kind) {
    case 'compare':
    case 'in':
    case 'test': {
      const leaf = leafPatterns(expr);
      return leaf && isVerbatim(leaf.field) ? unionOf(leaf.patterns.map(literalOf(leaf.field))) : null;
    }
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

/**
 * Any one conjunct's set is sound; the one fewest records hold filters best: the lowest summed
 * record share (common words such as ` access ` lose to tool names), then the fewer needles, then
 * the longest shortest one.
 */
function bestOf(sets: (string[] | null)[]): string[] | null {
  let best: Conjunct | undefined;
  for (const set of sets) {
    if (set === null) continue;
    const candidate = { set, share: set.reduce((sum, n) => sum + recordShare(n), 0), shortest: Math.min(...set.map((n) => n.length)) };
    if (best === undefined || isBetter(candidate, best)) best = candidate;
  }
  return best?.set ?? null;
}

interface Conjunct {
  set: string[];
  /** the estimated share of records holding one of its literals */
  share: number;
  shortest: number;
}

function isBetter(a: Conjunct, b: Conjunct): boolean {
  if (a.share !== b.share) return a.share < b.share;
  if (a.set.length !== b.set.length) return a.set.length < b.set.length;
  return a.shortest > b.shortest;
}

/**
 * A leaf as the field it reads and `*` patterns one of which a matching value matches (every
 * other character literal): `f=p`, `f IN (...)`, and the tests whose matches hold known text
 * (a glob, where `?` counts as `*`; a regular expression's required run). A `*` inside a literal
 * only splits it: still sound. Null for leaves no text is known of (`!=`, cidr, numbers, keywords).
 */
export function leafPatterns(leaf: Expr): { field: string; patterns: string[] } | null {
  switch (leaf.kind) {
    case 'compare':
      return leaf.op === '=' ? { field: leaf.field, patterns: [leaf.pattern] } : null;
    case 'in':
      return { field: leaf.field, patterns: leaf.patterns };
    case 'test': {
      const pattern = testPattern(leaf.test);
      return leaf.field !== null && pattern !== null ? { field: leaf.field, patterns: [pattern] } : null;
    }
    default:
      return null;
  }
}

function testPattern(test: ValueTest): string | null {
  if (test.op === 'glob') return test.tokens.map((t) => (typeof t === 'string' ? t : '*')).join('');
  if (test.op === 'regex') {
    const run = regexRequiredRun(test.pattern);
    return run === null ? null : `*${run}*`;
  }
  return null;
}

/**
 * The longest run of plain characters every match of a regular expression contains, read
 * conservatively: only at the top level (not inside a group or class), never when the top level
 * has an alternation, and a character a quantifier may drop or repeat ends the run.
 */
export function regexRequiredRun(pattern: string): string | null {
  let best = '';
  let run = '';
  let depth = 0;
  const end = () => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      i++;
      if (depth === 0 && /[^A-Za-z0-9]/.test(next) && next !== '') run += next;
      else end();
      if (depth === 0) i = dropQuantified(pattern, i, () => (run = run.slice(0, -1)), end);
      continue;
    }
    if (c === '[') {
      end();
      i = classEnd(pattern, i);
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === '|' && depth === 0) return null;
    if (depth > 0 || c === ')' || c === '(' || '.^$'.includes(c)) {
      end();
      continue;
    }
    if (c === '{') {
      // a counted repetition (`[0-9]{1,3}`) is no text; a `{` that starts none is a literal brace
      const repetition = /^\{\d+(,\d*)?\}/.exec(pattern.slice(i));
      end();
      if (repetition) i += repetition[0].length - 1;
      continue;
    }
    if ('*+?'.includes(c)) {
      end();
      continue;
    }
    run += c;
    i = dropQuantified(pattern, i, () => (run = run.slice(0, -1)), end);
  }
  end();
  return best.length > 0 ? best : null;
}

/** after a literal character at `i`: a following quantifier drops it (`?`, `*`, `{0`) or ends the run after it (`+`, `{n`) */
function dropQuantified(pattern: string, i: number, drop: () => void, end: () => void): number {
  const q = pattern[i + 1];
  if (q === '?' || q === '*' || (q === '{' && pattern[i + 2] === '0')) {
    drop();
    end();
  } else if (q === '+' || q === '{') {
    end();
  }
  return i;
}

/** index of the `]` closing the class opened at `i` (a `]` first in the class is literal) */
function classEnd(pattern: string, i: number): number {
  let j = i + 1;
  if (pattern[j] === '^') j++;
  if (pattern[j] === ']') j++;
  for (; j < pattern.length; j++) {
    if (pattern[j] === '\\') j++;
    else if (pattern[j] === ']') return j;
  }
  return pattern.length;
}
