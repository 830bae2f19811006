import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CandidateIndex } from '../../../src/engine/candidate-index.js';
import { LoweredFields } from '../../../src/engine/predicate.js';
import type { Expr } from '../../../src/rules/search-plan.js';

const eq = (field: string, pattern: string): Expr => ({ kind: 'compare', field, op: '=', pattern });
const rules: Array<{ name: string; where: Expr }> = [
  { name: 'one', where: { kind: 'and', terms: [eq('vendor', 'Sysmon'), eq('EventID', '1'), eq('Image', '*x*')] } },
  { name: 'three', where: { kind: 'and', terms: [eq('vendor', 'Sysmon'), eq('EventID', '3')] } },
  { name: 'one-or-seven', where: { kind: 'in', field: 'EventID', patterns: ['1', '7'] } },
  { name: 'wildcard', where: eq('EventID', '1*') },
  { name: 'any', where: { kind: 'or', terms: [eq('EventID', '1'), eq('Image', 'y')] } },
];
const index = new CandidateIndex(rules, (r) => r.where);
const names = (fields: Record<string, string | string[]>) => index.candidates(new LoweredFields(fields)).map((r) => r.name).sort();

test('rules pinning the indexed field to exact values are candidates only for events with one of those values', () => {
  assert.deepEqual(names({ EventID: '1', vendor: 'sysmon', Image: 'x' }), ['any', 'one', 'one-or-seven', 'wildcard']);
  assert.deepEqual(names({ EventID: '3', vendor: 'sysmon' }), ['three']);
  assert.deepEqual(names({ EventID: '7' }), ['one-or-seven']);
});

test('rules that pin nothing (a wildcard, an OR) are candidates of every bucket, the absent field included, where their literals are present', () => {
  assert.deepEqual(names({ EventID: '22', Image: 'y' }), ['any']);
  // literals are substrings: `1` is in `10`
  assert.deepEqual(names({ EventID: '10' }), ['any', 'wildcard']);
  assert.deepEqual(names({ Image: 'y' }), ['any']);
  assert.deepEqual(names({}), []);
});

test('within a bucket, a rule whose literal the event lacks is no candidate', () => {
  assert.deepEqual(names({ EventID: '1', vendor: 'other', Image: 'x' }), ['any', 'one-or-seven', 'wildcard']);
});

test('a multivalue field takes the union of its values, each rule once', () => {
  assert.deepEqual(names({ EventID: ['1', '7'], vendor: 'sysmon', Image: 'x' }), ['any', 'one', 'one-or-seven', 'wildcard']);
});
