import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultBusOptions } from '../../../src/bus/bus.js';
import { openBus } from '../../../src/bus/registry.js';
import { NatsServer, scaleOutUnavailable } from '../../helpers/scale-out.js';

const skip = await scaleOutUnavailable();

/** what the test waits for close() before calling it hung */
const SETTLE_MS = 10_000;

test('closing a bus whose nats-server was killed settles: a drain that no server can answer gives way to a close', { skip, timeout: 60_000 }, async () => {
  const nats = await NatsServer.start();
  try {
    const bus = await openBus(nats.url, defaultBusOptions);
    await bus.provision();
    await nats.kill9();
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), SETTLE_MS)));
    const started = Date.now();
    const outcome = await Promise.race([bus.close().then(() => 'closed' as const), hung]);
    clearTimeout(timer);
    assert.equal(outcome, 'closed', `close() had not settled after ${SETTLE_MS} ms`);
    assert.ok(Date.now() - started < SETTLE_MS);
  } finally {
    await nats.stop();
  }
});
