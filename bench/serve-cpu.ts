/**
 * A fixed serve workload for A/B comparisons on a shared machine: `node dist/bench/serve-cpu.js
 * [--cli dist/src/cli/tunnelwatch.cjs] [--events 60000] [--senders 4] [--prof DIR] [--node-flags '--flag ...']
 * [--no-detection-thread] [--attack-only]`.
 *
 * Starts `tunnelwatch serve` (no latency bound, so nothing is refused), sends the bench's bodies
 * (100 Sysmon XML events each, serve.ts's `bodyMaker`: the EVTX sample set's real Sysmon events, or
 * with --attack-only the attack examples, most of which raise findings) from a few senders as fast as they are
 * answered, waits until the processor has committed everything, and prints the server's CPU
 * seconds (user + system of all its threads, from /proc) over that span: events per server
 * CPU-second does not depend on what else the machine runs, wall time does. With --prof the server
 * runs under `node --cpu-prof` (one profile per thread, written when it exits).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuSeconds, threadCpuSeconds } from './measure.js';
import { bodyMaker, TOKEN } from './hec-load.js';
import { attackEvents, drained, realSysmonEvents, start, status } from './serve.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    cli: { type: 'string', default: path.join(repo, 'dist/src/cli/tunnelwatch.cjs') },
    events: { type: 'string', default: '60000' },
    senders: { type: 'string', default: '4' },
    prof: { type: 'string' },
    'node-flags': { type: 'string', default: '' },
    'attack-only': { type: 'boolean', default: false },
  },
  // --no-detection-thread goes to `serve` (an older build's opt-in --detection-thread too)
  allowPositionals: true,
  strict: false,
});

function post(agent: http.Agent, url: URL, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { agent, host: url.hostname, port: url.port, method: 'POST', path: '/services/collector/event', headers: { authorization: `Splunk ${TOKEN}`, 'content-length': body.length } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const work = mkdtempSync(path.join(tmpdir(), 'tw-serve-cpu-'));
try {
  const bodyEvents = values['attack-only'] ? attackEvents(repo) : realSysmonEvents(String(values.cli), path.resolve(repo, '../shared/data'), repo);
  process.stdout.write(`events: ${bodyEvents.origin}\n`);
  const makeBody = bodyMaker(bodyEvents);
  const requests = Math.ceil(Number(values.events) / 100);
  const nodeFlags = [
    ...String(values['node-flags']).split(' ').filter(Boolean),
    ...(typeof values.prof === 'string' ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(values.prof)] : []),
  ];
  const server = await start(String(values.cli), path.join(work, 'data'), ['--max-lag-seconds', '0s', ...process.argv.slice(2).filter((a) => a === '--detection-thread' || a === '--no-detection-thread')], nodeFlags);
  const url = new URL(server.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Number(values.senders) });
  const load = loadavg()[0];
  const cpu0 = cpuSeconds(server.child.pid!);
  const threads0 = threadCpuSeconds(server.child.pid!);
  const t0 = performance.now();
  let sent = 0;
  let refused = 0;
  const sender = async () => {
    while (sent < requests) {
      sent++;
      if ((await post(agent, url, makeBody())) !== 200) refused++;
    }
  };
  await Promise.all(Array.from({ length: Number(values.senders) }, sender));
  const acked = performance.now();
  const cpuAcked = cpuSeconds(server.child.pid!);
  const end = await drained(server.url);
  const cpu = cpuSeconds(server.child.pid!) - cpu0;
  // which thread is the bottleneck: the main one (HTTP, HEC, journal) and the busiest other (the detection thread, when there is one)
  const threads = [...threadCpuSeconds(server.child.pid!)].map(([tid, seconds]) => ({ tid, seconds: seconds - (threads0.get(tid) ?? 0) }));
  const main = threads.find((t) => t.tid === server.child.pid)?.seconds ?? 0;
  const busiest = Math.max(0, ...threads.filter((t) => t.tid !== server.child.pid).map((t) => t.seconds));
  // each thread by its id less the pid (0: the main thread); Node names them all "node" (measure.ts)
  const perThread = threads
    .filter((t) => t.seconds >= 0.01)
    .sort((a, b) => b.seconds - a.seconds)
    .map((t) => `+${t.tid - server.child.pid!} ${t.seconds.toFixed(2)} s`);
  const s = await status(server.url);
  agent.destroy();
  const exited = new Promise((resolve) => server.child.on('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
  const events = requests * 100;
  process.stdout.write(
    `${events} events (${refused} requests refused): server CPU ${cpu.toFixed(2)} s (${(cpuAcked - cpu0).toFixed(2)} s until the last 200), ` +
      `${Math.round(events / cpu)} events per CPU-second (main thread ${main.toFixed(2)} s, busiest other ${busiest.toFixed(2)} s); wall ${((acked - t0) / 1000).toFixed(1)} s to the last 200, ${((end - t0) / 1000).toFixed(1)} s to the store; ` +
      `parsed ${s.processed.events}, prefiltered ${s.processed.prefiltered}; load ${load.toFixed(1)} -> ${loadavg()[0].toFixed(1)}\n` +
      `  CPU per thread (id less the pid): ${perThread.join(', ')}\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
