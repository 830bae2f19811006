import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileFilter } from '../../../src/rules/spl/compile.js';
import type { Expr } from '../../../src/rules/search-plan.js';

function exprOf(spl: string): Expr {
  const { expr, errors } = compileFilter(spl);
  assert.deepEqual(errors, []);
  assert.ok(expr);
  return expr;
}

const eq = (field: string, pattern: string): Expr => ({ kind: 'compare', field, op: '=', pattern });

describe('expression grammar', () => {
  test('= and != with quoted and unquoted values', () => {
    assert.deepEqual(exprOf('a=x b!="y z"'), { kind: 'and', terms: [eq('a', 'x'), { kind: 'compare', field: 'b', op: '!=', pattern: 'y z' }] });
  });

  test('IN with quoted and unquoted values', () => {
    assert.deepEqual(exprOf('f IN ("a b", c,"*d*")'), { kind: 'in', field: 'f', patterns: ['a b', 'c', '*d*'] });
  });

  test('explicit AND equals implicit AND', () => {
    assert.deepEqual(exprOf('a=1 AND b=2'), exprOf('a=1 b=2'));
  });

  test('NOT applies to the next term only', () => {
    assert.deepEqual(exprOf('NOT a=1 b=2'), { kind: 'and', terms: [{ kind: 'not', term: eq('a', '1') }, eq('b', '2')] });
  });

  test('NOT of a parenthesised group and double NOT', () => {
    assert.deepEqual(exprOf('NOT (a=1 OR b=2)'), { kind: 'not', term: { kind: 'or', terms: [eq('a', '1'), eq('b', '2')] } });
    assert.deepEqual(exprOf('NOT NOT a=1'), { kind: 'not', term: { kind: 'not', term: eq('a', '1') } });
  });

  test('keywords are case-insensitive', () => {
    assert.deepEqual(exprOf('not a=1 or b=2 and c in (x)'), exprOf('NOT a=1 OR b=2 AND c IN (x)'));
  });

  test('an empty quoted value is the empty pattern', () => {
    assert.deepEqual(exprOf('a=""'), eq('a', ''));
  });

  test('keyword-looking values are values', () => {
    assert.deepEqual(exprOf('a=OR b="NOT"'), { kind: 'and', terms: [eq('a', 'OR'), eq('b', 'NOT')] });
  });
});

describe('precedence (Splunk search: parentheses, NOT, OR, then AND; where: AND before OR)', () => {
  test('search: `a=1 b=2 OR c=3` is a=1 AND (b=2 OR c=3)', () => {
    assert.deepEqual(exprOf('a=1 b=2 OR c=3'), { kind: 'and', terms: [eq('a', '1'), { kind: 'or', terms: [eq('b', '2'), eq('c', '3')] }] });
  });

  test('search: `a=1 OR b=2 AND c=3` is (a=1 OR b=2) AND c=3', () => {
    assert.deepEqual(exprOf('a=1 OR b=2 AND c=3'), { kind: 'and', terms: [{ kind: 'or', terms: [eq('a', '1'), eq('b', '2')] }, eq('c', '3')] });
  });

  test('search: NOT binds tighter than OR', () => {
    assert.deepEqual(exprOf('NOT a=1 OR b=2'), { kind: 'or', terms: [{ kind: 'not', term: eq('a', '1') }, eq('b', '2')] });
  });

  test('parentheses override', () => {
    assert.deepEqual(exprOf('(a=1 b=2) OR c=3'), { kind: 'or', terms: [{ kind: 'and', terms: [eq('a', '1'), eq('b', '2')] }, eq('c', '3')] });
  });

  test('where: `a=1 AND b=2 OR c=3` is (a=1 AND b=2) OR c=3', () => {
    assert.deepEqual(exprOf('where a=1 AND b=2 OR c=3'), { kind: 'or', terms: [{ kind: 'and', terms: [eq('a', '1'), eq('b', '2')] }, eq('c', '3')] });
  });
});

describe('escapes', () => {
  test('`\\\\` is one backslash and `\\"` a quote inside quotes', () => {
    assert.deepEqual(exprOf(String.raw`user="CORP\\svc" cmd="say \"hi\""`), { kind: 'and', terms: [eq('user', 'CORP\\svc'), eq('cmd', 'say "hi"')] });
  });

  test('any other backslash stays literal and the next character is read normally', () => {
    assert.deepEqual(exprOf(String.raw`p="C:\Temp\*x"`), eq('p', 'C:\\Temp\\*x'));
  });

  test('escapes apply to unquoted values too', () => {
    assert.deepEqual(exprOf(String.raw`user=CORP\\svc`), eq('user', 'CORP\\svc'));
  });

  test('a trailing backslash before the closing quote is literal when not doubled', () => {
    assert.deepEqual(exprOf(String.raw`p="a\\" q=b`), { kind: 'and', terms: [eq('p', 'a\\'), eq('q', 'b')] });
  });
});

describe('compileFilter (tuning files)', () => {
  test('accepts search, where and a bare expression', () => {
    const expected: Expr = { kind: 'not', term: { kind: 'in', field: 'user', patterns: ['CORP\\svc_build'] } };
    assert.deepEqual(exprOf(String.raw`search NOT user IN ("CORP\\svc_build")`), expected);
    assert.deepEqual(exprOf(String.raw`NOT user IN ("CORP\\svc_build")`), expected);
    assert.deepEqual(exprOf(String.raw`where NOT user IN ("CORP\\svc_build")`), expected);
  });

  test('a field named search is a field, not the command', () => {
    assert.deepEqual(exprOf('search=x'), eq('search', 'x'));
  });

  test('does not check column names', () => {
    assert.deepEqual(exprOf('anything_at_all=1'), eq('anything_at_all', '1'));
  });
});
