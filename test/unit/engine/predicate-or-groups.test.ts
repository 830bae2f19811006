import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { FieldValue } from '../../../src/cim/model.js';
import { compilePredicate } from '../../../src/engine/predicate.js';
import type { Expr, GlobToken } from '../../../src/rules/search-plan.js';

// few characters, so values and literals often meet; `İ` and `Σ` change length or form when lowercased, the Kelvin sign becomes ASCII `k`
const chars = ['a', 'b', 'A', '\\', 'İ', 'Σ', '\u212a', 'k', '.'];
const text = (max: number) => fc.array(fc.constantFrom(...chars), { minLength: 0, maxLength: max }).map((a) => a.join(''));
const token: fc.Arbitrary<GlobToken> = fc.oneof(text(3), fc.constantFrom({ wildcard: '*' as const }, { wildcard: '?' as const }));
const field = fc.constantFrom('ImageLoaded', 'Image');
/** plain shapes (what Sigma's modifiers make) mostly, and any glob now and then */
const glob: fc.Arbitrary<Expr> = fc.record({
  field,
  cased: fc.constantFrom(false, false, false, true),
  tokens: fc.oneof(
    fc.tuple(text(4)).map(([t]) => [t] as GlobToken[]),
    text(4).map((t) => [{ wildcard: '*' }, t] as GlobToken[]),
    text(4).map((t) => [t, { wildcard: '*' }] as GlobToken[]),
    text(4).map((t) => [{ wildcard: '*' }, t, { wildcard: '*' }] as GlobToken[]),
    fc.array(token, { minLength: 1, maxLength: 4 }),
  ),
}).map(({ field, cased, tokens }) => ({ kind: 'test', field, test: { op: 'glob', tokens, cased } }) as Expr);
const value: fc.Arbitrary<FieldValue | undefined> = fc.oneof(fc.constant(undefined), text(6), fc.array(text(6), { maxLength: 3 }));
const event = fc.record({ ImageLoaded: value, Image: value }).map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as Record<string, FieldValue>);

describe('an OR of many plain globs on one field (one set lookup per length)', () => {
  test('holds exactly when one of its globs, compiled alone, holds', () => {
    fc.assert(
      fc.property(fc.array(glob, { minLength: 1, maxLength: 14 }), fc.array(event, { minLength: 1, maxLength: 8 }), (terms, events) => {
        const grouped = compilePredicate({ kind: 'or', terms });
        const alone = terms.map((t) => compilePredicate(t));
        for (const e of events) assert.equal(grouped(e), alone.some((p) => p(e)), JSON.stringify({ terms, e }));
      }),
      { numRuns: 3000 },
    );
  });

  test("the side-loading rule's shape: an endswith list, and its System32 filter under a NOT", () => {
    const names = ['\\version.dll', '\\oci.dll', '\\wlbsctrl.dll', '\\tsmsisrv.dll', '\\iertutil.dll'];
    const endsWith = (t: string): Expr => ({ kind: 'test', field: 'ImageLoaded', test: { op: 'glob', tokens: [{ wildcard: '*' }, t], cased: false } });
    const rule = compilePredicate({
      kind: 'and',
      terms: [
        { kind: 'or', terms: names.map(endsWith) },
        { kind: 'not', term: { kind: 'test', field: 'ImageLoaded', test: { op: 'glob', tokens: ['C:\\Windows\\System32\\', { wildcard: '*' }], cased: false } } },
      ],
    });
    assert.equal(rule({ ImageLoaded: 'C:\\Users\\x\\AppData\\OCI.DLL' }), true);
    assert.equal(rule({ ImageLoaded: 'C:\\Windows\\System32\\oci.dll' }), false);
    assert.equal(rule({ ImageLoaded: 'C:\\Users\\x\\oci.dll.bak' }), false);
    assert.equal(rule({ Image: 'C:\\Users\\x\\oci.dll' }), false);
  });
});
