import { test } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { Detector } from '../../../src/engine/detector.js';
import { findingId } from '../../../src/engine/finding.js';
import { groupKeys } from '../../../src/engine/finding-groups.js';
import { renderFinding } from '../../../src/engine/render.js';
import { CapTally } from '../../../src/diagnostics/cap-tally.js';
import { MAX_SLOT_VALUES } from '../../../src/engine/partial-state.js';
import { by, cimEvent, detectionWith } from '../../helpers/detections.js';

const keyOf = (f: { by: Array<[string, string]> }) => Object.fromEntries(f.by);

test('tstats fill-null: an event lacking a BY field groups under the string "null" and is kept', () => {
  const detector = new Detector([detectionWith({ by: by('dest', 'user') })]);
  detector.observe(cimEvent({ dest: 'h1', user: 'alice' }, 10));
  detector.observe(cimEvent({ dest: 'h1' }, 20));
  const rows = detector.findings();
  assert.deepEqual(rows.map(keyOf), [{ dest: 'h1', user: 'alice' }, { dest: 'h1', user: 'null' }]);
});

test('plain stats without fillnull drops events that lack a BY field', () => {
  const detector = new Detector([detectionWith({ by: by('dest', 'user'), missingBy: 'drop' })]);
  detector.observe(cimEvent({ dest: 'h1', user: 'alice' }));
  detector.observe(cimEvent({ dest: 'h2' }));
  assert.deepEqual(detector.findings().map(keyOf), [{ dest: 'h1', user: 'alice' }]);
});

test('fillnull before stats fills 0 for a field another matched event had, and drops rows on a field no event had', () => {
  const plan = { by: by('dest', 'user'), missingBy: 'drop' as const, fillnullZero: true };
  const seen = new Detector([detectionWith(plan)]);
  seen.observe(cimEvent({ dest: 'h1', user: 'alice' }));
  seen.observe(cimEvent({ dest: 'h2' }));
  assert.deepEqual(seen.findings().map(keyOf), [{ dest: 'h1', user: 'alice' }, { dest: 'h2', user: '0' }]);

  const never = new Detector([detectionWith(plan)]);
  never.observe(cimEvent({ dest: 'h2' }));
  assert.deepEqual(never.findings(), []);
});

test('fillnull merges a filled-0 group with a literal "0" group into one row', () => {
  const detector = new Detector([detectionWith({ by: by('dest', 'user'), missingBy: 'drop', fillnullZero: true })]);
  detector.observe(cimEvent({ dest: 'h1', user: '0' }, 5));
  detector.observe(cimEvent({ dest: 'h1' }, 7));
  const rows = detector.findings();
  assert.equal(rows.length, 1);
  assert.equal(rows[0].count, 2);
  assert.equal(rows[0].firstTime, 5);
  assert.equal(rows[0].lastTime, 7);
});

test('a multivalue BY field yields one row per value', () => {
  const detector = new Detector([detectionWith({ dataset: 'Network_Resolution.DNS', by: by('query', 'answer') })]);
  detector.observe(cimEvent({ query: 'a.ngrok.io', answer: ['1.1.1.1', '2.2.2.2'] }, 1, 'Network_Resolution.DNS'));
  assert.deepEqual(detector.findings().map(keyOf), [
    { query: 'a.ngrok.io', answer: '1.1.1.1' },
    { query: 'a.ngrok.io', answer: '2.2.2.2' },
  ]);
});

test('count, min/max(_time) and values() aggregate per group; values are sorted and distinct', () => {
  const detector = new Detector([
    detectionWith({
      dataset: 'Network_Traffic.All_Traffic',
      by: by('dest'),
      aggregates: [
        { fn: 'count', as: 'count' },
        { fn: 'min', field: '_time', as: 'firstTime' },
        { fn: 'max', field: '_time', as: 'lastTime' },
        { fn: 'values', field: 'src_port', as: 'src_port' },
      ],
    }),
  ]);
  for (const [port, t] of [['5000', 30], ['4000', 10], ['5000', 20]] as const) {
    detector.observe(cimEvent({ dest: 'edge', src_port: port }, t, 'Network_Traffic.All_Traffic'));
  }
  const [row] = detector.findings();
  assert.equal(row.count, 3);
  assert.equal(row.firstTime, 10);
  assert.equal(row.lastTime, 30);
  assert.deepEqual(Object.fromEntries(row.aggregates).src_port, ['4000', '5000']);
});

test('partial states from any split of the events merge to the same findings (evidence, earliest/latest with tied times included) as one pass', () => {
  const detection = detectionWith({
    by: by('dest'),
    aggregates: [
      { fn: 'count', as: 'count' },
      { fn: 'min', field: '_time', as: 'firstTime' },
      { fn: 'max', field: '_time', as: 'lastTime' },
      { fn: 'values', field: 'user', as: 'users' },
      { fn: 'earliest', field: 'user', as: 'firstUser' },
      { fn: 'latest', field: 'user', as: 'lastUser' },
    ],
  });
  // every event has a place of its own (some share a time), so the evidence order is total
  const events = Array.from({ length: 200 }, (_, i) => ({
    ...cimEvent({ dest: `h${i % 7}`, user: `u${i % 5}` }, (i * 7919) % 100),
    location: { file: `f${i % 3}.jsonl`, line: i + 1, offset: 100 * i },
  }));
  const single = new Detector([detection], { evidenceCap: 4 });
  events.forEach((e) => single.observe(e));
  const expected = single.findings();
  for (const f of expected) {
    const own = events.filter((e) => e.fields.dest === f.by[0][1]);
    assert.equal(f.evidenceCount, own.length, 'evidence_count is every contributing event');
    const firstTimes = own.map((e) => e.time).sort((a, b) => a - b).slice(0, 4);
    assert.deepEqual(f.evidence.map((e) => e.time), firstTimes, 'the kept evidence is the first events by time');
  }

  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let round = 0; round < 5; round++) {
    const workers = [0, 1, 2].map(() => new Detector([detection], { evidenceCap: 4 }));
    events.forEach((e) => workers[Math.floor(random() * workers.length)].observe(e));
    const merged = new Detector([detection], { evidenceCap: 4 });
    for (const w of workers.sort(() => random() - 0.5)) merged.merge(JSON.parse(JSON.stringify(w.partials())));
    assert.deepEqual(merged.findings(), expected);
  }
});

test('finding ids are stable for the same detection and BY values and differ otherwise', () => {
  const a = findingId('d1', ['h1', 'alice']);
  assert.equal(a, findingId('d1', ['h1', 'alice']));
  assert.notEqual(a, findingId('d1', ['h1', 'bob']));
  assert.notEqual(a, findingId('d2', ['h1', 'alice']));
  assert.notEqual(findingId('d1', ['a', 'bc']), findingId('d1', ['ab', 'c']));
});

test('finding ids are the SHA-256 of detection, BY values and window hashed part by part (ids stored before stay valid), also once the remembered ids were emptied', () => {
  const reference = (detectionId: string, key: string[], windowStart?: number) => {
    const hash = createHash('sha256').update(detectionId).update('\u0000').update(key.join('\u001f'));
    if (windowStart !== undefined) hash.update('\u0000window\u0000').update(String(windowStart));
    return hash.digest('hex').slice(0, 32);
  };
  const cases: Array<[string, string[], number | undefined]> = [
    ['d1', ['h1', 'alice'], undefined],
    ['d1', ['h1', 'alice'], 1_773_014_400],
    ['détection', ['ホスト', 'ü\u{1f600}', ''], 0],
    ['d2', [], undefined],
  ];
  for (let round = 0; round < 2; round++) {
    for (const [d, key, window] of cases) assert.equal(findingId(d, key, window), reference(d, key, window), `${d} ${key.join(',')} ${window}`);
    // more distinct ids than are remembered: the cache empties, the ids do not change
    for (let i = 0; i < 60_000; i++) findingId('filler', [String(i)]);
  }
});

test('rows come out ordered by BY values whatever the arrival order', () => {
  const detector = new Detector([detectionWith({ by: by('dest') })]);
  for (const dest of ['zeta', 'alpha', 'Mid', 'beta']) detector.observe(cimEvent({ dest }));
  assert.deepEqual(detector.findings().map((f) => f.by[0][1]), ['Mid', 'alpha', 'beta', 'zeta']);
});

test('the group cap bounds memory and the dropped groups are counted per detection', () => {
  const caps = new CapTally();
  const detector = new Detector([detectionWith({ by: by('dest') })], { maxGroupsPerDetection: 3, caps });
  for (let i = 0; i < 10; i++) detector.observe(cimEvent({ dest: `h${i}` }));
  detector.observe(cimEvent({ dest: 'h0' }));
  assert.equal(detector.findings().length, 3);
  assert.deepEqual(caps.overflows(), [{ state: 'finding groups', owner: 'Test Detection', cause: 'cap', count: 7 }]);
});

test('only events of the detection\'s dataset that satisfy its where clause are counted', () => {
  const detector = new Detector([
    detectionWith({ by: by('dest'), where: { kind: 'compare', field: 'process_name', op: '=', pattern: 'ngrok.exe' } }),
  ]);
  detector.observe(cimEvent({ dest: 'h1', process_name: 'NGROK.EXE' }));
  detector.observe(cimEvent({ dest: 'h1', process_name: 'cmd.exe' }));
  detector.observe(cimEvent({ dest: 'h1', process_name: 'ngrok.exe' }, 0, 'Network_Resolution.DNS'));
  const rows = detector.findings();
  assert.equal(rows.length, 1);
  assert.equal(rows[0].count, 1);
});

test('BY _time span=1h groups events by the start of their hour; an event without a time groups under null', () => {
  const detector = new Detector([detectionWith({ by: [{ field: '_time', as: '_time', span: 3600 }, ...by('dest')] })]);
  detector.observe(cimEvent({ dest: 'h1' }, 7200 + 5));
  detector.observe(cimEvent({ dest: 'h1' }, 7200 + 3599));
  detector.observe(cimEvent({ dest: 'h1' }, 10800));
  detector.observe(cimEvent({ dest: 'h1' }, NaN));
  const rows = detector.findings();
  assert.deepEqual(rows.map((f) => [...f.by.map(([, v]) => v), f.count]), [['10800', 'h1', 1], ['7200', 'h1', 2], ['null', 'h1', 1]]);
});

test('table/fields choose the output columns and their order; rows stay one per group', () => {
  const detector = new Detector([detectionWith({ by: by('dest', 'user'), columns: ['user', 'count'] })]);
  detector.observe(cimEvent({ dest: 'h1', user: 'alice' }, 1));
  detector.observe(cimEvent({ dest: 'h2', user: 'alice' }, 2));
  const rows = detector.findings().map(renderFinding);
  assert.equal(rows.length, 2);
  assert.deepEqual(rows.map((r) => [r.user, r.dest, r.firstTime]), [['alice', undefined, undefined], ['alice', undefined, undefined]]);
});

test('earliest(f) / latest(f): the value of f in the group\'s earliest / latest event, whatever the arrival order', () => {
  const detection = detectionWith({
    by: by('dest'),
    aggregates: [
      { fn: 'earliest', field: 'process', as: 'first_process' },
      { fn: 'latest', field: 'process', as: 'last_process' },
    ],
  });
  const detector = new Detector([detection]);
  detector.observe(cimEvent({ dest: 'h', process: 'b.exe' }, 200));
  detector.observe(cimEvent({ dest: 'h', process: 'c.exe' }, 300));
  detector.observe(cimEvent({ dest: 'h', process: 'a.exe' }, 100));
  detector.observe(cimEvent({ dest: 'h' }, 400));
  // an event without the field does not count (Splunk's latest ignores events lacking it)
  assert.deepEqual(detector.findings()[0].aggregates, [['first_process', 'a.exe'], ['last_process', 'c.exe']]);
});

test('stats after tstats in a stream: a window\'s rows are run again when a group changes, upserted by BY values, closed with the window; the batch view agrees', () => {
  // | tstats count by dest user | stats sum(count) as total dc(user) as users by dest | where users > 1
  const detection = detectionWith({
    by: by('dest', 'user'),
    aggregates: [{ fn: 'count', as: 'count' }],
    rowStages: [
      { kind: 'stats', aggregates: [{ fn: 'sum', field: 'count', as: 'total' }, { fn: 'dc', field: 'user', as: 'users' }], by: [{ field: 'dest', as: 'dest' }] },
      { kind: 'filter', expr: { kind: 'eval', value: { kind: 'relation', op: '>', left: { kind: 'field', name: 'users' }, right: { kind: 'literal', value: 1 } } } },
    ],
  });
  const detector = new Detector([detection], { trackChanges: true, windowSeconds: 3600 });
  detector.observe(cimEvent({ dest: 'h1', user: 'a' }, 10));
  assert.deepEqual(detector.changes(), [], 'one user: the where drops the row');
  detector.observe(cimEvent({ dest: 'h1', user: 'b' }, 20));
  detector.observe(cimEvent({ dest: 'h1', user: 'b' }, 30));
  const [first] = detector.changes();
  assert.deepEqual([first.finding.row, first.status, first.retracted], [{ dest: 'h1', total: 3, users: 2 }, 'open', false]);
  detector.observe(cimEvent({ dest: 'h1', user: 'c' }, 40));
  const [second] = detector.changes(4000);
  assert.equal(second.finding.id, first.finding.id, 'the same BY values name the same finding');
  assert.deepEqual([second.finding.row, second.status], [{ dest: 'h1', total: 4, users: 3 }, 'closed']);
  // the batch view gives the same row
  const batch = new Detector([detection], { windowSeconds: 3600 });
  for (const [user, time] of [['a', 10], ['b', 20], ['b', 30], ['c', 40]] as const) batch.observe(cimEvent({ dest: 'h1', user }, time));
  assert.deepEqual(batch.findings().map((f) => [f.id, f.row]), [[first.finding.id, { dest: 'h1', total: 4, users: 3 }]]);
});

test('a values()/dc() slot keeps at most MAX_SLOT_VALUES distinct values and the ones it refused are counted', () => {
  const caps = new CapTally();
  const detector = new Detector([detectionWith({ by: by('dest'), aggregates: [{ fn: 'count', as: 'count' }, { fn: 'dc', field: 'src_port', as: 'ports' }] })], { caps });
  for (let i = 0; i < MAX_SLOT_VALUES + 5; i++) detector.observe(cimEvent({ dest: 'h1', src_port: String(i) }));
  detector.observe(cimEvent({ dest: 'h1', src_port: '0' }));
  const [finding] = detector.findings();
  assert.equal(finding.count, MAX_SLOT_VALUES + 6, 'every event still counts');
  assert.deepEqual(finding.aggregates[1], ['ports', MAX_SLOT_VALUES]);
  assert.deepEqual(caps.overflows(), [{ state: 'aggregate values', owner: 'Test Detection', cause: 'cap', count: 5 }]);
});

test('a row stats builds from several findings carries their evidence: the first events of all of them (capped) and the true total', () => {
  // | tstats count by dest user | stats sum(count) as total by dest
  const detection = detectionWith({
    by: by('dest', 'user'),
    aggregates: [{ fn: 'count', as: 'count' }],
    rowStages: [{ kind: 'stats', aggregates: [{ fn: 'sum', field: 'count', as: 'total' }], by: [{ field: 'dest', as: 'dest' }] }],
  });
  const detector = new Detector([detection], { evidenceCap: 2 });
  for (const [dest, user, time] of [['h1', 'b', 30], ['h1', 'a', 10], ['h2', 'c', 5], ['h1', 'b', 20]] as const) detector.observe(cimEvent({ dest, user }, time));
  const rows = new Map(detector.findings().map((f) => [f.row?.dest, f]));
  const h1 = rows.get('h1');
  assert.ok(h1);
  assert.equal(h1.evidenceCount, 3);
  assert.deepEqual(h1.evidence.map((e) => e.time), [10, 20], 'the first two events of both findings, by time');
  assert.equal(rows.get('h2')?.evidenceCount, 1);
});

test('group keys: single values appended in place, a multivalue field multiplies the keys, each key an array of its own', () => {
  const event = cimEvent({ dest: 'h1', user: ['alice', 'bob'], process: ['p'], parent: [] }, 10);
  const keys = groupKeys(by('dest', 'user', 'process', 'parent', 'port'), event, 'MISSING');
  assert.deepEqual(keys, [
    ['h1', 'alice', 'p', 'MISSING', 'MISSING'],
    ['h1', 'bob', 'p', 'MISSING', 'MISSING'],
  ]);
  keys[0].push('x');
  assert.equal(keys[1].length, 5, 'no two keys share an array');
  assert.deepEqual(event.fields.user, ['alice', 'bob'], 'the event is not changed');
  assert.deepEqual(groupKeys(by('user', 'user'), event, 'MISSING'), [['alice', 'alice'], ['alice', 'bob'], ['bob', 'alice'], ['bob', 'bob']]);
});
