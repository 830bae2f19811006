import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { compilePredicate } from '../../../src/engine/predicate.js';
import { parseSigmaRule } from '../../../src/rules/sigma/rule.js';

/**
 * A random Sigma detection, compiled by the front end and run by the engine's predicate, agrees
 * with a direct, naive reading of the rule on random events.
 */
const fields = ['Image', 'CommandLine', 'User'] as const;
const modifiers = ['', '|contains', '|startswith', '|endswith', '|contains|all', '|cased', '|contains|cased'] as const;

type Entry = { field: (typeof fields)[number]; modifier: (typeof modifiers)[number]; values: string[] };
type Search = { kind: 'map'; entries: Entry[] } | { kind: 'maps'; maps: Entry[][] };
type Cond = { kind: 'id'; n: number } | { kind: 'not'; c: Cond } | { kind: 'and' | 'or'; a: Cond; b: Cond } | { kind: 'oneOf' | 'allOf' };

const text = (chars: string[]) => fc.array(fc.constantFrom(...chars), { minLength: 1, maxLength: 3 }).map((a) => a.join(''));
const entry = fc.record({ field: fc.constantFrom(...fields), modifier: fc.constantFrom(...modifiers), values: fc.array(text(['a', 'b', 'A', '*']), { minLength: 1, maxLength: 3 }) });
const uniqueEntries = fc.array(entry, { minLength: 1, maxLength: 3 }).map((es) => es.filter((e, i) => es.findIndex((o) => o.field === e.field && o.modifier === e.modifier) === i));
const search: fc.Arbitrary<Search> = fc.oneof(
  uniqueEntries.map((entries) => ({ kind: 'map' as const, entries })),
  fc.array(uniqueEntries, { minLength: 1, maxLength: 3 }).map((maps) => ({ kind: 'maps' as const, maps })),
);
const cond: fc.Arbitrary<Cond> = fc.letrec<{ c: Cond }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: 0, max: 2 }).map((n) => ({ kind: 'id' as const, n })),
    fc.constant({ kind: 'oneOf' as const }),
    fc.constant({ kind: 'allOf' as const }),
    tie('c').map((c) => ({ kind: 'not' as const, c })),
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), a: tie('c'), b: tie('c') }),
  ),
})).c;
const event = fc.record({ Image: fc.option(text(['a', 'b', 'A', 'B', '*']), { nil: undefined }), CommandLine: fc.option(text(['a', 'b', 'A', 'B']), { nil: undefined }), User: fc.option(text(['a', 'A']), { nil: undefined }) });

function conditionText(c: Cond): string {
  switch (c.kind) {
    case 'id':
      return `sel${c.n}`;
    case 'not':
      return `not (${conditionText(c.c)})`;
    case 'and':
    case 'or':
      return `(${conditionText(c.a)} ${c.kind} ${conditionText(c.b)})`;
    case 'oneOf':
      return '1 of sel*';
    case 'allOf':
      return 'all of them';
  }
}

function entriesYaml(entries: Entry[]): Record<string, string[]> {
  return Object.fromEntries(entries.map((e) => [`${e.field}${e.modifier}`, e.values]));
}

/** `*` is the only wildcard in the generated values; anything else is itself */
function globMatches(pattern: string, value: string): boolean {
  if (pattern === '') return value === '';
  if (pattern[0] === '*') return [...Array(value.length + 1).keys()].some((i) => globMatches(pattern.slice(1), value.slice(i)));
  return value !== '' && pattern[0] === value[0] && globMatches(pattern.slice(1), value.slice(1));
}

function naiveEntry(e: Entry, ev: Record<string, string | undefined>): boolean {
  const raw = ev[e.field];
  if (raw === undefined) return false;
  const cased = e.modifier.includes('cased');
  const value = cased ? raw : raw.toLowerCase();
  const one = (v: string) => {
    const p = cased ? v : v.toLowerCase();
    if (e.modifier.includes('contains')) return globMatches(`*${p}*`, value);
    if (e.modifier.includes('startswith')) return globMatches(`${p}*`, value);
    if (e.modifier.includes('endswith')) return globMatches(`*${p}`, value);
    return globMatches(p, value);
  };
  return e.modifier.includes('all') ? e.values.every(one) : e.values.some(one);
}

function naiveSearch(s: Search, ev: Record<string, string | undefined>): boolean {
  return s.kind === 'map' ? s.entries.every((e) => naiveEntry(e, ev)) : s.maps.some((m) => m.every((e) => naiveEntry(e, ev)));
}

function naiveCondition(c: Cond, searches: Search[], ev: Record<string, string | undefined>): boolean {
  switch (c.kind) {
    case 'id':
      return naiveSearch(searches[c.n], ev);
    case 'not':
      return !naiveCondition(c.c, searches, ev);
    case 'and':
      return naiveCondition(c.a, searches, ev) && naiveCondition(c.b, searches, ev);
    case 'or':
      return naiveCondition(c.a, searches, ev) || naiveCondition(c.b, searches, ev);
    case 'oneOf':
      return searches.some((s) => naiveSearch(s, ev));
    case 'allOf':
      return searches.every((s) => naiveSearch(s, ev));
  }
}

test('a random Sigma detection compiled and run by the engine equals a naive reading of the rule', () => {
  fc.assert(
    fc.property(fc.array(search, { minLength: 3, maxLength: 3 }), cond, fc.array(event, { minLength: 1, maxLength: 8 }), (searches, condition, events) => {
      const detection: Record<string, unknown> = { condition: conditionText(condition) };
      searches.forEach((s, i) => {
        detection[`sel${i}`] = s.kind === 'map' ? entriesYaml(s.entries) : s.maps.map(entriesYaml);
      });
      const yaml = stringify({ title: 'P', id: 'p', level: 'low', logsource: { category: 'process_creation', product: 'windows' }, detection });
      const loaded = parseSigmaRule('p.yml', yaml);
      assert.deepEqual(loaded.notLoaded, [], yaml);
      const sysmon = loaded.detections.find((d) => d.dataSources[0] === 'Sysmon EventID 1');
      assert.ok(sysmon);
      const matches = compilePredicate(sysmon.plan.where);
      for (const ev of events) {
        const present = Object.fromEntries(Object.entries(ev).filter(([, v]) => v !== undefined)) as Record<string, string>;
        const compiled = matches({ EventID: '1', vendor_product: 'Microsoft Sysmon', ...present });
        assert.equal(compiled, naiveCondition(condition, searches, ev), `${yaml}\nevent ${JSON.stringify(ev)}`);
      }
    }),
    { numRuns: 300 },
  );
});
