import type { FieldValue } from '../cim/model.js';
import type { EvalFunction, ValueExpr } from '../rules/search-plan.js';
import { compileRuleRegex } from '../rules/linear-regex.js';
import { applyRelativeTime, parseRelativeTime } from '../rules/relative-time.js';

/** What an SPL expression computes: text, a number, a truth value, a multivalue, or null. */
export type Value = string | number | boolean | string[] | null;

/** an event's fields, or an output row's columns (numbers stay numbers there) */
type Fields = Record<string, FieldValue | number | null>;
export type Evaluate = (fields: Fields) => Value;

/**
 * SPL's eval functions beyond the conditions (see evaluate.ts), as Splunk's "Evaluation functions"
 * reference describes them. The common rule: a function of a null argument is null.
 */
export function compileFunction(fn: EvalFunction, args: Evaluate[], raw: ValueExpr[]): Evaluate | undefined {
  const [a, b, c] = args;
  switch (fn) {
    case 'if':
      // if(X, Y, Z): Y when X is true, else Z (a null or false X gives Z)
      return (row) => (a(row) === true ? b(row) : c(row));
    case 'case':
      // case(X1, Y1, X2, Y2, ...): the Y of the first true X; null when none is (`true()` as a catch-all)
      return (row) => {
        for (let k = 0; k + 1 < args.length; k += 2) if (args[k](row) === true) return args[k + 1](row);
        return null;
      };
    case 'coalesce':
      return (row) => {
        for (const arg of args) {
          const value = arg(row);
          if (value !== null) return value;
        }
        return null;
      };
    case 'true':
      return () => true;
    case 'false':
      return () => false;
    case 'null':
      return () => null;
    case 'substr':
      return (row) => {
        const text = scalarText(a(row));
        const start = toNumber(b(row));
        const length = c ? toNumber(c(row)) : undefined;
        if (text === null || start === null || length === null) return null;
        return substr(text, start, length);
      };
    case 'split':
      // split(X, "sep"): the pieces of X as a multivalue, empty pieces kept (an empty separator splits characters)
      return (row) => {
        const text = scalarText(a(row));
        const separator = scalarText(b(row));
        if (text === null || separator === null) return null;
        return separator === '' ? [...text] : text.split(separator);
      };
    case 'mvindex':
      // mvindex(MV, start[, end]): 0-based, negative counts from the end, end inclusive; out of range is null
      return (row) => {
        const values = multi(a(row));
        const start = toNumber(b(row));
        const end = c ? toNumber(c(row)) : undefined;
        if (values === null || start === null || end === null) return null;
        const from = start < 0 ? values.length + start : start;
        const to = end === undefined ? from : end < 0 ? values.length + end : end;
        if (from < 0 || from >= values.length || to < from) return null;
        const picked = values.slice(from, Math.min(to, values.length - 1) + 1);
        return picked.length === 1 ? picked[0] : picked;
      };
    case 'mvjoin':
      return (row) => {
        const values = multi(a(row));
        const separator = scalarText(b(row));
        return values === null || separator === null ? null : values.join(separator);
      };
    case 'mvdedup':
      return (row) => {
        const values = multi(a(row));
        if (values === null) return null;
        const kept = [...new Set(values)];
        return kept.length === 1 ? kept[0] : kept;
      };
    case 'replace':
      return replace(a, raw[1], b, c);
    case 'tonumber':
      return (row) => toNumber(a(row));
    case 'tostring':
      return (row) => {
        const value = a(row);
        return value === null ? null : Array.isArray(value) ? value : String(value);
      };
    case 'round':
      return (row) => {
        const x = toNumber(a(row));
        const digits = b ? toNumber(b(row)) : 0;
        if (x === null || digits === null) return null;
        const scale = 10 ** digits;
        return Math.round(x * scale) / scale;
      };
    case 'abs':
      return (row) => {
        const x = toNumber(a(row));
        return x === null ? null : Math.abs(x);
      };
    case 'trim':
    case 'ltrim':
    case 'rtrim':
      return trim(fn, a, b);
    case 'relative_time': {
      // the modifier is a literal the compiler has checked
      const steps = parseRelativeTime(raw[1]?.kind === 'literal' ? String(raw[1].value) : '');
      if (typeof steps === 'string') return () => null;
      return (row) => {
        const time = toNumber(a(row));
        return time === null ? null : applyRelativeTime(time, steps);
      };
    }
    case 'isnum':
      return (row) => toNumber(a(row)) !== null;
    case 'isstr':
      return (row) => {
        const value = a(row);
        return typeof value === 'string' && toNumber(value) === null;
      };
    default:
      return undefined;
  }
}

/** a number, or a text that is one ("5", "2.5"); null otherwise (multivalues included) */
export function toNumber(value: Value | undefined): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** the text of a single value; a multivalue gives its first value, as Splunk's string functions do */
export function scalarText(value: Value): string | null {
  if (value === null || typeof value === 'boolean') return null;
  if (Array.isArray(value)) return value.length > 0 ? value[0] : null;
  return String(value);
}

function multi(value: Value): string[] | null {
  if (value === null || typeof value === 'boolean') return null;
  return Array.isArray(value) ? value : [String(value)];
}

/** substr(X, start, length): 1-based start; a negative start counts from the end (`substr(x, -4)` is the last four) */
function substr(text: string, start: number, length: number | undefined): string {
  const chars = [...text];
  const from = start < 0 ? Math.max(chars.length + start, 0) : Math.max(start - 1, 0);
  const to = length === undefined ? chars.length : from + Math.max(length, 0);
  return chars.slice(from, to).join('');
}

/** replace(X, regex, replacement): every match replaced; `\1` in the replacement is the first group (linear-time regex) */
function replace(text: Evaluate, pattern: ValueExpr, _compiledPattern: Evaluate, replacement: Evaluate): Evaluate {
  const compiled = compileRuleRegex(pattern.kind === 'literal' ? String(pattern.value) : '');
  if (!compiled.ok) return () => null;
  const regex = compiled.regex;
  return (row) => {
    const value = scalarText(text(row));
    const by = scalarText(replacement(row));
    if (value === null || by === null) return null;
    return regex.replaceAll(value, by);
  };
}

function trim(fn: 'trim' | 'ltrim' | 'rtrim', text: Evaluate, chars: Evaluate | undefined): Evaluate {
  return (row) => {
    const value = scalarText(text(row));
    const set = chars ? scalarText(chars(row)) : ' \t';
    if (value === null || set === null) return null;
    let start = 0;
    let end = value.length;
    if (fn !== 'rtrim') while (start < end && set.includes(value[start])) start++;
    if (fn !== 'ltrim') while (end > start && set.includes(value[end - 1])) end--;
    return value.slice(start, end);
  };
}
