import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { repoRoot } from '../../helpers/paths.js';
import { cliPath, eventually, postAsForwarder, replaySourcetypes, spawnServe, TOKEN, type ServeProcess, withoutEvidencePlaces } from '../../helpers/serve.js';
import { ngrokEvent } from '../../helpers/events.js';

const examples = path.join(repoRoot, 'examples');

const dirs: string[] = [];
const children: ServeProcess[] = [];
function dataDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'tw-serve-proc-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const auth = { authorization: `Splunk ${TOKEN}` };
async function api<T>(serve: ServeProcess, url: string): Promise<T> {
  const res = await fetch(`${serve.url}${url}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200, url);
  return (await res.json()) as T;
}
async function caughtUp(serve: ServeProcess): Promise<void> {
  await eventually(async () => (await api<{ journal: { lag_bytes: number } }>(serve, '/api/status')).journal.lag_bytes === 0, 60_000, 'the journal to be processed');
}
/** SIGTERM, and the process must exit within 30 s (a shutdown that hangs fails the test instead of hanging it) */
async function stop(serve: ServeProcess): Promise<void> {
  const exited = new Promise((resolve) => serve.child.once('exit', resolve));
  serve.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise((resolve) => (timer = setTimeout(resolve, 30_000, 'late')));
  const outcome = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (outcome === 'late') serve.child.kill('SIGKILL');
  assert.notEqual(outcome, 'late', `serve did not exit within 30 s of SIGTERM: ${serve.stderr()}`);
}

function scanFindings(files: string[]): Map<string, Record<string, unknown>> {
  const run = spawnSync(process.execPath, [cliPath, 'scan', '-q', '--window', '24h', '-f', 'jsonl', ...files], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const rows = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return new Map(rows.filter((r) => r.kind === 'finding').map((r) => [r.finding_id as string, r]));
}

test('replaying examples/ through HEC /raw raises exactly the findings scan gives over the same files with the same 24 h windows (late events folded into the stored findings), and `findings --store` exports them', async () => {
  const dir = dataDir();
  const serve = await spawnServe(['--data-dir', dir, '--token', TOKEN]);
  children.push(serve);
  for (const [file, sourcetype] of replaySourcetypes) {
    const res = await postAsForwarder(`${serve.url}/services/collector/raw?sourcetype=${encodeURIComponent(sourcetype)}&host=replay`, {
      method: 'POST',
      headers: auth,
      body: readFileSync(path.join(examples, file)),
    });
    assert.deepEqual([res.status, await res.json()], [200, { text: 'Success', code: 0 }], file);
  }
  await caughtUp(serve);
  const expected = scanFindings(replaySourcetypes.map(([f]) => path.join(examples, f)));
  const stored = await api<{ items: Array<Record<string, unknown>>; total: number }>(serve, '/api/findings?limit=1000');
  assert.equal(stored.total, expected.size);
  const storyDetections = new Set(stored.items.filter((i) => (i.analytic_story as string[]).includes('Reverse Network Proxy')).map((i) => i.search_name));
  assert.ok(storyDetections.size >= 7, `all seven story detections: ${[...storyDetections].join(', ')}`);
  for (const item of stored.items) {
    const { triage: _t, revision: _r, updated_at: _u, ...record } = item;
    assert.match(String((record.evidence as Array<{ source: string }>)[0]?.source), /^hec:/, 'evidence names the ingest channel');
    assert.deepEqual(withoutEvidencePlaces(record), withoutEvidencePlaces(expected.get(item.finding_id as string) ?? {}), `finding ${item.search_name} ${item.finding_id}`);
  }
  await stop(serve);
  const exported = spawnSync(process.execPath, [cliPath, 'findings', '--store', dir, '-f', 'jsonl'], { encoding: 'utf8' });
  assert.equal(exported.status, 0, exported.stderr);
  const rows = exported.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const comparable = (m: Map<string, Record<string, unknown>>) => new Map([...m].map(([id, r]) => [id, withoutEvidencePlaces(r)]));
  assert.deepEqual(comparable(new Map(rows.map((r) => [r.finding_id as string, r]))), comparable(expected));
});

for (const [mode, flags] of [
  ['detection in its own thread (the default)', []],
  ['detection on the HTTP thread (--no-detection-thread)', ['--no-detection-thread']],
] as const) {
  test(`kill -9 during ingest, then a restart, ${mode}: every acknowledged event is in the findings exactly once, and resending the rest completes them without double counting`, async () => {
    const dir = dataDir();
    const marker = `crash${randomUUID().slice(0, 8)}`;
    const batches = Array.from({ length: 60 }, (_, b) =>
      Array.from({ length: 100 }, (_, i) => JSON.stringify({ event: ngrokEvent(marker, b * 100 + i), sourcetype: 'XmlWinEventLog' })).join('\n'),
    );
    const acked = new Set<number>();
    const start = () => spawnServe(['--data-dir', dir, '--token', TOKEN, ...flags]);
    let serve = await start();
    children.push(serve);
    const first = serve;
    // four senders, each retrying a batch refused as busy (503 code 9) as forwarders do: a fresh
    // server's detection is still warming up and may refuse for a while. The server is killed once
    // 20 batches are acknowledged.
    let next = 0;
    const sender = async () => {
      while (next < batches.length && first.child.signalCode === null) {
        const b = next++;
        try {
          const res = await postAsForwarder(`${first.url}/services/collector/event`, { method: 'POST', headers: auth, body: batches[b] });
          if (res.status === 200) acked.add(b);
          if (acked.size === 20) first.child.kill('SIGKILL');
        } catch {
          return; // the server died under this request: not acknowledged
        }
      }
    };
    await Promise.all([sender(), sender(), sender(), sender()]);
    // never wait for a kill that did not come (every batch answered before 20 were acknowledged)
    if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGTERM');
    await new Promise((resolve) => (first.child.exitCode !== null || first.child.signalCode !== null ? resolve(null) : first.child.once('exit', resolve)));
    assert.equal(first.child.signalCode, 'SIGKILL', `killed during ingest (acknowledged ${acked.size} batches)`);
    assert.ok(acked.size >= 20 && acked.size < batches.length, `acknowledged ${acked.size} batches before the kill`);

    serve = await start();
    children.push(serve);
    await caughtUp(serve);
    const counts = async () => {
      const page = await api<{ items: Array<{ count: number }> }>(serve, `/api/findings?q=${marker}`);
      const distinct = new Set(page.items.map((i) => i.count));
      assert.ok(page.items.length > 0 && distinct.size === 1, `findings disagree: ${[...distinct].join(', ')}`);
      return [...distinct][0];
    };
    const afterRestart = await counts();
    // every acknowledged event counted; at most the batches in flight at the kill besides (they may have reached the journal)
    assert.ok(afterRestart >= acked.size * 100, `${afterRestart} < ${acked.size * 100} acknowledged events`);
    assert.ok(afterRestart <= (acked.size + 4) * 100, `${afterRestart} counts more than was sent`);
    assert.equal(afterRestart % 100, 0, 'a batch is journaled whole or not at all');

    // the client resends everything it did not hear 200 for (after a 503 "busy", again, as forwarders do)
    for (let b = 0; b < batches.length; b++) {
      if (acked.has(b)) continue;
      const res = await postAsForwarder(`${serve.url}/services/collector/event`, { method: 'POST', headers: auth, body: batches[b] });
      assert.equal(res.status, 200);
    }
    await caughtUp(serve);
    assert.equal(await counts(), batches.length * 100, 'every event exactly once');
    await stop(serve);
  });
}
