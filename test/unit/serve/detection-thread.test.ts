import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { detectionThread, eventually, startServe, TOKEN } from '../../helpers/serve.js';
import { ngrokEvent } from '../../helpers/events.js';
import type { ServeRuntime } from '../../../src/serve/server.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function freshDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'tw-serve-thread-'));
  dirs.push(d);
  return d;
}

function send(serve: ServeRuntime, events: string[]): Promise<Response> {
  const body = events.map((event) => JSON.stringify({ event, sourcetype: 'XmlWinEventLog' })).join('\n');
  return fetch(`http://${serve.address}/services/collector/event`, { method: 'POST', headers: { authorization: `Splunk ${TOKEN}` }, body });
}

async function countsOf(serve: ServeRuntime, marker: string): Promise<number[]> {
  const res = await fetch(`http://${serve.address}/api/findings?q=${marker}&limit=100`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return ((await res.json()) as { items: Array<{ count: number }> }).items.map((i) => i.count);
}

test('detection thread: requests whose events raise no finding still move the committed position, so HEC keeps taking events under --max-lag-seconds', async () => {
  const serve = await startServe({ dataDir: freshDir(), detectionThread, maxLagSeconds: 0.3 });
  try {
    for (let i = 0; i < 3; i++) {
      const res = await send(serve, [`nothing to see ${i}`]);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    // the thread reports every commit, not only those that changed a finding
    await eventually(async () => serve.processor.lag === 0, 30_000, 'the position to reach the journal end');
    assert.equal(serve.processor.committed, serve.journal.end);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await send(serve, ['still nothing'])).status, 200, 'nothing waits: not refused as busy');
  } finally {
    await serve.close();
  }
});

test('detection thread: stop and step work across the thread, and after a restart each event counts once', async () => {
  const dataDir = freshDir();
  const marker = 'threadstep';
  let serve = await startServe({ dataDir, detectionThread });
  try {
    serve.processor.stop();
    assert.equal((await send(serve, [1, 2].map((i) => ngrokEvent(marker, i)))).status, 200);
    assert.ok(serve.processor.lag > 0, 'stopped: the request waits in the journal');
    assert.equal(await serve.processor.step(), true);
    assert.equal(serve.processor.lag, 0);
    assert.equal(await serve.processor.step(), false, 'nothing left to read');
    const counts = await countsOf(serve, marker);
    assert.ok(counts.length > 0 && counts.every((c) => c === 2), `counts ${counts.join(', ')}`);

    await serve.close();
    serve = await startServe({ dataDir, detectionThread });
    assert.equal((await send(serve, [ngrokEvent(marker, 3)])).status, 200);
    await eventually(async () => serve.processor.lag === 0, 30_000, 'the journal to be processed');
    const after = await countsOf(serve, marker);
    assert.ok(after.length === counts.length && after.every((c) => c === 3), `counts after the restart ${after.join(', ')}`);
  } finally {
    await serve.close();
  }
});

test('detection thread: a request\'s texts move to the thread (their buffer detached here, not copied), and its events still raise their finding', async () => {
  const marker = 'threadmove';
  const serve = await startServe({ dataDir: freshDir(), detectionThread });
  try {
    const handedOver: Buffer[] = [];
    const post = serve.journal.onDurable!;
    serve.journal.onDurable = (end, records) => {
      handedOver.push(...records.map((r) => r.body));
      post(end, records);
    };
    assert.equal((await send(serve, [1, 2, 3].map((i) => ngrokEvent(marker, i)))).status, 200);
    assert.equal(handedOver.length, 1, 'one record for the request');
    assert.equal(handedOver[0].buffer.byteLength, 0, 'the texts\' buffer was transferred, not copied');
    // each detection's finding counts all three events
    await eventually(async () => serve.processor.lag === 0, 30_000, 'the journal to be processed');
    const counts = await countsOf(serve, marker);
    assert.ok(counts.length > 0 && counts.every((c) => c === 3), `counts ${counts.join(', ')}`);
  } finally {
    await serve.close();
  }
});
