import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connect, headers } from '@nats-io/transport-node';
import { examplesDir } from '../../helpers/paths.js';
import { ScaleOut, scaleOutUnavailable, scanJson, sleep, until } from '../../helpers/scale-out.js';

const skip = await scaleOutUnavailable();

describe('dead letters on NATS JetStream', { skip, timeout: 120_000 }, () => {
  test('a message no worker can read lands in the dead-letter subject with its reason after max_deliver, and the others go on', async () => {
    const s = await ScaleOut.start({ maxDeliver: 2, ackWaitMs: 5000 });
    try {
      await s.publish([examplesDir]);
      const nc = await connect({ servers: s.nats.url });
      const h = headers();
      h.set('Nats-Msg-Id', 'poison-1');
      const js = (await import('@nats-io/jetstream')).jetstream(nc);
      // no Tw-Source, Tw-Line or Tw-Offset: not a chunk any worker can place
      await js.publish(s.options.subject, new TextEncoder().encode('<Event>'), { headers: h, msgID: 'poison-1' });
      // a well-placed chunk whose deflate body is corrupt
      const corrupt = headers();
      for (const [k, v] of Object.entries({ 'Nats-Msg-Id': 'poison-2', 'Tw-Source': 'x.jsonl', 'Tw-Line': '1', 'Tw-Offset': '0', 'Tw-Encoding': 'deflate' })) corrupt.set(k, v);
      await js.publish(s.options.subject, Buffer.from('not a deflate stream at all'), { headers: corrupt, msgID: 'poison-2' });
      await nc.close();
      const worker = s.startWorker(['--metrics', '127.0.0.1:0']);
      await s.drained();
      const metrics = await (await fetch(await s.metricsUrl(worker))).text();
      assert.match(metrics, /^tunnelwatch_bus_dead_letters_total 2$/m);
      assert.match(metrics, /^tunnelwatch_bus_failures_total 4$/m, 'each failed on both deliveries');
      assert.match(metrics, /^tunnelwatch_bus_events_total [1-9]\d*$/m);
      assert.match(metrics, /^tunnelwatch_bus_lag_messages 0$/m);
      const dead = await s.bus.deadLetters();
      assert.deepEqual(
        dead.map((d) => [d.id, d.reason.replace(/(does not inflate):.*/, '$1')]),
        [
          ['poison-1', 'malformed message: no Tw-Source header'],
          ['poison-2', 'malformed message: the deflate body does not inflate'],
        ],
      );
      assert.deepEqual(s.results(), scanJson([examplesDir]), 'every other message was processed');
    } finally {
      await s.close();
    }
  });

  test('a message that is never acknowledged (its worker dies on it every time) is copied to the dead-letter subject from the max-deliveries advisory', async () => {
    const s = await ScaleOut.start({ maxDeliver: 2, ackWaitMs: 1000 });
    try {
      await s.bus.publisher().publish({ id: 'crasher-1', source: 'crash.log', startsAt: { line: 1, offset: 0 }, body: new TextEncoder().encode('x\n') });
      const consumer = await s.bus.consumer();
      // a worker that takes the message and dies before acking, twice
      for (let i = 1; i <= 2; i++) {
        const got = await consumer.fetch(1, 3000);
        assert.equal(got.length, 1, `delivery ${i}`);
        assert.equal(got[0].deliveries, i);
      }
      // workers go on pulling: the server gives up on the message when it would deliver it a third time
      await until(async () => (await consumer.fetch(1, 1000)).length === 0 && (await s.bus.deadLetters()).length > 0, 15_000, 'the dead letter');
      const [dead] = await s.bus.deadLetters();
      assert.equal(dead.id, 'crasher-1');
      assert.equal(dead.source, 'crash.log');
      assert.match(dead.reason, /delivered 2 times without being acknowledged/);
      assert.equal(consumer.deadLettered, 1);
      await sleep(1500);
      assert.equal((await consumer.fetch(1, 1000)).length, 0, 'never delivered again');
      assert.deepEqual(await consumer.backlog(), { pending: 0, inFlight: 0 }, 'done, judged from consumer info');
    } finally {
      await s.close();
    }
  });
});
