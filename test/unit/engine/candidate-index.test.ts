import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CandidateIndex, candidateIndexes, LITERAL_INDEX_FROM } from '../../../src/engine/candidate-index.js';
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
// every bucket, however small, with its literal index
const index = new CandidateIndex(rules, (r) => r.where, undefined, 1);
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

test(`by default a bucket of fewer than ${LITERAL_INDEX_FROM} rules is tested whole, without a literal index; a larger one is narrowed by literal`, () => {
  const event = new LoweredFields({ EventID: '1', vendor: 'other', Image: 'x' });
  const small = new CandidateIndex(rules, (r) => r.where);
  assert.deepEqual(small.candidates(event).map((r) => r.name).sort(), ['any', 'one', 'one-or-seven', 'wildcard'], "'one' needs vendor Sysmon, but its bucket is small");
  // the EventID 1 bucket, padded with rules for another vendor to LITERAL_INDEX_FROM
  const padding = Array.from({ length: LITERAL_INDEX_FROM }, (_, i) => ({ name: `pad${i}`, where: { kind: 'and', terms: [eq('vendor', `v${i}`), eq('EventID', '1')] } as Expr }));
  const large = new CandidateIndex([...rules, ...padding], (r) => r.where);
  assert.deepEqual(large.candidates(event).map((r) => r.name).sort(), ['any', 'one-or-seven', 'wildcard']);
});

test('a multivalue field takes the union of its values, each rule once', () => {
  assert.deepEqual(names({ EventID: ['1', '7'], vendor: 'sysmon', Image: 'x' }), ['any', 'one', 'one-or-seven', 'wildcard']);
});

test('candidate indexes restored from saved tables give the candidates the built ones give without reading any rule\'s search; damaged tables are rebuilt', () => {
  const store = { bytes: undefined as Uint8Array | undefined, writes: 0, read: () => store.bytes, write: (b: Uint8Array) => ((store.bytes = b), store.writes++) };
  const lists = new Map([['Endpoint.Processes', rules]]);
  candidateIndexes(lists, (r) => r.where, store, 1);
  assert.equal(store.writes, 1);
  const unread = (r: { name: string }): Expr => assert.fail(`the search of ${r.name} was read`);
  const restored = candidateIndexes(lists, unread, store, 1).get('Endpoint.Processes')!;
  assert.equal(store.writes, 1, 'read, not built again');
  const events: Array<Record<string, string | string[]>> = [
    { EventID: '1', vendor: 'sysmon', Image: 'x' },
    { EventID: '3', vendor: 'sysmon' },
    { EventID: '7' },
    { EventID: '22', Image: 'y' },
    { EventID: '10' },
    {},
    { EventID: '1', vendor: 'other', Image: 'x' },
    { EventID: ['1', '7'], vendor: 'sysmon', Image: 'x' },
  ];
  for (const fields of events) assert.deepEqual(restored.candidates(new LoweredFields(fields)).map((r) => r.name).sort(), names(fields), JSON.stringify(fields));
  const damaged = Uint8Array.from(store.bytes!);
  damaged[damaged.length - 1] ^= 1;
  store.bytes = damaged;
  const rebuilt = candidateIndexes(lists, (r) => r.where, store, 1).get('Endpoint.Processes')!;
  assert.equal(store.writes, 2, 'the damaged tables were refused and the indexes saved again');
  for (const fields of events) assert.deepEqual(rebuilt.candidates(new LoweredFields(fields)).map((r) => r.name).sort(), names(fields));
});

test('saved buckets that do not fit the rules indexed (another list) are not used: the buckets are derived from the searches', () => {
  const store = { bytes: undefined as Uint8Array | undefined, read: () => store.bytes, write: (b: Uint8Array) => (store.bytes = b) };
  candidateIndexes(new Map([['Endpoint.Processes', rules]]), (r) => r.where, store, 1);
  const fewer = rules.filter((r) => r.name !== 'one');
  const fresh = new CandidateIndex(fewer, (r) => r.where, undefined, 1);
  const restored = candidateIndexes(new Map([['Endpoint.Processes', fewer]]), (r) => r.where, store, 1).get('Endpoint.Processes')!;
  const events: Array<Record<string, string>> = [{ EventID: '1', vendor: 'sysmon', Image: 'x' }, { EventID: '3', vendor: 'sysmon' }, { EventID: '7' }, { EventID: '22', Image: 'y' }];
  for (const fields of events) {
    const lowered = new LoweredFields(fields);
    assert.deepEqual(restored.candidates(lowered).map((r) => r.name).sort(), fresh.candidates(lowered).map((r) => r.name).sort(), JSON.stringify(fields));
  }
});
