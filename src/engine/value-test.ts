import type { GlobToken, ValueTest } from '../rules/search-plan.js';
import { compileRuleRegex, escapeRegex, type LinearRegex } from '../rules/linear-regex.js';
import { compileSegments } from './matcher.js';
import { inNetwork, parseNetwork } from '../cim/ip.js';

/**
 * One value judged by a compiled ValueTest: `value` as the event holds it, `lowered` its
 * `toLowerCase()`, `otherValues` the values of the field a `fieldref` test names.
 */
export type ValueJudge = (value: string, lowered: string, otherValues: readonly string[] | undefined) => boolean;

/**
 * Compiles a value test. Never builds a backtracking RegExp from rule text: globs are literal
 * segment searches (or, with `?`, a linear-time expression), `regex` is RE2. Throws only for a test
 * the front end should have refused at load (an invalid network; an invalid regular expression
 * throws when the judge first runs).
 */
export function compileValueTest(test: ValueTest): ValueJudge {
  switch (test.op) {
    case 'glob': {
      const matches = compileGlob(test.tokens, test.cased);
      return test.cased ? (value) => matches(value) : (_value, lowered) => matches(lowered);
    }
    case 'regex': {
      // compiled on the first value judged: a rule is compiled when it first becomes a candidate,
      // and most of SigmaHQ's expressions sit behind another term of an AND that fails first
      // (compiling them, with re2js's load, was half of the rules' compilation over the OTRF set)
      let regex: LinearRegex | undefined;
      return (value) => {
        regex ??= regexOf(test.pattern, test.flags);
        return regex.test(value);
      };
    }
    case 'cidr': {
      const network = parseNetwork(test.network);
      if (!network) throw new Error(`not a network: ${test.network}`);
      return (value) => inNetwork(value, network);
    }
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      const compare = numericComparisons[test.op];
      const bound = test.value;
      return (value) => {
        const n = parseNumber(value);
        return n !== undefined && compare(n, bound);
      };
    }
    case 'exists':
      return (value) => value !== '';
    case 'null':
      // a present, non-empty value is never null; absence is decided by the caller
      return (value) => value === '';
    case 'fieldref': {
      const { position, cased } = test;
      return (value, lowered, others) => {
        if (!others) return false;
        const subject = cased ? value : lowered;
        return others.some((other) => {
          const o = cased ? other : other.toLowerCase();
          if (position === 'equals') return subject === o;
          if (position === 'contains') return subject.includes(o);
          if (position === 'startswith') return subject.startsWith(o);
          return subject.endsWith(o);
        });
      };
    }
  }
}

/** a rule's expression in RE2; throws for one the front end should have refused at load */
function regexOf(pattern: string, flags: string): LinearRegex {
  const compiled = compileRuleRegex(pattern, regexFlags(flags));
  if (!compiled.ok) throw new Error(compiled.reason);
  return compiled.regex;
}

/** `i`, `m`, `s` as Sigma writes them after `re|` */
export function regexFlags(flags: string): { ignoreCase: boolean; multiline: boolean; dotAll: boolean } {
  return { ignoreCase: flags.includes('i'), multiline: flags.includes('m'), dotAll: flags.includes('s') };
}

/** A glob over values compared as given (pass lowercased tokens and values for a case-insensitive match). */
export function compileGlob(tokens: GlobToken[], cased: boolean): (value: string) => boolean {
  const lower = (text: string) => (cased ? text : text.toLowerCase());
  if (tokens.every((t) => typeof t === 'string' || t.wildcard === '*')) {
    const segments = [''];
    for (const t of tokens) {
      if (typeof t === 'string') segments[segments.length - 1] += lower(t);
      else segments.push('');
    }
    return compileSegments(segments);
  }
  // `?` needs a character count: a linear-time expression, anchored at both ends
  const source = tokens.map((t) => (typeof t === 'string' ? escapeRegex(lower(t)) : t.wildcard === '*' ? '.*' : '.')).join('');
  const compiled = compileRuleRegex(`^(?:${source})$`, { dotAll: true });
  if (!compiled.ok) throw new Error(compiled.reason);
  return (value) => compiled.regex.test(value);
}

const numericComparisons = {
  lt: (a: number, b: number) => a < b,
  lte: (a: number, b: number) => a <= b,
  gt: (a: number, b: number) => a > b,
  gte: (a: number, b: number) => a >= b,
};

/** decimal, or `0x` hexadecimal as Windows writes ids; undefined for anything else */
function parseNumber(value: string): number | undefined {
  const text = value.trim();
  if (/^[+-]?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (/^0x[0-9a-f]+$/i.test(text)) return parseInt(text.slice(2), 16);
  return undefined;
}
