import assert from 'node:assert/strict';
import { test } from 'node:test';
import { displayTime, isTimeZone } from '../../../src/sources/time-zone.js';

test('displayTime shows a UTC time in an IANA zone with the offset of that instant (summer time too)', () => {
  assert.equal(displayTime('2026-03-10T13:12:41', 'Europe/Berlin'), '2026-03-10T14:12:41+01:00');
  assert.equal(displayTime('2026-07-10T13:12:41', 'Europe/Berlin'), '2026-07-10T15:12:41+02:00');
  assert.equal(displayTime('2026-03-10T13:12:41Z', 'America/New_York'), '2026-03-10T09:12:41-04:00');
});

test('displayTime takes fixed offsets, leaves UTC and no zone as they are, and never rewrites text that is no time', () => {
  assert.equal(displayTime('2026-03-10T23:50:00', '+05:30'), '2026-03-11T05:20:00+05:30');
  assert.equal(displayTime('2026-03-10T13:12:41', 'UTC'), '2026-03-10T13:12:41');
  assert.equal(displayTime('2026-03-10T13:12:41', undefined), '2026-03-10T13:12:41');
  assert.equal(displayTime('', 'Europe/Berlin'), '');
  assert.equal(displayTime('not a time', 'Europe/Berlin'), 'not a time');
});

test('isTimeZone accepts IANA names, UTC and ±hh:mm, and nothing else', () => {
  for (const zone of ['Europe/Berlin', 'UTC', '+05:30', '-0800']) assert.ok(isTimeZone(zone), zone);
  for (const zone of ['Mars/Olympus', '+5', 'yesterday']) assert.ok(!isTimeZone(zone), zone);
});
