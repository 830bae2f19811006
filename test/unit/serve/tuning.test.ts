import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, startServe, TOKEN } from '../../helpers/serve.js';
import { ngrokEvent } from '../../helpers/events.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('tune from a finding: the drafted entry names its BY values, the preview counts what it would suppress, saving merges it into the tuning file and notes it in the history', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-serve-tune-'));
  dirs.push(dir);
  const tuningFile = path.join(dir, 'tuning.yml');
  writeFileSync(tuningFile, '# our tuning\n');
  const serve = await startServe({ dataDir: path.join(dir, 'data'), tuningFile });
  try {
    const base = `http://${serve.address}`;
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const body = ['tuneone', 'tunetwo', 'tunethree'].map((m, i) => JSON.stringify({ event: ngrokEvent(m, i), sourcetype: 'XmlWinEventLog' })).join('\n');
    assert.equal((await fetch(`${base}/services/collector/event`, { method: 'POST', headers: { authorization: `Splunk ${TOKEN}` }, body })).status, 200);
    await eventually(async () => serve.processor.lag === 0);
    type Item = { finding_id: string; detection_id: string; search_name: string };
    const one = ((await (await fetch(`${base}/api/findings?q=tuneone`, { headers })).json()) as { items: Item[] }).items;
    // a detection grouping by the command line: each marker is a finding of its own
    let target: Item | undefined;
    let draft: { macro: string; spl: string; suppressed: number; total: number; examples: string[] } | undefined;
    for (const f of one) {
      const res = await fetch(`${base}/api/tuning/preview`, { method: 'POST', headers, body: JSON.stringify({ finding_id: f.finding_id }) });
      if (res.status !== 200) continue;
      const d = (await res.json()) as NonNullable<typeof draft>;
      if (d.total >= 3) [target, draft] = [f, d];
    }
    assert.ok(target && draft, 'some detection of the ngrok event has a filter macro and a finding per marker');
    assert.match(draft.spl, /^search NOT \(.*tuneone.*\)$/);
    assert.equal(draft.suppressed, 1, `the draft suppresses only the finding it came from: ${draft.spl}`);
    assert.deepEqual(draft.examples, [target.finding_id]);

    // an edited filter is previewed as written; a bad one is a 400 naming the problem
    const wider = `search NOT process="*tune*"`;
    const widerPreview = (await (await fetch(`${base}/api/tuning/preview`, { method: 'POST', headers, body: JSON.stringify({ finding_id: target.finding_id, spl: wider }) })).json()) as { suppressed: number; total: number };
    assert.equal(widerPreview.suppressed, draft.total);
    const bad = await fetch(`${base}/api/tuning/preview`, { method: 'POST', headers, body: JSON.stringify({ finding_id: target.finding_id, spl: 'search NOT no_such_column="x"' }) });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /no_such_column/);

    const saved = await fetch(`${base}/api/tuning`, { method: 'POST', headers, body: JSON.stringify({ finding_id: target.finding_id, spl: draft.spl }) });
    assert.equal(saved.status, 200);
    const text = readFileSync(tuningFile, 'utf8');
    assert.ok(text.startsWith('# our tuning\n'), 'what the file held is kept');
    assert.ok(text.includes(`${draft.macro}: `) && text.includes('tuneone'));
    const detail = (await (await fetch(`${base}/api/findings/${target.finding_id}`, { headers })).json()) as { history: Array<{ field: string; comment: string }> };
    assert.match(detail.history.at(-1)?.comment ?? '', new RegExp(`tuning ${draft.macro} saved.*suppresses 1 of ${draft.total}`));

    // a second entry for the same macro is ANDed with the first: the file holds one entry keeping both
    const two = ((await (await fetch(`${base}/api/findings?q=tunetwo&detection=${target.detection_id}`, { headers })).json()) as { items: Item[] }).items[0];
    const draftTwo = (await (await fetch(`${base}/api/tuning/preview`, { method: 'POST', headers, body: JSON.stringify({ finding_id: two.finding_id }) })).json()) as { spl: string };
    const savedTwo = (await (await fetch(`${base}/api/tuning`, { method: 'POST', headers, body: JSON.stringify({ finding_id: two.finding_id, spl: draftTwo.spl }) })).json()) as { spl: string };
    assert.match(savedTwo.spl, /^search \(NOT \(.*tuneone.*\)\) \(NOT \(.*tunetwo.*\)\)$/);
    assert.equal(readFileSync(tuningFile, 'utf8').split('\n').filter((l) => l.startsWith(`${draft!.macro}:`)).length, 1);
  } finally {
    await serve.close();
  }
});
