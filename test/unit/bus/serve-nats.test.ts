import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { examplesDir } from '../../helpers/paths.js';
import { ScaleOut, scaleOutUnavailable, scanJson } from '../../helpers/scale-out.js';
import { replaySourcetypes, spawnServe, TOKEN, withoutEvidencePlaces } from '../../helpers/serve.js';

const skip = await scaleOutUnavailable();

async function metricsOf(url: string): Promise<Map<string, number>> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return new Map(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => [l.split(' ')[0], Number(l.split(' ')[1])]));
}

describe('serve --nats: HEC in front of the bus', { skip, timeout: 180_000 }, () => {
  test('examples replayed over HEC /raw to serve --nats, detected by workers, merge to what scan gives (evidence names the channel); serve and workers expose /metrics', async () => {
    const s = await ScaleOut.start();
    const serve = await spawnServe(['--data-dir', mkdtempSync(path.join(tmpdir(), 'tw-serve-nats-')), '--token', TOKEN, '--nats', s.nats.url]);
    try {
      for (const [file, sourcetype] of replaySourcetypes) {
        const res = await fetch(`${serve.url}/services/collector/raw?sourcetype=${encodeURIComponent(sourcetype)}&host=replay`, {
          method: 'POST',
          headers: { authorization: `Splunk ${TOKEN}` },
          body: readFileSync(path.join(examplesDir, file)),
        });
        assert.deepEqual([res.status, await res.json()], [200, { text: 'Success', code: 0 }], file);
      }
      // acknowledged means stored on the bus: every chunk is there before any worker runs
      const published = (await metricsOf(`${serve.url}/metrics`)).get('tunnelwatch_bus_published_messages_total') ?? 0;
      assert.ok(published >= replaySourcetypes.length);
      assert.equal(await s.streamMessages(), published);
      s.startWorker(['--metrics', '127.0.0.1:0']);
      await s.drained();
      const expected = (scanJson(replaySourcetypes.map(([f]) => path.join(examplesDir, f))) as Array<Record<string, unknown>>).map(withoutEvidencePlaces);
      const results = s.results() as Array<Record<string, unknown>>;
      assert.ok(results.filter((r) => r.kind === 'finding').every((r) => String((r.evidence as Array<{ source: string }>)[0]?.source).startsWith('hec:')), 'evidence names the ingest channel');
      assert.deepEqual(results.map(withoutEvidencePlaces), expected);
      const hec = await metricsOf(`${serve.url}/metrics`);
      assert.equal(hec.get('tunnelwatch_hec_requests_total'), replaySourcetypes.length);
    } finally {
      serve.child.kill('SIGKILL');
      await s.close();
    }
  });
  test('an event larger than one bus message is left out and counted; HEC still answers 200 and the rest of the request is published', async () => {
    const s = await ScaleOut.start();
    const serve = await spawnServe(['--data-dir', mkdtempSync(path.join(tmpdir(), 'tw-serve-nats-')), '--token', TOKEN, '--nats', s.nats.url]);
    try {
      const story = readFileSync(path.join(examplesDir, 'sysmon-nxlog.jsonl'), 'utf8').trimEnd().split('\n');
      // random base64: deflate cannot bring 3 MB under nats-server's 1 MiB max_payload
      const huge = JSON.stringify({ EventID: 1, CommandLine: randomBytes(2_300_000).toString('base64') });
      const body = [...story.slice(0, 2), huge, ...story.slice(2)].join('\n');
      const res = await fetch(`${serve.url}/services/collector/raw?sourcetype=_json&host=replay`, { method: 'POST', headers: { authorization: `Splunk ${TOKEN}` }, body });
      assert.deepEqual([res.status, await res.json()], [200, { text: 'Success', code: 0 }]);
      const metrics = await metricsOf(`${serve.url}/metrics`);
      assert.equal(metrics.get('tunnelwatch_bus_too_large_records_total'), 1);
      assert.ok((metrics.get('tunnelwatch_bus_published_messages_total') ?? 0) >= 2, 'the events before and after it went to the bus');
      assert.equal(await s.streamMessages(), metrics.get('tunnelwatch_bus_published_messages_total'));
    } finally {
      serve.child.kill('SIGKILL');
      await s.close();
    }
  });
});
