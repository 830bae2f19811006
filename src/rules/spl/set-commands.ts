import type { RowAggregate, RowAggregateFunction, RowStage, ValueExpr } from '../search-plan.js';
import type { Token } from './lexer.js';
import { describe, isKeyword, type TokenCursor } from './parser.js';
import { isCondition, isNumber } from './value-parser.js';

/**
 * The commands after tstats that read every row at once: `stats` / `eventstats` (aggregates by
 * columns), `dedup`, `sort`, `head`. Each parser reports on the cursor and returns null on error;
 * `column` checks a column exists (and reports when it does not).
 */
type ColumnCheck = (name: string, at: Token) => boolean;
/** reads an eval expression over the columns at the cursor (null, reported, on error) */
type ValueRead = (c: TokenCursor) => ValueExpr | null;

const rowAggregates: Record<string, RowAggregateFunction> = {
  count: 'count', dc: 'dc', distinct_count: 'dc', values: 'values', min: 'min', max: 'max',
  sum: 'sum', avg: 'avg', mean: 'avg', stdev: 'stdev', earliest: 'earliest', latest: 'latest',
};

/** `count [as x], fn(col) [as x], fn(eval(expr)) as x, ... [by a, b]` */
export function parseStats(c: TokenCursor, column: ColumnCheck, readValue: ValueRead): { aggregates: RowAggregate[]; by: Token[] } | null {
  const aggregates: RowAggregate[] = [];
  while (!c.atEnd() && !isKeyword(c.peek(), 'by')) {
    if (c.accept('comma')) continue;
    const at = c.next()!;
    const fn = at.kind === 'word' ? rowAggregates[at.text.toLowerCase()] : undefined;
    let field: Token | undefined;
    let value: ValueExpr | undefined;
    if (c.accept('lparen')) {
      field = c.next();
      if (isKeyword(field, 'eval') && c.accept('lparen')) {
        if (!fn) return c.fail(at, `aggregate ${describe(at)} is not supported after tstats (${Object.keys(rowAggregates).join(', ')})`);
        const read = evalArgument(c, at, fn, readValue);
        if (!read) return null;
        value = read;
        field = undefined;
      } else if (field?.kind !== 'word' && field?.kind !== 'string') {
        return c.fail(field, `expected a column in ${at.text}(), found ${describe(field)}`);
      }
      if (!c.accept('rparen')) return c.fail(c.peek(), `expected \`)\` to close ${at.text}(, found ${describe(c.peek())}`);
    }
    if (!fn) return c.fail(at, `aggregate ${describe(at)} is not supported after tstats (${Object.keys(rowAggregates).join(', ')})`);
    if (!field && !value && fn !== 'count') return c.fail(at, `aggregate \`${at.text}\` needs a column: ${at.text}(column)`);
    if (field && !column(field.text, field)) return null;
    let as = field ? `${at.text}(${field.text})` : at.text;
    if (c.acceptKeyword('as')) {
      const name = c.next();
      if (name?.kind !== 'word' && name?.kind !== 'string') return c.fail(name, `expected a column name after as, found ${describe(name)}`);
      as = name.text;
    } else if (value) {
      return c.fail(c.peek() ?? at, `${at.text}(eval(...)) needs \`as\` a column name`);
    }
    aggregates.push({ fn, ...(field && { field: field.text }), ...(value && { value }), as });
  }
  if (aggregates.length === 0) return c.fail(c.peek(), 'stats needs at least one aggregate (e.g. count)');
  const by: Token[] = [];
  if (c.acceptKeyword('by')) {
    while (!c.atEnd()) {
      if (c.accept('comma')) continue;
      const token = c.next()!;
      if (token.kind !== 'word' && token.kind !== 'string') return c.fail(token, `expected a BY column, found ${describe(token)}`);
      if (!column(token.text, token)) return null;
      by.push(token);
    }
    if (by.length === 0) return c.fail(undefined, 'by needs a column');
  }
  return { aggregates, by };
}

/** the `expr)` of `fn(eval(expr))`, its `eval(` read: a truth value only counts (`count(eval(x > 5))`) */
function evalArgument(c: TokenCursor, at: Token, fn: RowAggregateFunction, readValue: ValueRead): ValueExpr | null {
  const value = readValue(c);
  if (!value) return null;
  if (!c.accept('rparen')) return c.fail(c.peek(), `expected \`)\` to close eval( in ${at.text}(), found ${describe(c.peek())}`);
  if (isCondition(value) !== (fn === 'count')) {
    return c.fail(at, fn === 'count' ? 'count(eval(...)) counts the rows where a condition is true: give it a condition' : `${at.text}(eval(...)) needs a value, not a condition (use if(condition, value, null()))`);
  }
  return value;
}

/** `dedup a b` (no options: keepempty=, consecutive= and sortby change which rows stay) */
export function parseDedup(c: TokenCursor, column: ColumnCheck): Extract<RowStage, { kind: 'dedup' }> | null {
  const fields: string[] = [];
  while (!c.atEnd()) {
    if (c.accept('comma')) continue;
    const token = c.next()!;
    if (c.peek()?.kind === 'eq' || isKeyword(token, 'sortby')) return c.fail(token, `dedup option ${describe(token)} is not supported`);
    if (token.kind !== 'word' && token.kind !== 'string') return c.fail(token, `expected a column in dedup, found ${describe(token)}`);
    if (isNumber(token.text) && fields.length === 0) return c.fail(token, 'dedup with a count is not supported (it keeps one row per combination)');
    if (!column(token.text, token)) return null;
    fields.push(token.text);
  }
  return fields.length === 0 ? c.fail(undefined, 'dedup needs columns') : { kind: 'dedup', fields };
}

/** Splunk's sort keeps 10,000 rows unless told otherwise */
const SORT_LIMIT = 10_000;

/** `sort [N] [+|-]col ...`, `sort - col` */
export function parseSort(c: TokenCursor, column: ColumnCheck): Extract<RowStage, { kind: 'sort' }> | null {
  let limit = SORT_LIMIT;
  const first = c.peek();
  if (first?.kind === 'word' && isNumber(first.text)) {
    c.next();
    limit = Number(first.text) === 0 ? Infinity : Number(first.text);
  }
  const keys: Array<{ field: string; descending: boolean }> = [];
  let sign: string | undefined;
  while (!c.atEnd()) {
    if (c.accept('comma')) continue;
    const token = c.next()!;
    if (token.kind === 'word' && (token.text === '-' || token.text === '+')) {
      sign = token.text;
      continue;
    }
    let name = token.text;
    let descending = sign === '-';
    if (token.kind === 'word' && (name.startsWith('-') || name.startsWith('+'))) {
      descending = name.startsWith('-');
      name = name.slice(1);
    }
    if (c.peek()?.kind === 'lparen') return c.fail(token, `sort ${name}(...) is not supported: sort by columns`);
    if (!column(name, token)) return null;
    keys.push({ field: name, descending });
    sign = undefined;
  }
  return keys.length === 0 ? c.fail(undefined, 'sort needs columns') : { kind: 'sort', keys, limit };
}

/** `head [N]`, 10 by default as in Splunk */
export function parseHead(c: TokenCursor): Extract<RowStage, { kind: 'head' }> | null {
  const token = c.next();
  if (!token) return { kind: 'head', count: 10 };
  if (token.kind !== 'word' || !/^\d+$/.test(token.text) || !c.atEnd()) return c.fail(token, 'head takes a row count (head 20)');
  return { kind: 'head', count: Number(token.text) };
}
