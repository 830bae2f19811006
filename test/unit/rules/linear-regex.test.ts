import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileLinearRegex, compileRuleRegex, type LinearRegex } from '../../../src/rules/linear-regex.js';

function compiled(pattern: string, flags = {}): LinearRegex {
  const result = compileLinearRegex(pattern, flags);
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.regex;
}

test('a catastrophic-backtracking pattern runs in linear time over a long non-matching input', () => {
  const regex = compiled('(a+)+$');
  const input = 'a'.repeat(200_000) + '!';
  const started = process.hrtime.bigint();
  assert.equal(regex.test(input), false);
  // a backtracking engine needs 2^200000 steps here; RE2 needs one pass (well under a second)
  assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 2000);
});

test('matches are unanchored and honour the i, m and s flags', () => {
  assert.equal(compiled('ngrok.*tcp').test('C:\\ngrok.exe tcp 3389'), true);
  assert.equal(compiled('NGROK').test('ngrok'), false);
  assert.equal(compiled('NGROK', { ignoreCase: true }).test('ngrok'), true);
  assert.equal(compiled('^b$').test('a\nb'), false);
  assert.equal(compiled('^b$', { multiline: true }).test('a\nb'), true);
  assert.equal(compiled('a.b').test('a\nb'), false);
  assert.equal(compiled('a.b', { dotAll: true }).test('a\nb'), true);
});

test('named and numbered groups of the first match are returned', () => {
  assert.deepEqual(compiled('(?P<tool>ngrok|frpc)\\.exe (\\w+)').groups('run frpc.exe -c x'), undefined);
  assert.deepEqual(compiled('(?P<tool>ngrok|frpc)\\.exe (\\w+)').groups('run ngrok.exe tcp'), { '1': 'ngrok', '2': 'tcp', tool: 'ngrok' });
});

test('backreferences and lookaround are refused with a reason, not run by a backtracking engine', () => {
  for (const pattern of ['(a)\\1', 'foo(?=bar)', '(?<!x)y']) {
    const result = compileLinearRegex(pattern);
    assert.equal(result.ok, false, pattern);
    if (!result.ok) assert.match(result.reason, /not a linear-time regular expression/);
  }
});

test("a rule's pattern compiles once per thread: the same pattern and flags give the same matcher, other flags another", () => {
  const first = compileRuleRegex('\\\\(oci|wow64log)\\.dll$', { ignoreCase: true });
  const again = compileRuleRegex('\\\\(oci|wow64log)\\.dll$', { ignoreCase: true });
  const cased = compileRuleRegex('\\\\(oci|wow64log)\\.dll$');
  assert.ok(first.ok && again.ok && cased.ok);
  assert.equal(again.regex, first.regex);
  assert.notEqual(cased.regex, first.regex);
  assert.equal(first.regex.test('C:\\Windows\\System32\\OCI.DLL'), true);
  assert.equal(cased.regex.test('C:\\Windows\\System32\\OCI.DLL'), false);
  assert.notEqual(compileLinearRegex('a+b'), compileLinearRegex('a+b'), 'patterns built from event values are compiled anew (their cache is bounded, elsewhere)');
});
