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
      // Terms after the first are compiled when first reached, then stand in their place: a
      // candidate rule mostly fails an early term (its selection), so its other selections and
      // filters (often long value lists or expressions) would be compiled for nothing.
      // Terms holding a regular expression go last (an AND of pure tests may be evaluated in any
      // order): RE2 in JavaScript is the costliest test to compile and to run, and the glob terms
      // beside it usually fail first.
      const ordered = [...expr.terms.filter((t) => !holdsRegex(t)), ...expr.terms.filter(holdsRegex)];
      const terms: Node[] = ordered.map((term, i) => (i === 0 ? compileNode(term) : (lowered) => (terms[i] = compileNode(term))(lowered)));
      return (lowered) => terms.every((t) => t(lowered));
    }
    case 'or': {
      const { grouped, rest } = plainGlobsByField(expr.terms);
      const terms = [...grouped, ...rest.map(compileNode)];
      return terms.length === 1 ? terms[0] : (lowered) => terms.some((t) => t(lowered));
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

function holdsRegex(expr: Expr): boolean {
  if (expr.kind === 'test') return expr.test.op === 'regex';
  if (expr.kind === 'not') return holdsRegex(expr.term);
  return (expr.kind === 'and' || expr.kind === 'or') && expr.terms.some(holdsRegex);
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

/** A case-insensitive glob whose only wildcards are a leading and/or trailing `*`: what Sigma's plain modifiers compile to. */
type PlainGlob = { field: string; shape: 'equals' | 'startswith' | 'endswith' | 'contains'; literal: string };

function plainGlob(term: Expr): PlainGlob | undefined {
  if (term.kind !== 'test' || term.field === null || term.test.op !== 'glob' || term.test.cased) return undefined;
  // adjacent literal tokens are one run (as compileGlob joins them)
  const segments = [''];
  for (const token of term.test.tokens) {
    if (typeof token === 'string') segments[segments.length - 1] += token.toLowerCase();
    else if (token.wildcard === '*') segments.push('');
    else return undefined;
  }
  const [first] = segments;
  const last = segments[segments.length - 1];
  if (segments.length === 1) return { field: term.field, shape: 'equals', literal: first };
  if (segments.length === 2 && first !== '' && last === '') return { field: term.field, shape: 'startswith', literal: first };
  if (segments.length === 2 && first === '' && last !== '') return { field: term.field, shape: 'endswith', literal: last };
  if (segments.length === 3 && first === '' && last === '' && segments[1] !== '') return { field: term.field, shape: 'contains', literal: segments[1] };
  return undefined;
}

/** below this many plain globs on one field an OR keeps its terms: a set lookup per length costs more than a few `endsWith` */
const MIN_GROUPED = 4;

/**
 * The plain globs of an OR, per field, as one test each: Sigma's `ImageLoaded|endswith: [443 names]`
 * becomes one set lookup per distinct suffix length instead of 443 closures called on every event.
 * Same result: the OR holds when some value of the field passes some glob, an absent field passes none.
 */
function plainGlobsByField(terms: Expr[]): { grouped: Node[]; rest: Expr[] } {
  const globs = terms.map(plainGlob);
  const byField = new Map<string, PlainGlob[]>();
  for (const glob of globs) {
    if (!glob) continue;
    const list = byField.get(glob.field);
    // pushed, not copied: an OR may hold thousands of values of one field
    if (list) list.push(glob);
    else byField.set(glob.field, [glob]);
  }
  const groupedFields = new Set([...byField].filter(([, list]) => list.length >= MIN_GROUPED).map(([field]) => field));
  if (groupedFields.size === 0) return { grouped: [], rest: terms };
  const rest = terms.filter((_, i) => globs[i] === undefined || !groupedFields.has((globs[i] as PlainGlob).field));
  const grouped = [...groupedFields].map((field) => anyGlobNode(field, byField.get(field) as PlainGlob[]));
  return { grouped, rest };
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

function anyGlobNode(field: string, globs: PlainGlob[]): Node {
  const literals = (shape: PlainGlob['shape']) => globs.filter((g) => g.shape === shape).map((g) => g.literal);
  const equals = new Set(literals('equals'));
  const affixes = (shape: 'startswith' | 'endswith', keep: (literal: string) => boolean = () => true) => {
    const set = new Set(literals(shape).filter(keep));
    return { set, lengths: [...new Set([...set].map((l) => l.length))] };
  };
  const starts = affixes('startswith');
  // `\\name.dll`, a backslash and then none (most of Sigma's endswith values): the value ends with it
  // exactly when its part from its last backslash is it, one lookup whatever the names' lengths
  const isLastSegment = (literal: string) => literal.lastIndexOf('\\') === 0;
  const lastSegments = new Set(literals('endswith').filter(isLastSegment));
  const ends = affixes('endswith', (literal) => !isLastSegment(literal));
  // a value holds a non-ASCII literal (Sigma's emoji and look-alike letters, a thousand of them in
  // some rules) only if it holds a non-ASCII character: most values have none, and skip them all
  const contains = literals('contains').filter(isAscii);
  const nonAsciiContains = literals('contains').filter((literal) => !isAscii(literal));
  const matches = (value: string): boolean => {
    if (equals.has(value)) return true;
    const n = value.length;
    if (lastSegments.size > 0) {
      const at = value.lastIndexOf('\\');
      if (at >= 0 && lastSegments.has(value.slice(at))) return true;
    }
    for (const length of ends.lengths) if (length <= n && ends.set.has(value.slice(n - length))) return true;
    for (const length of starts.lengths) if (length <= n && starts.set.has(value.slice(0, length))) return true;
    for (const literal of contains) if (value.includes(literal)) return true;
    if (nonAsciiContains.length > 0 && !isAscii(value)) for (const literal of nonAsciiContains) if (value.includes(literal)) return true;
    return false;
  };
  return (fields) => {
    const values = fields.get(field);
    return values !== undefined && values.some(matches);
  };
}
