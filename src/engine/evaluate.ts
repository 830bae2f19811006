import type { ArithmeticOp, RelationOp, ValueExpr } from '../rules/search-plan.js';
import { compileLinearRegex, compileRuleRegex, type LinearRegex } from '../rules/linear-regex.js';
import { inNetwork, parseNetwork } from '../cim/ip.js';
import { compileFunction, scalarText, toNumber, type Evaluate, type Value } from './eval-functions.js';

/**
 * Compiles a value expression with SPL's eval semantics: an absent field is null, a function of
 * null is null (isnull/isnotnull excepted), a relation with a null side is false, `<`/`>` compare
 * numbers as numbers and other values as text, and a multivalue satisfies a relation when any of
 * its values does. `match()` uses the linear-time engine; `like()` is case-sensitive, `%` and `_`.
 */
export function compileValue(expr: ValueExpr): Evaluate {
  switch (expr.kind) {
    case 'field': {
      const name = expr.name;
      return (fields) => {
        const value = fields[name];
        return value === undefined || (Array.isArray(value) && value.length === 0) ? null : value;
      };
    }
    case 'arithmetic':
      return arithmetic(expr.op, compileValue(expr.left), compileValue(expr.right));
    case 'logic': {
      // SPL's AND/OR over truth values; a non-true operand counts as false
      const terms = expr.terms.map(compileValue);
      return expr.op === 'and' ? (fields) => terms.every((t) => t(fields) === true) : (fields) => terms.some((t) => t(fields) === true);
    }
    case 'not': {
      const value = compileValue(expr.value);
      return (fields) => value(fields) !== true;
    }
    case 'literal': {
      const value = expr.value;
      return () => value;
    }
    case 'relation':
      return relation(expr.op, compileValue(expr.left), compileValue(expr.right));
    case 'call':
      return call(expr.fn, expr.args);
  }
}

function call(fn: Extract<ValueExpr, { kind: 'call' }>['fn'], args: ValueExpr[]): Evaluate {
  const [first, second] = args.map(compileValue);
  switch (fn) {
    case 'isnull':
      return (fields) => first(fields) === null;
    case 'isnotnull':
      return (fields) => first(fields) !== null;
    case 'len':
      return (fields) => mapScalar(first(fields), (text) => text.length);
    case 'lower':
      return (fields) => mapText(first(fields), (text) => text.toLowerCase());
    case 'upper':
      return (fields) => mapText(first(fields), (text) => text.toUpperCase());
    case 'mvcount':
      return (fields) => {
        const value = first(fields);
        return value === null ? null : Array.isArray(value) ? value.length : 1;
      };
    case 'match':
      return args[1]?.kind === 'literal' ? textTest(first, regexOf(args[1])) : computedMatch(first, second);
    case 'like':
      return textTest(first, likeOf(args[1]));
    case 'cidrmatch':
      return (fields) => {
        const cidr = first(fields);
        const ip = second(fields);
        return typeof cidr === 'string' && ip !== null && valuesOf(ip).some((v) => inCidr(cidr, v));
      };
    default: {
      const compiled = compileFunction(fn, args.map(compileValue), args);
      if (!compiled) throw new Error(`eval function ${fn}() has no implementation`);
      return compiled;
    }
  }
}

/**
 * `+ - * / %` on numbers (numeric text counts as a number); `.` joins text; `+` of two texts joins
 * them too, as in Splunk's eval. A null, truth value or multivalue operand gives null.
 */
function arithmetic(op: ArithmeticOp, left: Evaluate, right: Evaluate): Evaluate {
  return (fields) => {
    const a = left(fields);
    const b = right(fields);
    if (a === null || b === null || typeof a === 'boolean' || typeof b === 'boolean' || Array.isArray(a) || Array.isArray(b)) return null;
    if (op === '.') return `${scalarText(a)}${scalarText(b)}`;
    const x = toNumber(a);
    const y = toNumber(b);
    if (x === null || y === null) return op === '+' && typeof a === 'string' && typeof b === 'string' ? a + b : null;
    switch (op) {
      case '+':
        return x + y;
      case '-':
        return x - y;
      case '*':
        return x * y;
      case '/':
        return y === 0 ? null : x / y;
      case '%':
        return y === 0 ? null : x % y;
    }
  };
}

function relation(op: RelationOp, left: Evaluate, right: Evaluate): Evaluate {
  const holds = relationHolds(op);
  return (fields) => {
    const a = left(fields);
    const b = right(fields);
    if (a === null || b === null) return false;
    const rights = valuesOf(b);
    return valuesOf(a).some((x) => rights.some((y) => holds(x, y)));
  };
}

function relationHolds(op: RelationOp): (a: string | number, b: string | number) => boolean {
  const order = (a: string | number, b: string | number): number => {
    const x = Number(a);
    const y = Number(b);
    if (a !== '' && b !== '' && Number.isFinite(x) && Number.isFinite(y)) return x - y;
    const s = String(a);
    const t = String(b);
    return s < t ? -1 : s > t ? 1 : 0;
  };
  switch (op) {
    case '<':
      return (a, b) => order(a, b) < 0;
    case '<=':
      return (a, b) => order(a, b) <= 0;
    case '>':
      return (a, b) => order(a, b) > 0;
    case '>=':
      return (a, b) => order(a, b) >= 0;
    case '==':
      return (a, b) => order(a, b) === 0;
    case '!=':
      return (a, b) => order(a, b) !== 0;
  }
}

function valuesOf(value: Exclude<Value, null>): Array<string | number> {
  if (Array.isArray(value)) return value;
  return typeof value === 'boolean' ? [String(value)] : [value];
}

function mapScalar(value: Value, f: (text: string) => number): Value {
  if (value === null) return null;
  return f(String(Array.isArray(value) ? value[0] : value));
}

function mapText(value: Value, f: (text: string) => string): Value {
  if (value === null) return null;
  return Array.isArray(value) ? value.map(f) : f(String(value));
}

/** true when some value of the first argument passes; null never does */
function textTest(value: Evaluate, test: (text: string) => boolean): Evaluate {
  return (fields) => {
    const v = value(fields);
    return v !== null && valuesOf(v).some((x) => test(String(x)));
  };
}

function patternText(arg: ValueExpr | undefined): string {
  return arg?.kind === 'literal' ? String(arg.value) : '';
}

/** The compiler has checked the pattern is linear-time; should it not be, nothing matches. */
function regexOf(arg: ValueExpr | undefined): (text: string) => boolean {
  const compiled = compileRuleRegex(patternText(arg));
  const regex: LinearRegex | undefined = compiled.ok ? compiled.regex : undefined;
  return (text) => regex !== undefined && regex.test(text);
}

/** how many patterns built from row values stay compiled (ESCU builds one per original file name) */
const COMPUTED_PATTERNS = 256;

/**
 * match(X, pattern built from fields): each distinct pattern compiled once on the linear-time
 * engine (an LRU of COMPUTED_PATTERNS). A null pattern, or one RE2 cannot run (where Splunk's search
 * stops with a regex error), makes the value null, as a null argument does.
 */
function computedMatch(value: Evaluate, pattern: Evaluate): Evaluate {
  const cache = new Map<string, LinearRegex | null>();
  const compile = (source: string): LinearRegex | null => {
    let regex = cache.get(source);
    if (regex === undefined) {
      const compiled = compileLinearRegex(source);
      regex = compiled.ok ? compiled.regex : null;
      if (cache.size >= COMPUTED_PATTERNS) cache.delete(cache.keys().next().value as string);
    } else {
      cache.delete(source);
    }
    cache.set(source, regex);
    return regex;
  };
  return (fields) => {
    const source = pattern(fields);
    const v = value(fields);
    if (source === null || typeof source === 'boolean' || Array.isArray(source) || v === null) return null;
    const regex = compile(String(source));
    return regex === null ? null : valuesOf(v).some((x) => regex.test(String(x)));
  };
}

/** SQL LIKE as SPL has it: `%` any run, `_` one character, the rest literal, whole value, case-sensitive. */
function likeOf(arg: ValueExpr | undefined): (text: string) => boolean {
  let source = '';
  for (const ch of patternText(arg)) source += ch === '%' ? '.*' : ch === '_' ? '.' : escapeRegex(ch);
  const compiled = compileRuleRegex(`^${source}$`, { dotAll: true });
  return compiled.ok ? (text) => compiled.regex.test(text) : () => false;
}

function escapeRegex(ch: string): string {
  return /[\\^$.*+?()[\]{}|]/.test(ch) ? `\\${ch}` : ch;
}

/** `cidrmatch(cidr, ip)`: an IPv4 or IPv6 address inside the network; anything else does not match */
function inCidr(cidr: string, ip: string | number): boolean {
  const network = parseNetwork(cidr);
  return network !== undefined && inNetwork(String(ip), network);
}
