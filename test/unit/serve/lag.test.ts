import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LagMeter } from '../../../src/serve/lag.js';

test('the expected wait is the bytes ahead over the rate detection committed them while busy, and never less than the oldest record has waited', () => {
  const meter = new LagMeter();
  const MB = 1024 * 1024;
  // busy from t=0: the processor commits 1 MiB/s while 3 MiB wait ahead
  assert.equal(meter.expectedWait(0, 3 * MB, 0.1, 0), 0.1, 'no rate measured yet: the age is what is known');
  for (let t = 0.25; t <= 2; t += 0.25) meter.expectedWait(t * MB, 3 * MB, 0.2, t);
  const wait = meter.expectedWait(2 * MB, 3 * MB, 0.2, 2);
  assert.ok(Math.abs(wait - 3) < 0.01, `3 MiB at 1 MiB/s waits 3 s, not ${wait}`);
  assert.equal(meter.expectedWait(2 * MB, 1024, 5, 2.1), 5, 'an oldest record that has waited longer decides');
  // caught up, idle for a minute, then a burst: the idle minute is not counted as slowness
  assert.equal(meter.expectedWait(2 * MB, 0, 0, 2.5), 0);
  meter.expectedWait(2 * MB, 4 * MB, 0, 62.5);
  meter.expectedWait(4 * MB, 2 * MB, 0.1, 63);
  const burst = meter.expectedWait(4 * MB, 2 * MB, 0.1, 63);
  assert.ok(Math.abs(burst - 0.5) < 0.01, `2 MiB at the 4 MiB/s measured since the burst: 0.5 s, not ${burst}`);
});
