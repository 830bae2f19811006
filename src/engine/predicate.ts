import type { FieldValue } from '../cim/model.js';
import type { Expr } from '../rules/search-plan.js';
import { compileValue } from './evaluate.js';
import { compileLoweredPattern, type LoweredMatcher } from './matcher.js';

export type Fields = Record<string, FieldValue>;

/**
 * An event's field values, each lowercased at most once however many detections and terms read
 * it: make one per event and hand it to every predicate evaluated on that event.
 */
export class LoweredFields {
  private readonly cache = new Map<string, string[] | undefined>();

  constructor(readonly fields: Fields) {}

  get(field: string): string[] | undefined {
    let lowered = this.cache.get(field);
    if (lowered === undefined && !this.cache.has(field)) {
      lowered = lowerValues(this.fields[field]);
      this.cache.set(field, lowered);
    }
    return lowered;
  }
}

type Node = (lowered: LoweredFields) => boolean;

/** true when the fields match; `lowered` (of the same fields) shares lowercased values across predicates */
export type Predicate = (fields: Fields, lowered?: LoweredFields) => boolean;

/**
 * Compiles an expression with SPL semantics: an absent field never equals (`f=*` means "f
 * exists"); `f!=v` needs f to exist with no value matching; `NOT f=v` is true when f is absent;
 * a multivalue field matches when any of its values does.
 */
export function compilePredicate(expr: Expr): Predicate {
  const root = compileNode(expr);
  return (fields, lowered) => root(lowered ?? new LoweredFields(fields));
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
      const anyMatch = anyValueMatches(expr.field, [expr.pattern]);
      if (expr.op === '=') return (lowered) => anyMatch(lowered) === true;
      return (lowered) => anyMatch(lowered) === false;
    }
    case 'in': {
      const anyMatch = anyValueMatches(expr.field, expr.patterns);
      return (lowered) => anyMatch(lowered) === true;
    }
    case 'eval': {
      const value = compileValue(expr.value);
      return (lowered) => value(lowered.fields) === true;
    }
  }
}

/** true / false whether some value matches some pattern; undefined when the field is absent */
function anyValueMatches(field: string, patterns: string[]): (lowered: LoweredFields) => boolean | undefined {
  const matches = anyPatternMatches(patterns);
  return (lowered) => {
    const values = lowered.get(field);
    if (values === undefined) return undefined;
    return values.some(matches);
  };
}

/** An IN list's exact values are one set lookup; only its wildcard patterns are tried one by one. */
function anyPatternMatches(patterns: string[]): (lowered: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.includes('*')).map((p) => p.toLowerCase()));
  const wildcards: LoweredMatcher[] = patterns.filter((p) => p.includes('*')).map(compileLoweredPattern);
  if (wildcards.length === 0) return (value) => exact.has(value);
  if (exact.size === 0) return wildcards.length === 1 ? wildcards[0] : (value) => wildcards.some((m) => m(value));
  return (value) => exact.has(value) || wildcards.some((m) => m(value));
}
