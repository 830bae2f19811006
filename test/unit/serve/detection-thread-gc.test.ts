import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sharedData, sharedDataMissing } from '../../helpers/paths.js';
import { cliPath, eventually, spawnServe, TOKEN } from '../../helpers/serve.js';

const EVENTS = 60_000;
const PER_REQUEST = 100;

/**
 * The EVTX sample set's Sysmon events as HEC envelopes, one XML event each (as a forwarder sends
 * XmlWinEventLog), each given the record id `serial` (distinct events: a repeated one is a resend).
 */
function sysmonEnvelopes(): (serial: number) => string {
  const dir = path.join(sharedData, 'evtx-sysmon');
  const files = readdirSync(dir).filter((f) => f.endsWith('.evtx')).map((f) => path.join(dir, f));
  const dump = spawnSync(process.execPath, [cliPath, 'dump', '--format', 'xml', ...files], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const lines = dump.stdout.split('\n').filter((l) => l.startsWith('<Event'));
  assert.ok(lines.length > 1000, `dump gave ${lines.length} events: ${dump.stderr.slice(0, 300)}`);
  const halves = lines.map((event) => `${JSON.stringify({ event: event.replace(/<EventRecordID>\d+</, '<EventRecordID>@RECORD-ID@<'), sourcetype: 'XmlWinEventLog' })}\n`.split('@RECORD-ID@'));
  return (serial) => {
    const [before, after] = halves[serial % halves.length];
    return before + serial + after;
  };
}

async function processed(url: string): Promise<number> {
  const res = await fetch(`${url}/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const s = (await res.json()) as { processed: { events: number; prefiltered: number } };
  return s.processed.events + s.processed.prefiltered;
}

/**
 * V8 gives an isolate with a small live set an old-space limit a few MB above it; serve's detection
 * thread (~9 MB live, allocating tens of MB/s into its old space) then ran a full collection every
 * 120-150 ms: 15 per 100,000 real Sysmon events here, 9 per 60,000, their concurrent marking a fifth
 * of serve's CPU. With the thread's roomier start (roomyWorkerOldSpace), 2-3 per 60,000.
 */
test('serve\'s detection thread runs few full collections under sustained HEC load of real Sysmon events', { skip: sharedDataMissing, timeout: 120_000 }, async () => {
  const envelope = sysmonEnvelopes();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tw-gc-'));
  const serve = await spawnServe(['--data-dir', dataDir, '--token', TOKEN, '--max-lag-seconds', '0s'], {}, ['--trace-gc']);
  try {
    let next = 0;
    const sender = async () => {
      while (next < EVENTS) {
        const body = Array.from({ length: PER_REQUEST }, () => envelope(next++)).join('');
        const res = await fetch(`${serve.url}/services/collector/event`, { method: 'POST', headers: { authorization: `Splunk ${TOKEN}` }, body });
        assert.equal(res.status, 200, await res.text());
      }
    };
    await Promise.all([sender(), sender(), sender(), sender()]);
    await eventually(async () => (await processed(serve.url)) >= EVENTS, 60_000, `all ${EVENTS} events processed`);
    assert.equal(await processed(serve.url), EVENTS);
  } finally {
    serve.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
  const trace = serve.stdout();
  // `[pid:isolate] ... Mark-Compact ...`: the HTTP thread's isolate collects first (loading the content), the detection thread's is the other
  const isolates = [...trace.matchAll(/^\[\d+:(0x[0-9a-f]+)\][^\n]*?(Scavenge|Mark-Compact)/gm)];
  assert.ok(isolates.length > 0, 'no GC trace from serve');
  const main = isolates[0][1];
  const detection = isolates.filter(([, isolate, kind]) => isolate !== main && kind === 'Mark-Compact').length;
  assert.ok(isolates.some(([, isolate]) => isolate !== main), 'no GC of the detection thread in the trace');
  assert.ok(detection <= 5, `the detection thread ran ${detection} full collections over ${EVENTS} events`);
});
