import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textTests } from '../../../src/engine/prefilter-tests.js';
import type { SavedAnalysis } from '../../../src/engine/prefilter-tables.js';

/** quick needle `zzz`; exact: the one literal `abc` meets the one requirement */
function tests() {
  const analysis: SavedAnalysis = { needles: ['zzz'], wholeNumbers: new Set(), literals: ['abc'], requirementsOf: [[{ kind: 'any', literals: [0], terms: [] }]], vetoes: new Map() };
  return textTests(analysis);
}

const bytes = (text: string) => Buffer.from(text, 'latin1');
/** holds the exact test's literal but not the quick test's needle */
const exactOnly = bytes('{"ImageLoaded":"abc"}');

test('a quick test that passes nearly every record of its sample is skipped after it: the exact test decides alone', () => {
  const t = tests();
  assert.equal(t.mayMatchBytes(exactOnly), false, 'at first both tests must pass');
  for (let i = 0; i < 600; i++) t.mayMatchBytes(bytes(`{"n":${i},"x":"zzz abc"}`));
  assert.equal(t.mayMatchBytes(exactOnly), true, 'after the sample the quick test no longer rules records out');
  assert.equal(t.mayMatchBytes(bytes('{"x":"zzz"}')), false, 'the exact test still does');
});

test('a quick test that rules out enough of its sample is kept', () => {
  const t = tests();
  for (let i = 0; i < 600; i++) t.mayMatchBytes(bytes(i % 4 === 0 ? '{"x":"nothing"}' : '{"x":"zzz abc"}'));
  assert.equal(t.mayMatchBytes(exactOnly), false);
  assert.equal(t.mayMatchBytes(bytes('{"x":"zzz abc"}')), true);
});

test('the decision is taken again every period: a start unlike the rest does not turn the quick test off for the whole run', () => {
  const t = tests();
  for (let i = 0; i < 600; i++) t.mayMatchBytes(bytes(`{"n":${i},"x":"zzz abc"}`));
  assert.equal(t.mayMatchBytes(exactOnly), true, 'off after a sample that nearly all passed');
  // the rest of the period, then a sample of records the quick test rules out
  for (let i = 602; i < 65_536 + 600; i++) t.mayMatchBytes(bytes('{"x":"nothing"}'));
  assert.equal(t.mayMatchBytes(exactOnly), false, 'on again after the next period\'s sample');
});
