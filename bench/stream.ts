/**
 * The stream benchmarks (`npm run bench -- --only soak,latency`):
 *
 * - soak: the real OTRF JSON set (../shared/data/json-sysmon) plus the tunnel sample events,
 *   replayed 20 times through the stream pipeline, each pass a day later. Run in a process of its
 *   own (`node dist/bench/stream.js soak DIR`, DIR the captures decompressed) so that its peak RSS is its alone.
 * - latency: `tunnelwatch watch` on a file that gets one matching event appended every 50 ms;
 *   the time from the append to the finding's upsert on stdout.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, createReadStream, createWriteStream, existsSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { pipeline as pipeStreams } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = path.resolve(repo, '../shared/data');
const cli = path.join(repo, 'dist/src/cli/tunnelwatch.cjs');
const sampleFile = path.join(repo, 'examples/sysmon-nxlog.jsonl');
const DAY = 86_400;
const PASSES = 20;
const SOAK_GROWTH = 1.1;
const LATENCY_P99_S = 1;

export interface StreamTarget {
  name: string;
  met: boolean | undefined;
  detail: string;
}

const TIME_FIELDS = /"(UtcTime|@timestamp|EventTime)":"([^"]*)"/g;

/** a timestamp text moved by `delta` seconds, in the form it was written in */
function shiftTime(text: string, delta: number): string {
  const iso = text.includes('T') ? text : `${text.replace(' ', 'T')}Z`;
  const ms = Date.parse(iso.endsWith('Z') ? iso : `${iso}Z`);
  if (Number.isNaN(ms)) return text;
  const shifted = new Date(ms + delta * 1000).toISOString();
  return text.includes('T') ? shifted : shifted.replace('T', ' ').slice(0, text.length);
}

function firstTime(line: string): number {
  TIME_FIELDS.lastIndex = 0;
  const m = TIME_FIELDS.exec(line);
  return m ? Date.parse(m[2].includes('T') ? m[2] : `${m[2].replace(' ', 'T')}Z`) / 1000 : NaN;
}

/**
 * The lines of a plain file, block by block (complete lines only), read into one reused buffer
 * (grown only for a line longer than it). The soak's own reading must leave no garbage outside
 * V8's heap: dead Buffers wait for a collection that external memory triggers late, tens of MB,
 * and the soak measures the pipeline's peak memory, not its harness's.
 */
function* fileLines(file: string, scratch: { block: Buffer }): Iterable<string[]> {
  const fd = openSync(file, 'r');
  try {
    let kept = 0;
    for (;;) {
      if (kept === scratch.block.length) {
        const bigger = Buffer.allocUnsafe(scratch.block.length * 2);
        scratch.block.copy(bigger, 0, 0, kept);
        scratch.block = bigger;
      }
      const block = scratch.block;
      const filled = kept + readSync(fd, block, kept, block.length - kept, null);
      if (filled === kept) {
        if (kept > 0) yield [block.toString('utf8', 0, kept)];
        return;
      }
      const end = block.lastIndexOf(10, filled - 1);
      if (end < 0) {
        kept = filled;
        continue;
      }
      yield block.toString('utf8', 0, end).split('\n');
      block.copyWithin(0, end + 1, filled);
      kept = filled - end - 1;
    }
  } finally {
    closeSync(fd);
  }
}

function peakRssMb(): number {
  const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return hwm ? Number(hwm[1]) / 1024 : process.memoryUsage().rss / 1024 / 1024;
}

/**
 * Runs in its own process: prints one line per pass and a last line of JSON targets. `captures`:
 * a directory of the OTRF captures, decompressed by the parent (a gunzip here would be garbage
 * outside V8's heap, counted in this process's peak).
 */
async function soak(captures: string): Promise<void> {
  const [{ parsePipelineConfig }, { isSetupProblem, preparePipeline }, { StreamPipeline, bufferInput }, { boundHeapGrowth }] = await Promise.all([
    import('../src/pipeline/config.js'),
    import('../src/pipeline/setup.js'),
    import('../src/pipeline/stream.js'),
    import('../src/pipeline/heap-growth.js'),
  ]);
  const files = readdirSync(captures).sort().map((f) => path.join(captures, f));
  // 16 KiB feeds, as a gunzip stream's chunks were
  const scratch = { block: Buffer.allocUnsafe(16 << 10) };
  /** each feed's bytes, written into one reused buffer: the pipeline copies what it keeps */
  let fedBytes = Buffer.allocUnsafe(64 << 10);
  const parsed = parsePipelineConfig({ rules: [path.join(repo, 'content/detections')], findings: { windowSeconds: DAY, allowedLatenessSeconds: 3600 } });
  if (!('config' in parsed)) throw new Error(parsed.errors.join('; '));
  const setup = await preparePipeline(parsed.config, { contentRoot: path.join(repo, 'content') });
  if (isSetupProblem(setup)) throw new Error(JSON.stringify(setup));

  // The three captures are from 2020 and 2023: each is first moved onto one day (3 h apart, the
  // samples last), so that a pass is a time-ordered day and the next pass the day after.
  const base = Date.UTC(2026, 0, 1) / 1000;
  const starts: number[] = [];
  for (const file of files) for (const lines of fileLines(file, scratch)) {
    starts.push(firstTime(lines[0]));
    break;
  }
  const samples = readFileSync(sampleFile, 'utf8').split('\n').filter(Boolean);
  const sampleStart = firstTime(samples[0]);

  /** per pass (window start): finding id -> what the finding is, times left out */
  const perPass = new Map<string, Map<string, string>>();
  const sink = {
    async open() {},
    async close() {},
    async write(upserts: readonly Record<string, unknown>[]) {
      for (const u of upserts) {
        if (u.kind !== 'finding' || u.late) continue;
        const window = String(u.window_start ?? 'correlation');
        let findings = perPass.get(window);
        if (!findings) perPass.set(window, (findings = new Map()));
        const { revision: _r, status: _s, finding_id: _i, firstTime: _f, lastTime: _l, window_start: _ws, window_end: _we, risk_message: _m, ...rest } = u;
        if (u.status === 'retracted') findings.delete(String(u.finding_id));
        else findings.set(String(u.finding_id), JSON.stringify(rest, (key, value) => (/time/i.test(key) ? undefined : value)));
      }
    },
  };
  // the process runs as `watch` does (WatchRun.start), heap growth bounded
  boundHeapGrowth();
  const pipeline = await StreamPipeline.open(setup, { sinks: [sink as never] });
  const peaks: number[] = [];
  let fed = 0;
  const started = performance.now();
  for (let pass = 0; pass < PASSES; pass++) {
    const feed = async (lines: string[], delta: number) => {
      fed += lines.length;
      const text = `${lines.map((l) => l.replace(TIME_FIELDS, (_, field: string, value: string) => `"${field}":"${shiftTime(value, delta)}"`)).join('\n')}\n`;
      const length = Buffer.byteLength(text);
      if (length > fedBytes.length) fedBytes = Buffer.allocUnsafe(2 * length);
      fedBytes.write(text);
      await pipeline.ingest(bufferInput('replay', fedBytes.subarray(0, length)));
      await pipeline.commit(null);
      // a live pipeline gets its input from I/O callbacks: the event loop turns between feeds (V8's GC tasks run there too)
      await new Promise((resolve) => setImmediate(resolve));
    };
    for (const [i, file] of files.entries()) {
      const delta = base + pass * DAY + i * 3 * 3600 - starts[i];
      for (const lines of fileLines(file, scratch)) await feed(lines, delta);
    }
    await feed(samples, base + pass * DAY + 9 * 3600 - sampleStart);
    peaks.push(peakRssMb());
    const s = pipeline.stats();
    process.stdout.write(
      `  pass ${String(pass + 1).padStart(2)}: ${fed} lines so far (${s.events} parsed past the prefilter), ${s.openGroups} open groups, rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB, peak ${peaks[pass].toFixed(0)} MB, ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
  }
  const days = [...perPass.keys()].filter((k) => k !== 'correlation').sort();
  const signature = (day: string) => [...(perPass.get(day) as Map<string, string>).values()].sort().join('\n');
  const counts = days.map((d) => (perPass.get(d) as Map<string, string>).size);
  const identical = days.length === PASSES && days.every((d) => signature(d) === signature(days[0]));
  const growth = peaks[PASSES - 1] / peaks[1];
  const targets: StreamTarget[] = [
    { name: `soak: peak RSS after pass ${PASSES} <= +${((SOAK_GROWTH - 1) * 100).toFixed(0)}% of the peak after pass 2`, met: growth <= SOAK_GROWTH, detail: `${peaks[1].toFixed(0)} -> ${peaks[PASSES - 1].toFixed(0)} MB (${((growth - 1) * 100).toFixed(1)}%)` },
    { name: 'soak: the same findings every pass', met: identical, detail: `${days.length} daily windows, findings per pass ${[...new Set(counts)].join('/')}` },
  ];
  process.stdout.write(`${JSON.stringify({ targets })}\n`);
}

/** `tunnelwatch watch` on a file appended to at a steady rate: append -> upsert on stdout. */
export async function latency(events = 200, everyMs = 50): Promise<StreamTarget[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-latency-'));
  const file = path.join(dir, 'live.log');
  writeFileSync(file, '');
  // a process creation that raises findings alone; each copy on its own host, so each is a new finding
  const template = readFileSync(sampleFile, 'utf8').split('\n').find((l) => l.includes('"EventID":1,') || l.includes('"EventID":1}')) ?? '';
  const child = spawn(process.execPath, [cli, 'watch', file, '-f', 'jsonl', '-q'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const seen = new Map<number, number>();
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const now = performance.now();
    buffered += chunk.toString('utf8');
    const end = buffered.lastIndexOf('\n');
    for (const line of buffered.slice(0, end).split('\n')) {
      const m = /"kind":"finding".*?lat-(\d+)\.example/.exec(line);
      if (m && !seen.has(Number(m[1]))) seen.set(Number(m[1]), now);
    }
    buffered = buffered.slice(end + 1);
  });
  // start-up (content, watcher) is not latency
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const appended = new Map<number, number>();
  for (let n = 0; n < events; n++) {
    appendFileSync(file, `${template.replace(/SRV-APP-02\.acme\.example/g, `lat-${n}.example`)}\n`);
    appended.set(n, performance.now());
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  const deadline = performance.now() + 10_000;
  while (seen.size < events && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
  const latencies = [...appended].map(([n, t]) => ((seen.get(n) ?? Infinity) - t) / 1000).sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  process.stdout.write(
    `  ${events} events appended every ${everyMs} ms: ${seen.size} seen; latency p50 ${at(0.5).toFixed(3)} s, p90 ${at(0.9).toFixed(3)} s, p99 ${at(0.99).toFixed(3)} s, max ${latencies[latencies.length - 1].toFixed(3)} s\n`,
  );
  return [{ name: `latency: appended event -> finding on stdout, p99 < ${LATENCY_P99_S} s`, met: seen.size === events && at(0.99) < LATENCY_P99_S, detail: `p99 ${at(0.99).toFixed(3)} s, ${seen.size}/${events} seen` }];
}

/** the soak in a child process, its figures relayed */
export async function soakInChild(): Promise<StreamTarget[]> {
  const json = path.join(dataDir, 'json-sysmon');
  if (!existsSync(json)) return [{ name: 'soak', met: undefined, detail: '../shared/data/json-sysmon absent' }];
  const captures = mkdtempSync(path.join(tmpdir(), 'tw-soak-'));
  let out = '';
  try {
    for (const gz of readdirSync(json).filter((f) => f.endsWith('.gz'))) {
      await pipeStreams(createReadStream(path.join(json, gz)), createGunzip(), createWriteStream(path.join(captures, gz.slice(0, -'.gz'.length))));
    }
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'soak', captures], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      out += text;
      for (const line of text.split('\n')) if (line.startsWith('  pass')) process.stdout.write(`${line}\n`);
    });
    await new Promise((resolve) => child.once('exit', resolve));
  } finally {
    rmSync(captures, { recursive: true, force: true });
  }
  const last = out.trim().split('\n').pop() ?? '';
  try {
    return (JSON.parse(last) as { targets: StreamTarget[] }).targets;
  } catch {
    return [{ name: 'soak', met: false, detail: `the soak process failed: ${last.slice(0, 200)}` }];
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'soak' && process.argv[3]) await soak(process.argv[3]);
