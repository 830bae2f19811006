import type { FieldValue } from '../cim/model.js';
import type { Expr } from '../rules/search-plan.js';
import { compileLoweredPattern, type LoweredMatcher } from './matcher.js';

export type Fields = Record<string, FieldValue>;

/** Lowercases each field value at most once per evaluation, however many terms read it. */
type Lowered = (field: string) => string[] | undefined;

type Node = (lowered: Lowered) => boolean;

/**
 * Compiles an expression with SPL semantics: an absent field never equals (`f=*` means "f
 * exists"); `f!=v` needs f to exist with no value matching; `NOT f=v` is true when f is absent;
 * a multivalue field matches when any of its values does.
 */
export function compilePredicate(expr: Expr): (fields: Fields) => boolean {
  const root = compileNode(expr);
  return (fields) => {
    const cache = new Map<string, string[] | undefined>();
    return root((field) => {
      if (cache.has(field)) return cache.get(field);
      const lowered = lowerValues(fields[field]);
      cache.set(field, lowered);
      return lowered;
    });
  };
}

function lowerValues(value: FieldValue | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return [value.toLowerCase()];
  // an empty multivalue is how a source says "no values": the field is absent
  return value.length === 0 ? undefined : value.map((v) => v.toLowerCase());
}

function compileNode(expr: Expr): Node {
  switch (expr.kind) {
    case 'true':
      return () => true;
    case 'not': {
      const term = compileNode(expr.term);
      return (lowered) => !term(lowered);
    }
    case 'and': {
      const terms = expr.terms.map(compileNode);
      return (lowered) => terms.every((t) => t(lowered));
    }
    case 'or': {
      const terms = expr.terms.map(compileNode);
      return (lowered) => terms.some((t) => t(lowered));
    }
    case 'compare': {
      const anyMatch = anyValueMatches(expr.field, [compileLoweredPattern(expr.pattern)]);
      if (expr.op === '=') return (lowered) => anyMatch(lowered) === true;
      return (lowered) => anyMatch(lowered) === false;
    }
    case 'in': {
      const anyMatch = anyValueMatches(expr.field, expr.patterns.map(compileLoweredPattern));
      return (lowered) => anyMatch(lowered) === true;
    }
  }
}

/** true / false whether some value matches some pattern; undefined when the field is absent */
function anyValueMatches(field: string, matchers: LoweredMatcher[]): (lowered: Lowered) => boolean | undefined {
  return (lowered) => {
    const values = lowered(field);
    if (values === undefined) return undefined;
    return values.some((v) => matchers.some((m) => m(v)));
  };
}

/** Every field name an expression reads, once each, in order of first use. */
export function fieldsOf(expr: Expr): string[] {
  const out = new Set<string>();
  const visit = (e: Expr): void => {
    if (e.kind === 'and' || e.kind === 'or') e.terms.forEach(visit);
    else if (e.kind === 'not') visit(e.term);
    else if (e.kind === 'compare' || e.kind === 'in') out.add(e.field);
  };
  visit(expr);
  return [...out];
}
