import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parseTimeArg } from '../../../src/cli/time-args.js';

test('times: ISO (UTC when no zone), date only, epoch seconds, now and relative', () => {
  const now = 1_773_000_000;
  assert.equal(parseTimeArg('2026-03-09T10:47:10Z'), 1_773_053_230);
  assert.equal(parseTimeArg('2026-03-09T10:47:10'), 1_773_053_230);
  assert.equal(parseTimeArg('2026-03-09T11:47:10+01:00'), 1_773_053_230);
  assert.equal(parseTimeArg('2026-03-09'), 1_773_014_400);
  assert.equal(parseTimeArg('1773053230'), 1_773_053_230);
  assert.equal(parseTimeArg('now', now), now);
  assert.equal(parseTimeArg('-7d', now), now - 7 * 86400);
  assert.equal(parseTimeArg('-24h', now), now - 86400);
  assert.throws(() => parseTimeArg('yesterday'), /not a time/);
});

test('durations', () => {
  assert.equal(parseDuration('24h'), 86400);
  assert.equal(parseDuration('30m'), 1800);
  assert.equal(parseDuration('2w'), 14 * 86400);
  assert.throws(() => parseDuration('7'), /not a duration/);
});
