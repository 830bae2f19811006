/**
 * `npm run bench -- serve`: HEC ingest with detection running, through a real `tunnelwatch serve`
 * process on loopback. Load comes from autocannon in a process of its own (hec-load.ts; both share
 * the machine's cores, as a forwarder on the same host would). Prints:
 *  - events/s accepted (200s) and events/s through to the store (accepted events / time until the
 *    processor has committed them all), with real Sysmon XML events 100 per request (the EVTX
 *    sample set's), and again with the attack examples alone, most of whose events raise findings;
 *  - p99 ingest-to-finding latency: probe requests whose event raises a new finding, timed from
 *    the request until the finding arrives on the SSE stream (which follows the store commit);
 *  - past saturation (a small lag limit): the share of 503s, and that every accepted event was
 *    processed (zero loss) and no refused one was.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { cpuSeconds } from './measure.js';
import { EVENTS_PER_REQUEST, loadInChild, TOKEN, type BodyEvents } from './hec-load.js';
import { dumpXml, eventsOf, listFiles } from './workloads.js';

interface Status {
  journal: { end: number; lag_bytes: number; queued_bytes: number };
  hec: { events: number; rejected: number };
  processed: { events: number; prefiltered: number; skipped: Record<string, { count: number }> };
}

/** One capacity run: sustained load with detection running and no latency bound (every request taken, none refused), until all of it is in the store. */
export interface CapacityRun {
  /** where the events came from */
  origin: string;
  acceptedPerSecond: number;
  throughPerSecond: number;
  /** CPU seconds of the server process over the run, and of the load generator's (autocannon and the body maker) */
  serverCpuSeconds: number;
  generatorCpuSeconds: number;
  /**
   * accepted events per second of CPU the server process used (user + system) from the start of
   * the load until everything was in the store: what the server would do with a core to itself,
   * whatever else the machine runs
   */
  eventsPerCpuSecond: number;
  /** 1-minute load average before and after the run (the machine is shared) */
  loadAverage: [number, number];
}

export interface ServeBenchResult {
  /** real Sysmon events (the target's), and the attack examples alone (the worst case: most events raise findings) */
  capacity: CapacityRun;
  attackOnly: CapacityRun;
  /** the latency run (default settings): events/s answered 200, and requests refused (503 code 9 past --max-lag-seconds) */
  latencyRun: { acceptedPerSecond: number; refusedRequests: number };
  /** probe latency from the answer 200 to the finding on SSE (the target's measure) */
  p50LatencyMs: number;
  p99LatencyMs: number;
  /** the same from the probe's first send (with its 503s and retries) */
  p99FromSendMs: number;
  probes: number;
  probeRetries: number;
  /** 1-minute load average at the end */
  loadAverage: number;
  /**
   * events: acknowledged (200s seen by the load generator x 100), journaled (taken by the server:
   * also counts requests still in flight when the load stopped), processed (read by the processor:
   * parsed, prefiltered or skipped)
   */
  saturation: { requests: number; refused: number; acknowledged: number; journaled: number; processed: number };
}

export function start(cli: string, dataDir: string, extra: string[], nodeFlags: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...nodeFlags, cli, 'serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--token', TOKEN, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

export async function status(url: string): Promise<Status> {
  return (await (await fetch(`${url}/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as Status;
}

/**
 * When everything journaled was processed: no lag, nothing waiting for an fsync, and the journal's
 * end unchanged at the next poll (requests the load generator abandoned at its end may still be on
 * their way into the journal: with the fsync off the event loop, one poll can fall between their
 * write and the next); the time of the first of those polls.
 */
export async function drained(url: string): Promise<number> {
  let settled: { end: number; at: number } | undefined;
  for (;;) {
    const { journal } = await status(url);
    const idle = journal.lag_bytes === 0 && journal.queued_bytes === 0;
    if (idle && settled?.end === journal.end) return settled.at;
    settled = idle ? { end: journal.end, at: performance.now() } : undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** the hand-written attack of examples/windows-sysmon.xml: every event a tunnel tool's (most raise findings) */
export function attackEvents(repo: string): BodyEvents {
  const lines = readFileSync(path.join(repo, 'examples/windows-sysmon.xml'), 'utf8').split('\n').filter((l) => l.includes('<EventRecordID>'));
  return { lines, origin: 'examples/windows-sysmon.xml, every event a tunnel tool\'s' };
}

/**
 * Real Sysmon events as an endpoint logs them: the EVTX sample set's Sysmon logs rendered by
 * `tunnelwatch dump --format xml` (mostly ordinary activity, some of it attack simulations); the
 * attack examples when the set is absent.
 */
export function realSysmonEvents(cli: string, sharedData: string, repo: string): BodyEvents {
  const evtx = listFiles(path.join(sharedData, 'evtx-sysmon'), '.evtx');
  const lines = evtx.length > 0 ? eventsOf(dumpXml(cli, evtx)) : [];
  return lines.length > 0 ? { lines, origin: `the EVTX sample set's ${lines.length} Sysmon events` } : attackEvents(repo);
}

/** one probe's times: from its first send and from the answer 200 (a 503 is retried, as a forwarder does) to its finding on SSE */
interface ProbeLatency {
  fromSend: number;
  fromAck: number;
}

/** Probes: one new finding each (a unique ngrok command line), timed to its arrival on SSE. */
async function probeLatencies(url: string, repo: string, until: () => boolean): Promise<{ fromSend: number[]; fromAck: number[]; retries: number }> {
  const ngrok = readFileSync(path.join(repo, 'examples/windows-sysmon.xml'), 'utf8').split('\n').find((l) => l.includes('config add-authtoken'))!;
  const sent = new Map<string, { sent: number; acked?: number }>();
  const latencies: ProbeLatency[] = [];
  let retries = 0;
  const abort = new AbortController();
  const sse = await fetch(`${url}/api/events`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: abort.signal });
  const reader = sse.body!.getReader();
  const decoder = new TextDecoder();
  const reading = (async () => {
    let buffered = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffered += decoder.decode(value, { stream: true });
      for (const [marker, t] of sent) {
        if (t.acked !== undefined && buffered.includes(marker)) {
          const now = performance.now();
          latencies.push({ fromSend: now - t.sent, fromAck: now - t.acked });
          sent.delete(marker);
        }
      }
      if (buffered.length > 1 << 20) buffered = buffered.slice(-4096);
    }
  })();
  let n = 0;
  while (!until()) {
    const marker = `probe${process.pid}x${n++}`;
    const times: { sent: number; acked?: number } = { sent: performance.now() };
    sent.set(marker, times);
    const event = ngrok.replace(/add-authtoken [A-Za-z0-9_]+/, `add-authtoken ${marker}`).replace(/SystemTime='[^']*'/, `SystemTime='${new Date().toISOString()}'`);
    for (;;) {
      const res = await fetch(`${url}/services/collector/event`, { method: 'POST', headers: { authorization: `Splunk ${TOKEN}` }, body: JSON.stringify({ event, sourcetype: 'XmlWinEventLog' }) });
      await res.arrayBuffer();
      if (res.status === 200) break;
      retries++;
      await new Promise((r) => setTimeout(r, 100));
    }
    times.acked = performance.now();
    await new Promise((r) => setTimeout(r, 200));
  }
  const deadline = performance.now() + 10_000;
  while (sent.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  abort.abort();
  await reading;
  // a probe that never arrived counts as the slowest possible
  for (let i = 0; i < sent.size; i++) latencies.push({ fromSend: Number.POSITIVE_INFINITY, fromAck: Number.POSITIVE_INFINITY });
  return { fromSend: latencies.map((l) => l.fromSend).sort((a, b) => a - b), fromAck: latencies.map((l) => l.fromAck).sort((a, b) => a - b), retries };
}

/** whether this build's `serve` has a flag (an older build is measured the same way, without it) */
function serveHas(cli: string, flag: string): boolean {
  return spawnSync(process.execPath, [cli, 'serve', '--help'], { encoding: 'utf8' }).stdout.includes(flag);
}

async function capacityRun(cli: string, dataDir: string, events: BodyEvents, seconds: number): Promise<CapacityRun> {
  const a = await start(cli, dataDir, serveHas(cli, '--max-lag-seconds') ? ['--max-lag-seconds', '0s'] : []);
  try {
    const loadBefore = loadavg()[0];
    const cpuBefore = cpuSeconds(a.child.pid as number);
    const result = await loadInChild(a.url, seconds, 8, events);
    const accepted = result.ok * EVENTS_PER_REQUEST;
    // on the generator's clock: from its first request, not from before its process started
    const begin = result.startedAt - performance.timeOrigin;
    const end = await drained(a.url);
    const cpuUsed = cpuSeconds(a.child.pid as number) - cpuBefore;
    return {
      origin: events.origin,
      acceptedPerSecond: accepted / result.duration,
      throughPerSecond: accepted / ((end - begin) / 1000),
      serverCpuSeconds: cpuUsed,
      generatorCpuSeconds: result.cpuSeconds,
      eventsPerCpuSecond: accepted / cpuUsed,
      loadAverage: [loadBefore, loadavg()[0]],
    };
  } finally {
    a.child.kill('SIGTERM');
  }
}

/** `sharedData`: where the EVTX sample set is (real Sysmon events); without it, the attack examples stand in */
export async function serveBench(cli: string, repo: string, sharedData: string, seconds = 15): Promise<ServeBenchResult> {
  const work = mkdtempSync(path.join(tmpdir(), 'tw-bench-serve-'));
  const real = realSysmonEvents(cli, sharedData, repo);
  const quantile = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * q))];
  try {
    const capacity = await capacityRun(cli, path.join(work, 'a'), real, seconds);
    const attackOnly = await capacityRun(cli, path.join(work, 'x'), attackEvents(repo), seconds);

    // latency: the same load on the default settings (past --max-lag-seconds HEC answers 503), probes timed to their findings
    const l = await start(cli, path.join(work, 'l'), []);
    let loading = true;
    const [latencyRun, probes] = await Promise.all([
      loadInChild(l.url, seconds, 8, real).finally(() => (loading = false)),
      probeLatencies(l.url, repo, () => !loading),
    ]);
    l.child.kill('SIGTERM');

    // past saturation: a small lag limit, many connections
    const b = await start(cli, path.join(work, 'b'), ['--max-lag-bytes', '4MiB']);
    const saturated = await loadInChild(b.url, Math.max(5, Math.floor(seconds / 2)), 32, real);
    await drained(b.url);
    const s = await status(b.url);
    b.child.kill('SIGTERM');
    const processed = s.processed.events + s.processed.prefiltered + Object.values(s.processed.skipped).reduce((n, k) => n + k.count, 0);

    return {
      capacity,
      attackOnly,
      latencyRun: { acceptedPerSecond: (latencyRun.ok * EVENTS_PER_REQUEST) / latencyRun.duration, refusedRequests: latencyRun.refused },
      p50LatencyMs: quantile(probes.fromAck, 0.5),
      p99LatencyMs: quantile(probes.fromAck, 0.99),
      p99FromSendMs: quantile(probes.fromSend, 0.99),
      probes: probes.fromAck.length,
      probeRetries: probes.retries,
      loadAverage: loadavg()[0],
      saturation: {
        requests: saturated.requests,
        refused: saturated.refused,
        acknowledged: saturated.ok * EVENTS_PER_REQUEST,
        journaled: s.hec.events,
        processed,
      },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
