import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { examplesDir, sharedData, sharedDataMissing } from '../../helpers/paths.js';
import { killed, ScaleOut, scaleOutUnavailable, scanJson, until } from '../../helpers/scale-out.js';

const skip = sharedDataMissing || (await scaleOutUnavailable());
/** EVTX, Windows XML, syslog and JSON lines: about 170 chunks, so a kill lands mid-stream */
const inputs = [examplesDir, ...['tunnel', 'linux-sysmon', 'evtx-sysmon'].map((d) => path.join(sharedData, d))];

describe('scale-out on NATS JetStream: the merged results equal one scan', { skip, timeout: 600_000 }, () => {
  let expected: unknown;
  before(() => {
    expected = scanJson(inputs);
    assert.ok(Array.isArray(expected) && expected.length > 5, 'the reference scan finds something to compare');
  });

  const run = async (scenario: (s: ScaleOut) => Promise<void>) => {
    const s = await ScaleOut.start({ ackWaitMs: 5000 });
    try {
      await scenario(s);
      await s.drained();
      assert.deepEqual(s.results(), expected);
      return s;
    } finally {
      await s.close();
    }
  };

  test('two workers give the findings, evidence and risk incidents scan gives over the same files', async () => {
    await run(async (s) => {
      await s.publish(inputs);
      s.startWorker();
      s.startWorker();
    });
  });

  test('a worker killed with SIGKILL mid-stream loses nothing and counts nothing twice', async () => {
    await run(async (s) => {
      await s.publish(inputs);
      const first = s.startWorker();
      await until(async () => (await s.committed()).messages >= 10, 60_000, 'the first worker to commit some messages');
      await killed(first);
      const { messages } = await s.committed();
      assert.ok(messages < (await s.streamMessages()), 'the worker died with messages left');
      s.startWorker();
    });
  });

  test('nats-server killed with SIGKILL and restarted mid-stream: nothing lost, nothing counted twice', async () => {
    await run(async (s) => {
      await s.publish(inputs);
      s.startWorker();
      s.startWorker();
      await until(async () => (await s.committed()).messages >= 10, 60_000, 'the workers to commit some messages');
      await s.nats.kill9();
      assert.ok((await s.committed()).messages < 170, 'the server died with messages left');
      await s.nats.launch();
    });
  });

  test('a publisher killed with SIGKILL mid-stream and rerun over the same files adds nothing', async () => {
    await run(async (s) => {
      const publisher = s.spawnPublish(inputs);
      await until(async () => (await s.streamMessages()) >= 20, 60_000, 'the publisher to store some chunks');
      await killed(publisher);
      const before = await s.streamMessages();
      const summary = await s.publish(inputs);
      const total = Number(/published (\d+) chunks/.exec(summary)![1]);
      const already = Number(/(\d+) already on the bus/.exec(summary)![1]);
      assert.ok(already >= before, `the rerun found the ${before} chunks the killed run stored (${summary.trim()})`);
      assert.equal(await s.streamMessages(), total, 'the stream holds each chunk once');
      s.startWorker();
      s.startWorker();
    });
  });
});

after(() => undefined);
