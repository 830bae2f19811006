/**
 * The serve bench's load generator: autocannon posting HEC requests of 100 Sysmon XML events each,
 * run in a Node process of its own (`loadInChild`), as wrk or a forwarder would be. In the bench's
 * own process it shared a heap and a JIT with every section before it: after the NATS section the
 * same load cost it 5.2-5.9 CPU-s (2.8-3.1 with nothing before it), CPU the server beside it then
 * lacked; in a process of its own, 4.0-4.2 CPU-s either way.
 *
 * Run as a script: `node hec-load.js URL SECONDS CONNECTIONS EVENTS_FILE` (a JSON BodyEvents),
 * printing a LoadResult as JSON.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export const TOKEN = 'bench-token-0123456789';
export const EVENTS_PER_REQUEST = 100;

/** Windows XML events, one per line, and where they come from (printed with the results) */
export interface BodyEvents {
  lines: string[];
  origin: string;
}

/** What one load run did: requests answered 2xx and otherwise, its length, and the generator's CPU. */
export interface LoadResult {
  ok: number;
  refused: number;
  requests: number;
  /** seconds, as autocannon measured the run */
  duration: number;
  /** user + system seconds of the generator's process */
  cpuSeconds: number;
  /** when the first request went out, in milliseconds since the epoch (performance.timeOrigin + now): the child's own start-up is not the server's time */
  startedAt: number;
}

/**
 * Request bodies of 100 Sysmon XML events each, as a live forwarder sends them: every event with a
 * record id of its own and the time it is sent (replayed old times would make every event after
 * the first pass a late update of a closed window, which live traffic is not). The load generator
 * shares the machine's cores with the server, so bodies are made cheaply: byte templates copied
 * and patched in place (the time, always 24 characters, and a 7-digit record id), not strings
 * joined and encoded per request.
 */
export function bodyMaker(events: BodyEvents): () => Buffer {
  const pieces = events.lines.map((l) => {
    const event = l.replace(/SystemTime=(['"])[^'"]*\1/, `SystemTime=$1${'T'.repeat(24)}$1`).replace(/<EventRecordID>\d+</, `<EventRecordID>${'N'.repeat(7)}<`);
    const bytes = Buffer.from(`${JSON.stringify({ event, sourcetype: 'XmlWinEventLog', host: 'bench' })}\n`);
    return { bytes, time: bytes.indexOf('T'.repeat(24)), serial: bytes.indexOf('N'.repeat(7)) };
  });
  if (pieces.some((p) => p.time < 0 || p.serial < 0)) throw new Error(`${events.origin}: an event without SystemTime or EventRecordID`);
  let serial = 1_000_000;
  return () => {
    const now = new Date().toISOString();
    let size = 0;
    for (let i = 0; i < EVENTS_PER_REQUEST; i++) size += pieces[(serial + i) % pieces.length].bytes.length;
    const body = Buffer.allocUnsafe(size);
    let at = 0;
    for (let i = 0; i < EVENTS_PER_REQUEST; i++) {
      const piece = pieces[serial % pieces.length];
      piece.bytes.copy(body, at);
      body.write(now, at + piece.time, 'latin1');
      body.write(String(serial++), at + piece.serial, 'latin1');
      at += piece.bytes.length;
    }
    return body;
  };
}

/** `seconds` of HEC /event requests over `connections`, from this process */
async function load(url: string, seconds: number, connections: number, events: BodyEvents): Promise<LoadResult> {
  const makeBody = bodyMaker(events);
  const before = process.cpuUsage();
  const startedAt = performance.timeOrigin + performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      {
        url,
        connections,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            path: '/services/collector/event',
            headers: { authorization: `Splunk ${TOKEN}`, 'content-type': 'application/json' },
            setupRequest: (request) => ({ ...request, body: makeBody() }),
          },
        ],
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
  });
  const cpu = process.cpuUsage(before);
  return { ok: result['2xx'], refused: result.non2xx, requests: result.requests.total, duration: result.duration, cpuSeconds: (cpu.user + cpu.system) / 1e6, startedAt };
}

/** The same load from a fresh Node process (see the module's comment). */
export async function loadInChild(url: string, seconds: number, connections: number, events: BodyEvents): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-bench-load-'));
  try {
    const eventsFile = path.join(dir, 'events.json');
    writeFileSync(eventsFile, JSON.stringify(events));
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), url, String(seconds), String(connections), eventsFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0) throw new Error(`the load generator exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return JSON.parse(stdout) as LoadResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [url, seconds, connections, eventsFile] = process.argv.slice(2);
  const events = JSON.parse(readFileSync(eventsFile, 'utf8')) as BodyEvents;
  process.stdout.write(JSON.stringify(await load(url, Number(seconds), Number(connections), events)));
}
