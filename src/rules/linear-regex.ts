import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';

/**
 * re2js (about 300 KB of JavaScript with tables built at load) is loaded on the first compile, not
 * at start-up: a scan of the shipped rules from the content cache compiles no regular expression,
 * and loading it cost every run about 46 M instructions (~6 ms). Its CommonJS build, loaded
 * synchronously: compiling a rule is synchronous.
 */
let re2: typeof RE2JS | undefined;
function re2js(): typeof RE2JS {
  re2 ??= (createRequire(import.meta.url)('re2js') as typeof import('re2js')).RE2JS;
  return re2;
}

/**
 * Regular expressions from rule text (Sigma `|re`, SPL `match()`/`rex`/`regex`) compiled to RE2
 * semantics: matching time is linear in the input whatever the pattern, so a rule cannot ReDoS the
 * engine with log data (a backtracking `RegExp` over attacker-controlled text can). RE2 rejects
 * what it cannot match in linear time (backreferences, lookaround): that is a load error with the
 * reason, never a silent fallback.
 */
export interface LinearRegex {
  readonly source: string;
  /** the names of its named groups (`(?<name>...)`, `(?P<name>...)`), in no particular order */
  readonly names: string[];
  /** true when the pattern matches anywhere in `value` (unanchored, as SPL and Sigma mean it) */
  test(value: string): boolean;
  /** `[start, end)` of the first match (UTF-16 offsets), or undefined when there is none */
  firstMatch(value: string): [number, number] | undefined;
  /** every match replaced by `replacement`, in which `\1`..`\9` stand for the groups (SPL's replace()) */
  replaceAll(value: string, replacement: string): string;
  /** the named or numbered groups of the first match, or undefined when there is none */
  groups(value: string): Record<string, string | undefined> | undefined;
}

export interface LinearRegexFlags {
  /** `i`: case-insensitive */
  ignoreCase?: boolean;
  /** `m`: `^`/`$` match at line breaks */
  multiline?: boolean;
  /** `s`: `.` matches a line break */
  dotAll?: boolean;
}

export type CompiledRegex = { ok: true; regex: LinearRegex } | { ok: false; reason: string };

export function compileLinearRegex(pattern: string, flags: LinearRegexFlags = {}): CompiledRegex {
  const RE2 = re2js();
  let bits = 0;
  if (flags.ignoreCase) bits |= RE2.CASE_INSENSITIVE;
  if (flags.multiline) bits |= RE2.MULTILINE;
  if (flags.dotAll) bits |= RE2.DOTALL;
  let compiled: RE2JS;
  try {
    compiled = RE2.compile(pattern, bits);
  } catch (error) {
    return { ok: false, reason: `not a linear-time regular expression: ${(error as Error).message}` };
  }
  const names = Object.entries(compiled.namedGroups() as Record<string, number>);
  return {
    ok: true,
    regex: {
      source: pattern,
      names: names.map(([name]) => name),
      test: (value) => compiled.matcher(value).find(),
      firstMatch: (value) => {
        const m = compiled.matcher(value);
        return m.find() ? [m.start(), m.end()] : undefined;
      },
      replaceAll: (value, replacement) =>
        compiled.matcher(value).replaceAll((...match: unknown[]) => replacement.replace(/\\(\d)/g, (_, n: string) => {
          const group = Number(n) <= compiled.groupCount() ? match[Number(n)] : undefined;
          return typeof group === 'string' ? group : '';
        })),
      groups: (value) => {
        const m = compiled.matcher(value);
        if (!m.find()) return undefined;
        const out: Record<string, string | undefined> = {};
        for (let g = 1; g <= m.groupCount(); g++) out[String(g)] = m.group(g) ?? undefined;
        for (const [name, index] of names) out[name] = m.group(index) ?? undefined;
        return out;
      },
    },
  };
}

/**
 * compileLinearRegex for a pattern a rule holds, compiled once per thread: a Sigma rule is a
 * detection per log source, each holding the same expressions, and a glob or `re` compiled on
 * RE2 costs ~0.1 ms. A compiled expression keeps no state between matches, so detections share
 * it. Only for patterns from rule text, which the loaded content bounds; patterns built from event
 * values (match() over fields) compile with compileLinearRegex, behind a bounded cache of their own.
 */
export function compileRuleRegex(pattern: string, flags: LinearRegexFlags = {}): CompiledRegex {
  const key = `${flags.ignoreCase ? 'i' : ''}${flags.multiline ? 'm' : ''}${flags.dotAll ? 's' : ''}/${pattern}`;
  let compiled = ruleRegexes.get(key);
  if (compiled === undefined) ruleRegexes.set(key, (compiled = compileLinearRegex(pattern, flags)));
  return compiled;
}

const ruleRegexes = new Map<string, CompiledRegex>();

/** `text` as a regular expression that matches exactly it */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}
