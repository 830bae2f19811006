import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyRelativeTime, parseRelativeTime } from '../../../src/rules/relative-time.js';

/** relative_time(epoch, modifier) in seconds, the modifier known good */
function at(iso: string, modifier: string): string {
  const steps = parseRelativeTime(modifier);
  assert.ok(typeof steps !== 'string', String(steps));
  return new Date(applyRelativeTime(Date.parse(iso) / 1000, steps) * 1000).toISOString();
}

test('offsets then a snap to the start of the unit, in UTC (Splunk docs: time modifiers)', () => {
  assert.equal(at('2024-03-10T15:47:31Z', '-70m@m'), '2024-03-10T14:37:00.000Z');
  assert.equal(at('2024-03-10T15:47:31Z', '-1d@d'), '2024-03-09T00:00:00.000Z');
  assert.equal(at('2024-03-10T15:47:31Z', '@h'), '2024-03-10T15:00:00.000Z');
  assert.equal(at('2024-03-10T15:47:31Z', '-1d@d+3h'), '2024-03-09T03:00:00.000Z', 'an offset after the snap');
  assert.equal(at('2024-03-10T15:47:31Z', '+2hours'), '2024-03-10T17:47:31.000Z');
});

test('calendar units: months keep the day, a month snap is the 1st, weeks snap to Sunday or @wN', () => {
  assert.equal(at('2024-03-10T15:47:31Z', '-1mon@mon'), '2024-02-01T00:00:00.000Z');
  assert.equal(at('2024-03-10T15:47:31Z', '-1y@y'), '2023-01-01T00:00:00.000Z');
  assert.equal(at('2024-03-13T15:47:31Z', '@w'), '2024-03-10T00:00:00.000Z', '2024-03-10 is a Sunday');
  assert.equal(at('2024-03-13T15:47:31Z', '@w1'), '2024-03-11T00:00:00.000Z', 'Monday');
  assert.equal(at('2024-05-13T15:47:31Z', '@q'), '2024-04-01T00:00:00.000Z');
});

test('what is not a modifier says why', () => {
  assert.equal(parseRelativeTime('-1x'), 'unknown time unit `x` in `-1x`');
  assert.equal(parseRelativeTime('@d3'), 'only a week snap takes a day number (`@w1`), in `@d3`');
  assert.equal(parseRelativeTime('yesterday'), '`yesterday` is not a relative time modifier (e.g. -1d@d, -70m@m)');
  assert.deepEqual(parseRelativeTime('now'), []);
});
