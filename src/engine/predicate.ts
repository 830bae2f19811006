import type { FieldValue } from '../cim/model.js';
import type { Expr } from '../rules/search-plan.js';
import { compileValue } from './evaluate.js';
import { compileLoweredPattern, type LoweredMatcher } from './matcher.js';
import { compileValueTest } from './value-test.js';

export type Fields = Record<string, FieldValue>;

/**
 * An event's field values, each lowercased at most once however many detections and terms read
 * it: make one per event and hand it to every predicate evaluated on that event.
 */
export class LoweredFields {
  private readonly cache = new Map<string, string[] | undefined>();

  constructor(readonly fields: Fields) {}

  /** the field's values as the event holds them; undefined when absent */
  raw(field: string): readonly string[] | undefined {
    const value = this.fields[field];
    if (value === undefined) return undefined;
    return typeof value === 'string' ? [value] : value.length === 0 ? undefined : value;
  }

  /** every field name of the event (a keyword search reads them all) */
  names(): string[] {
    return Object.keys(this.fields);
  }

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
    case 'test':
      return compileTest(expr.field, expr.test);
    case 'eval': {
      const value = compileValue(expr.value);
      return (lowered) => value(lowered.fields) === true;
    }
  }
}

/**
 * Sigma's semantics: a test holds when some value of the field passes it; an absent field passes
 * only `null`; `field` null (a keyword) passes when some value of any field does.
 */
function compileTest(field: string | null, test: Extract<Expr, { kind: 'test' }>['test']): Node {
  const judge = compileValueTest(test);
  const other = test.op === 'fieldref' ? test.other : undefined;
  const anyValue = (fields: LoweredFields, name: string): boolean | undefined => {
    const raw = fields.raw(name);
    if (raw === undefined) return undefined;
    const lowered = fields.get(name) as string[];
    const others = other === undefined ? undefined : fields.raw(other);
    for (let i = 0; i < raw.length; i++) if (judge(raw[i], lowered[i], others)) return true;
    return false;
  };
  if (field === null) return (fields) => fields.names().some((name) => anyValue(fields, name) === true);
  if (test.op === 'null') return (fields) => anyValue(fields, field) !== false;
  return (fields) => anyValue(fields, field) === true;
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
