import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, startServe, TOKEN } from '../../helpers/serve.js';
import { ngrokEvent } from '../../helpers/events.js';
import type { ServeRuntime } from '../../../src/serve/server.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** the real ngrok event, at another time */
function eventAt(marker: string, recordId: number, iso: string): string {
  return ngrokEvent(marker, recordId).replace(/SystemTime='[^']*'/, `SystemTime='${iso}'`);
}

async function send(serve: ServeRuntime, events: string[]): Promise<void> {
  const body = events.map((event) => JSON.stringify({ event, sourcetype: 'XmlWinEventLog' })).join('\n');
  const res = await fetch(`http://${serve.address}/services/collector/event`, { method: 'POST', headers: { authorization: `Splunk ${TOKEN}` }, body });
  assert.equal(res.status, 200);
  await eventually(async () => serve.processor.lag === 0, 30_000, 'the journal to be processed');
}

async function findingsOf(serve: ServeRuntime, marker: string): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(`http://${serve.address}/api/findings?q=${marker}&limit=100`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return ((await res.json()) as { items: Array<Record<string, unknown>> }).items;
}

test('a window closes once the watermark passes it (its memory freed), and late events, even after a restart, are folded into the stored finding exactly once', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tw-serve-late-'));
  dirs.push(dataDir);
  let serve = await startServe({ dataDir });
  try {
    await send(serve, [1, 2, 3].map((i) => eventAt('lateday', i, '2026-03-09T08:00:00.000Z')));
    const open = serve.processor.stats().openGroups;
    assert.ok(open >= 1, 'the day window is open');
    // three days later: the 9 March window is past the watermark (24 h windows, 1 h lateness)
    await send(serve, [eventAt('laterday', 10, '2026-03-12T08:00:00.000Z')]);
    assert.ok(serve.processor.stats().openGroups < open + 1, 'the closed window left memory');
    // the event matches several detections: one finding each
    const before = await findingsOf(serve, 'lateday');
    assert.ok(before.length > 0 && before.every((f) => f.count === 3));

    await send(serve, [4, 5].map((i) => eventAt('lateday', i, '2026-03-09T09:00:00.000Z')));
    // counted once per detection the event matched
    const late = serve.processor.stats().lateEvents;
    assert.ok(late > 0 && late % 2 === 0, `late events counted: ${late}`);
    let items = await findingsOf(serve, 'lateday');
    assert.deepEqual(items.map((f) => f.finding_id).sort(), before.map((f) => f.finding_id).sort(), 'a late update merges into its finding, it makes no other');
    // (each detection formats its times its own way)
    for (const f of items) assert.deepEqual([f.count, /08:00:00/.test(String(f.firstTime)), /09:00:00/.test(String(f.lastTime))], [5, true, true], f.search_name as string);

    await serve.close();
    serve = await startServe({ dataDir });
    await send(serve, [eventAt('lateday', 6, '2026-03-09T07:00:00.000Z')]);
    items = await findingsOf(serve, 'lateday');
    assert.equal(items.length, before.length);
    // the stored final state survives a restart and takes the late event
    for (const f of items) assert.deepEqual([f.count, /07:00:00/.test(String(f.firstTime))], [6, true], f.search_name as string);
    const detail = (await (await fetch(`http://${serve.address}/api/findings/${items[0].finding_id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
      events: Array<{ ref: string; origin: Record<string, unknown> }>;
    };
    assert.equal(detail.events.length, 3, 'each of the three HEC requests that added events is a contributing reference');
    assert.ok(detail.events.every((e) => e.origin.sourcetype === 'XmlWinEventLog'));
  } finally {
    await serve.close();
  }
});

test('live updates carry the triage state the list shows', async () => {
  const serve = await startServe();
  dirs.push(serve.options.dataDir);
  try {
    const controller = new AbortController();
    const res = await fetch(`http://${serve.address}/api/events`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: controller.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await send(serve, [eventAt('ssetriage', 1, '2026-03-09T08:00:00.000Z')]);
    let text = '';
    while (!text.includes('event: findings')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const data = JSON.parse(/data: (.*)\n/.exec(text.slice(text.indexOf('event: findings')))![1]) as { items: Array<{ triage: { status: string }; revision: number }> };
    assert.equal(data.items[0].triage.status, 'new');
    assert.ok(data.items[0].revision > 0);
  } finally {
    await serve.close();
  }
});
