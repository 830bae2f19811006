import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Analyzer } from '../../../src/engine/analyzer.js';
import { boundFrom, correlationFile, proc, summary } from './correlation-helpers.js';

function run(body: string, events: ReturnType<typeof proc>[]) {
  const analyzer = new Analyzer([], boundFrom(correlationFile(body)));
  for (const e of events) analyzer.observe(e);
  return analyzer.findings();
}

const eventCount = (timespan: string, gte: number) =>
  `    type: event_count\n    rules:\n        - rule_a\n    group-by:\n        - Computer\n    timespan: ${timespan}\n    condition:\n        gte: ${gte}`;

describe('Sigma event_count', () => {
  test('counts per group-by host: events of two hosts never add up into one group', () => {
    const events = [proc(0, 'a.exe', 'wks-1'), proc(10, 'a.exe', 'wks-2'), proc(20, 'a.exe', 'wks-1'), proc(30, 'a.exe', 'wks-2')];
    // 4 events in 30 s, 2 per host: gte 3 must not fire on either
    assert.deepEqual(run(eventCount('1m', 3), events), []);
    const rows = run(eventCount('1m', 3), [...events, proc(40, 'a.exe', 'WKS-1')]);
    assert.deepEqual(rows.map(summary), [{ by: { Computer: 'wks-1' }, first: 0, last: 40, count: 3, measure: 3 }]);
  });

  test('window boundary: an event exactly timespan after the first shares its window, one a millisecond later does not', () => {
    assert.equal(run(eventCount('60s', 2), [proc(1000, 'a.exe'), proc(1060, 'a.exe')]).length, 1);
    assert.deepEqual(run(eventCount('60s', 2), [proc(1000, 'a.exe'), proc(1060.001, 'a.exe')]), []);
  });

  test('nothing outside the timespan counts: 3 events spread over 2 minutes do not make gte 3 in 1m, though 2 + 2 overlapping windows exist', () => {
    assert.deepEqual(run(eventCount('1m', 3), [proc(0, 'a.exe'), proc(50, 'a.exe'), proc(100, 'a.exe')]), []);
    const rows = run(eventCount('1m', 2), [proc(0, 'a.exe'), proc(50, 'a.exe'), proc(100, 'a.exe'), proc(500, 'a.exe'), proc(520, 'a.exe')]);
    // two episodes: the chain 0-50-100 (windows share event 50), then 500-520
    assert.deepEqual(rows.map((f) => [f.firstTime, f.lastTime, f.count]), [[0, 100, 3], [500, 520, 2]]);
  });

  test('events of rules the correlation does not reference are not counted; each finding carries its contributing events as evidence', () => {
    const rows = run(eventCount('1m', 2), [proc(0, 'a.exe'), proc(5, 'b.exe'), proc(10, 'a.exe')]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].count, 2);
    assert.equal(rows[0].evidenceCount, 2);
    assert.deepEqual(rows[0].evidence.map((e) => [e.time, e.step, e.source]), [[0, 'rule_a', 'sysmon.jsonl'], [10, 'rule_a', 'sysmon.jsonl']]);
    assert.equal(rows[0].detection.name, 'Test Correlation');
    assert.equal(rows[0].detection.id, '00000000-0000-4000-8000-0000000000cc');
    assert.equal(rows[0].detection.columns?.level, 'high');
    assert.deepEqual(rows[0].detection.mitreAttackIds, ['T1572']);
  });

  test('a scan keeps every group to the end: a newer event of another file never expires a group still to grow', () => {
    const events = [proc(0, 'a.exe', 'h1'), proc(1, 'a.exe', 'h1'), proc(1000, 'a.exe', 'h2'), proc(2, 'a.exe', 'h1')];
    assert.deepEqual(run(eventCount('1m', 3), events).map((f) => f.by[0][1]), ['h1']);
  });

  test('a range condition (gt and lte) holds only inside the range', () => {
    const body = eventCount('1m', 0).replace('        gte: 0', '        gt: 1\n        lte: 2');
    assert.equal(run(body, [proc(0, 'a.exe'), proc(1, 'a.exe')]).length, 1);
    assert.deepEqual(run(body, [proc(0, 'a.exe')]), []);
    // three in one window: the windows ending at 1 (two events) still satisfy the range
    assert.deepEqual(run(body, [proc(0, 'a.exe'), proc(1, 'a.exe'), proc(2, 'a.exe')]).map((f) => f.count), [2]);
  });
});

describe('Sigma value_count', () => {
  const body = (gte: number) =>
    `    type: value_count\n    rules:\n        - rule_a\n    group-by:\n        - Computer\n    timespan: 5m\n    condition:\n        field: User\n        gte: ${gte}`;
  test('counts distinct values per group: repeats of one user do not count twice', () => {
    const same = [proc(0, 'a.exe', 'wks-1', 'alice'), proc(10, 'a.exe', 'wks-1', 'alice'), proc(20, 'a.exe', 'wks-1', 'bob'), proc(30, 'a.exe', 'wks-2', 'carol')];
    assert.deepEqual(run(body(3), same), []);
    const rows = run(body(3), [...same, proc(40, 'a.exe', 'wks-1', 'dave')]);
    assert.deepEqual(rows.map(summary), [{ by: { Computer: 'wks-1' }, first: 0, last: 40, count: 4, measure: 3 }]);
    assert.deepEqual(Object.fromEntries(rows[0].aggregates).User, ['alice', 'bob', 'dave']);
  });
  test('values outside the timespan are not counted', () => {
    assert.deepEqual(run(body(2), [proc(0, 'a.exe', 'wks-1', 'alice'), proc(301, 'a.exe', 'wks-1', 'bob')]), []);
  });
});

describe('Sigma temporal and temporal_ordered', () => {
  const temporal = (type: string, timespan = '1m') =>
    `    type: ${type}\n    rules:\n        - rule_a\n        - rule_b\n    group-by:\n        - Computer\n        - User\n    timespan: ${timespan}`;
  test('temporal: every rule on one host and user within the timespan, in any order', () => {
    assert.deepEqual(run(temporal('temporal'), [proc(10, 'b.exe'), proc(20, 'a.exe')]).map(summary), [
      { by: { Computer: 'wks-1', User: 'alice' }, first: 10, last: 20, count: 2, measure: 2 },
    ]);
    // the same two rules on two hosts, or by two users, never correlate
    assert.deepEqual(run(temporal('temporal'), [proc(10, 'b.exe', 'wks-1'), proc(20, 'a.exe', 'wks-2')]), []);
    assert.deepEqual(run(temporal('temporal'), [proc(10, 'b.exe', 'wks-1', 'alice'), proc(20, 'a.exe', 'wks-1', 'bob')]), []);
    assert.deepEqual(run(temporal('temporal'), [proc(10, 'b.exe'), proc(71, 'a.exe')]), []);
  });
  test('temporal_ordered: the rules must occur in their listed order', () => {
    assert.equal(run(temporal('temporal_ordered'), [proc(10, 'a.exe'), proc(20, 'b.exe')]).length, 1);
    assert.deepEqual(run(temporal('temporal_ordered'), [proc(10, 'b.exe'), proc(20, 'a.exe')]), []);
    // b, a, b: the later b completes the order
    const rows = run(temporal('temporal_ordered'), [proc(10, 'b.exe'), proc(20, 'a.exe'), proc(30, 'b.exe')]);
    assert.deepEqual(rows.map((f) => [f.firstTime, f.lastTime]), [[10, 30]]);
    // in order, but further apart than the timespan
    assert.deepEqual(run(temporal('temporal_ordered'), [proc(10, 'a.exe'), proc(71, 'b.exe')]), []);
  });
  test('temporal_ordered: events arriving out of time order are judged by their times, not their arrival', () => {
    assert.equal(run(temporal('temporal_ordered'), [proc(20, 'b.exe'), proc(10, 'a.exe')]).length, 1);
    assert.deepEqual(run(temporal('temporal_ordered'), [proc(10, 'b.exe'), proc(20, 'a.exe')].reverse()), []);
  });
  test('temporal with a condition: 2 of 3 rules suffice when the condition says gte 2', () => {
    const body = `    type: temporal\n    rules:\n        - rule_a\n        - rule_b\n        - rule_c\n    group-by:\n        - Computer\n    timespan: 1m\n    condition:\n        gte: 2`;
    assert.equal(run(body, [proc(0, 'c.exe'), proc(5, 'a.exe')]).length, 1);
    assert.deepEqual(run(body, [proc(0, 'c.exe'), proc(5, 'c.exe')]), []);
    // without a condition every rule is needed
    assert.deepEqual(run(body.replace('\n    condition:\n        gte: 2', ''), [proc(0, 'c.exe'), proc(5, 'a.exe')]), []);
  });
});
