import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePredicate } from '../../../src/engine/predicate.js';
import type { Expr } from '../../../src/rules/search-plan.js';

/** a backreference: RE2 refuses it, so compiling it throws (the front end refuses such a rule at load) */
const refused: Expr = { kind: 'test', field: 'CommandLine', test: { op: 'regex', pattern: '(a)\\1', flags: '' } };
const imageIsCmd: Expr = { kind: 'compare', field: 'Image', op: '=', pattern: '*\\cmd.exe' };

test('a regular expression is compiled when a value is first judged by it, not when its rule is compiled', () => {
  const predicate = compilePredicate(refused);
  // no CommandLine: no value is judged, so the expression is never compiled and nothing throws
  assert.equal(predicate({ Image: 'C:\\Windows\\cmd.exe' }), false);
  // a value to judge: the expression is compiled now, and RE2 refuses it
  assert.throws(() => predicate({ CommandLine: 'aa' }), /./);
});

test('an expression compiled on first use judges every value as one compiled at once', () => {
  const predicate = compilePredicate({ kind: 'test', field: 'CommandLine', test: { op: 'regex', pattern: '-e(nc|ncodedcommand)? [a-z0-9+/]{20}', flags: 'i' } });
  const values = ['powershell -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBi', 'powershell -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBi', 'powershell -enc short', 'cmd /c dir'];
  assert.deepEqual(
    values.map((CommandLine) => predicate({ CommandLine })),
    [true, true, false, false],
  );
});

test("an AND's later terms are compiled when first reached: a network the front end would refuse throws only then", () => {
  const badNetwork: Expr = { kind: 'test', field: 'DestinationIp', test: { op: 'cidr', network: 'not a network' } };
  const predicate = compilePredicate({ kind: 'and', terms: [imageIsCmd, { kind: 'not', term: badNetwork }] });
  assert.equal(predicate({ Image: 'C:\\Windows\\notepad.exe', DestinationIp: '10.0.0.1' }), false);
  assert.throws(() => predicate({ Image: 'C:\\Windows\\cmd.exe', DestinationIp: '10.0.0.1' }), /not a network/);
});

test('an AND whose terms were compiled on first use gives the same answers on every later event', () => {
  const predicate = compilePredicate({
    kind: 'and',
    terms: [imageIsCmd, { kind: 'compare', field: 'CommandLine', op: '=', pattern: '*/c*' }, { kind: 'not', term: { kind: 'compare', field: 'User', op: '=', pattern: 'SYSTEM' } }],
  });
  const events = [
    { Image: 'C:\\Windows\\cmd.exe', CommandLine: 'cmd /c dir', User: 'alice' },
    { Image: 'C:\\Windows\\cmd.exe', CommandLine: 'cmd /c dir', User: 'system' },
    { Image: 'C:\\Windows\\cmd.exe', CommandLine: 'cmd /k', User: 'alice' },
    { Image: 'C:\\Windows\\notepad.exe', CommandLine: 'cmd /c dir', User: 'alice' },
  ];
  const expected = [true, false, false, false];
  // twice over: the first pass compiles the terms, the second runs them compiled
  assert.deepEqual(events.map((e) => predicate(e)), expected);
  assert.deepEqual(events.map((e) => predicate(e)), expected);
});

test('an AND tests its terms holding a regular expression after its other terms, whatever their order in the rule', () => {
  const predicate = compilePredicate({ kind: 'and', terms: [{ kind: 'not', term: refused }, imageIsCmd] });
  // written first, the expression would be compiled (and refused) on this event; run last, it is never reached
  assert.equal(predicate({ Image: 'C:\\Windows\\notepad.exe', CommandLine: 'aa' }), false);
  assert.throws(() => predicate({ Image: 'C:\\Windows\\cmd.exe', CommandLine: 'aa' }), /./);
});
