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
  assert.deepEqual(names({ EventID: '1' }), ['any', 'one', 'one-or-seven', 'wildcard']);
  assert.deepEqual(names({ EventID: '3' }), ['any', 'three', 'wildcard']);
  assert.deepEqual(names({ EventID: '7' }), ['any', 'one-or-seven', 'wildcard']);
});

test('rules that pin nothing (a wildcard, an OR) are candidates for every event, the absent field included', () => {
  assert.deepEqual(names({ EventID: '22' }), ['any', 'wildcard']);
  assert.deepEqual(names({}), ['any', 'wildcard']);
});

test('a multivalue field takes the union of its values, each rule once', () => {
  assert.deepEqual(names({ EventID: ['1', '7'] }), ['any', 'one', 'one-or-seven', 'wildcard']);
});
