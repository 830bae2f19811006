import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, sharedData, sharedDataMissing } from '../../helpers/paths.js';
import { TOKEN } from '../../helpers/serve.js';

const bundle = path.join(repoRoot, 'dist', 'src', 'cli', 'tunnelwatch.js');
const EVENTS = 60_000;
const PER_REQUEST = 100;

/**
 * The EVTX sample set's Sysmon events as HEC envelopes, one XML event each (as a forwarder sends
 * XmlWinEventLog), each given the record id `serial` (distinct events: a repeated one is a resend).
 */
function sysmonEnvelopes(): (serial: number) => string {
  const dir = path.join(sharedData, 'evtx-sysmon');
  const files = readdirSync(dir).filter((f) => f.endsWith('.evtx')).map((f) => path.join(dir, f));
  const dump = spawnSync(process.execPath, [bundle, 'dump', '--format', 'xml', ...files], { encoding: 'utf8', maxBuffer: 1 << 28 });
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
  const child = spawn(process.execPath, ['--trace-gc', bundle, 'serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--token', TOKEN, '--max-lag-seconds', '0s'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let trace = '';
  child.stdout.on('data', (d: Buffer) => (trace += d.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(err);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    let next = 0;
    const sender = async () => {
      while (next < EVENTS) {
        const body = Array.from({ length: PER_REQUEST }, () => envelope(next++)).join('');
        const res = await fetch(`${url}/services/collector/event`, { method: 'POST', headers: { authorization: `Splunk ${TOKEN}` }, body });
        assert.equal(res.status, 200, await res.text());
      }
    };
    await Promise.all([sender(), sender(), sender(), sender()]);
    const deadline = Date.now() + 60_000;
    while ((await processed(url)) < EVENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await processed(url), EVENTS);
  } finally {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
  // `[pid:isolate] ... Mark-Compact ...`: the HTTP thread's isolate collects first (loading the content), the detection thread's is the other
  const isolates = [...trace.matchAll(/^\[\d+:(0x[0-9a-f]+)\][^\n]*?(Scavenge|Mark-Compact)/gm)];
  assert.ok(isolates.length > 0, 'no GC trace from serve');
  const main = isolates[0][1];
  const detection = isolates.filter(([, isolate, kind]) => isolate !== main && kind === 'Mark-Compact').length;
  assert.ok(isolates.some(([, isolate]) => isolate !== main), 'no GC of the detection thread in the trace');
  assert.ok(detection <= 5, `the detection thread ran ${detection} full collections over ${EVENTS} events`);
});
