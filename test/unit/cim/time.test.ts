import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventTime } from '../../../src/families/registry.js';
import { parseEpochMillisSeconds, parseIsoSeconds } from '../../../src/cim/time.js';
import { processRollup2, sysmon1 } from './raw-events.js';

const base = Date.UTC(2020, 9, 8, 11, 3, 46) / 1000;

function near(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-6, `${actual} != ${expected}`);
}

test('ISO times with 7 and 9 fraction digits keep sub-millisecond precision', () => {
  near(parseIsoSeconds('2020-10-08T11:03:46.6179203Z'), base + 0.6179203);
  near(parseIsoSeconds('2020-10-08T11:03:46.617920300Z'), base + 0.6179203);
  near(parseIsoSeconds('2022-08-09T10:42:47.749450000Z'), Date.UTC(2022, 7, 9, 10, 42, 47) / 1000 + 0.74945);
});

test('ISO times without fraction, without zone, with a space, or with an offset', () => {
  assert.equal(parseIsoSeconds('2020-10-08T11:03:46Z'), base);
  assert.equal(parseIsoSeconds('2020-10-08T11:03:46'), base);
  near(parseIsoSeconds('2020-10-08 11:03:46.615'), base + 0.615);
  assert.equal(parseIsoSeconds('2020-10-08T13:03:46+02:00'), base);
  assert.equal(parseIsoSeconds('2020-10-08T10:03:46-0100'), base);
});

test('unparsable times are NaN, never a throw', () => {
  for (const bad of ['', 'yesterday', '2020-13-08T11:03:46Z', '2020-10-08T11:03:46.Z', '2020-10-08T11:03:46Zjunk', '2020/10/08 11:03:46']) {
    assert.ok(Number.isNaN(parseIsoSeconds(bad)), bad);
  }
  assert.ok(Number.isNaN(parseEpochMillisSeconds('')));
  assert.ok(Number.isNaN(parseEpochMillisSeconds('soon')));
});

test('CrowdStrike timestamp is epoch milliseconds', () => {
  assert.equal(parseEpochMillisSeconds('1713805173418'), 1713805173.418);
  assert.equal(eventTime(processRollup2()), 1713805173.418);
  assert.ok(Number.isNaN(eventTime(processRollup2({ timestamp: '' }))));
});

test('event time is TimeCreated; Sysmon UtcTime when TimeCreated is missing or bad', () => {
  near(eventTime(sysmon1()), base + 0.6179203);
  const noCreated = sysmon1();
  delete noCreated.system.TimeCreated;
  near(eventTime(noCreated), base + 0.615);
  const badCreated = sysmon1();
  badCreated.system.TimeCreated = 'garbage';
  near(eventTime(badCreated), base + 0.615);
  const none = sysmon1();
  delete none.system.TimeCreated;
  delete none.data.UtcTime;
  assert.ok(Number.isNaN(eventTime(none)));
});
