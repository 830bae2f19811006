import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, startServe, TOKEN } from '../../helpers/serve.js';
import { ngrokEvent } from '../../helpers/events.js';
import type { ServeRuntime } from '../../../src/serve/server.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function counts(serve: ServeRuntime, marker: string): Promise<number[]> {
  const res = await fetch(`http://${serve.address}/api/findings?q=${marker}&limit=100`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return ((await res.json()) as { items: Array<{ count: number }> }).items.map((i) => i.count);
}

async function countReaches(serve: ServeRuntime, marker: string, expected: number): Promise<void> {
  await eventually(async () => {
    const c = await counts(serve, marker);
    return c.length > 0 && c.every((n) => n === expected);
  }, 30_000, `every ${marker} finding to count ${expected}`);
}

test('serve --follow reads a file and its growth into the store; after a restart (even without its state file) it reads only what is new', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-serve-follow-'));
  dirs.push(dir);
  const dataDir = path.join(dir, 'data');
  const log = path.join(dir, 'sysmon.xml');
  const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${ngrokEvent('followme', from + i)}\n`).join('');
  writeFileSync(log, lines(0, 3));
  const follow = { paths: [log] };
  let serve = await startServe({ dataDir, follow });
  try {
    await countReaches(serve, 'followme', 3);
    appendFileSync(log, lines(3, 5));
    await countReaches(serve, 'followme', 5);
    await serve.close();

    appendFileSync(log, lines(5, 6));
    serve = await startServe({ dataDir, follow });
    await countReaches(serve, 'followme', 6);
    await serve.close();

    // as after a crash before the state file was written: the positions come from the journal
    rmSync(path.join(dataDir, 'follow.json'));
    appendFileSync(log, lines(6, 8));
    serve = await startServe({ dataDir, follow });
    await countReaches(serve, 'followme', 8);
    const status = (await (await fetch(`http://${serve.address}/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { follow: { files: number } };
    assert.equal(status.follow.files, 1);
    // nothing more arrives: the count stays
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok((await counts(serve, 'followme')).every((n) => n === 8));
  } finally {
    await serve.close();
  }
});
