import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, linkSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Writable } from 'node:stream';

export interface Workload {
  name: string;
  kind: 'text' | 'evtx';
  files: string[];
  bytes: number;
  /** lines (text) or EVTX records (from the data manifest) */
  events: number;
  /** the target: scan wall time <= this many times grep's over the prefilter's needles (issue 20) */
  grepRatio?: number;
}

/** Text sets are replicated to at least this size so timings dwarf process start-up. */
export const REPLICATED_BYTES = 200 * 1024 * 1024;

export function listFiles(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => path.join(dir, f));
}

export function sizeOf(files: string[]): number {
  return files.reduce((sum, f) => sum + statSync(f).size, 0);
}

function countLines(files: string[]): number {
  let n = 0;
  for (const f of files) {
    const buf = readFileSync(f);
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) n++;
  }
  return n;
}

/** json-sysmon: the real 257 MB, each .gz decompressed to its own file. */
export async function jsonWorkload(dataDir: string, work: string): Promise<Workload | undefined> {
  const gz = listFiles(path.join(dataDir, 'json-sysmon'), '.gz');
  if (gz.length === 0) return undefined;
  const files: string[] = [];
  for (const f of gz) {
    const out = path.join(work, path.basename(f, '.gz'));
    await pipeline(createReadStream(f), createGunzip(), createWriteStream(out));
    files.push(out);
  }
  return { name: 'json-sysmon (JSON lines)', kind: 'text', files, bytes: sizeOf(files), events: countLines(files), grepRatio: 1.2 };
}

/** `lines` written over and over until the file holds at least `minBytes`. */
async function replicate(lines: string[], out: string, minBytes: number): Promise<{ bytes: number; events: number }> {
  const block = Buffer.from(lines.map((l) => `${l}\n`).join(''));
  const copies = Math.ceil(minBytes / block.length);
  const stream = createWriteStream(out);
  for (let i = 0; i < copies; i++) await write(stream, block);
  await new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return { bytes: block.length * copies, events: lines.length * copies };
}

function write(stream: Writable, block: Buffer): Promise<void> {
  return stream.write(block) ? Promise.resolve() : new Promise((resolve) => stream.once('drain', () => resolve()));
}

/** Linux syslog: every line of linux-sysmon/*.log, replicated to REPLICATED_BYTES. */
export async function syslogWorkload(dataDir: string, work: string): Promise<Workload | undefined> {
  const logs = listFiles(path.join(dataDir, 'linux-sysmon'), '.log');
  if (logs.length === 0) return undefined;
  const lines = logs.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== ''));
  const out = path.join(work, 'linux-sysmon-x.log');
  const { bytes, events } = await replicate(lines, out, REPLICATED_BYTES);
  return { name: 'linux-sysmon (syslog)', kind: 'text', files: [out], bytes, events, grepRatio: 1.5 };
}

/**
 * Windows XML, one <Event> per line as Splunk's XmlWinEventLog stores it: the EVTX samples rendered
 * by `tunnelwatch dump --format xml` when that command exists, else the events of examples/*.xml.
 */
export async function windowsXmlWorkload(cli: string, dataDir: string, repo: string, work: string): Promise<Workload | undefined> {
  const evtx = [...listFiles(path.join(dataDir, 'evtx-sysmon'), '.evtx'), ...listFiles(path.join(dataDir, 'evtx-security'), '.evtx')];
  let xml = evtx.length > 0 ? dumpXml(cli, evtx) : '';
  let origin = 'EVTX samples via dump --format xml';
  if (eventsOf(xml).length === 0) {
    xml = listFiles(path.join(repo, 'examples'), '.xml')
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    origin = 'examples/*.xml';
  }
  const lines = eventsOf(xml);
  if (lines.length === 0) return undefined;
  const out = path.join(work, 'windows-xml-x.xml');
  const { bytes, events } = await replicate(lines, out, REPLICATED_BYTES);
  return { name: `windows-xml (${origin})`, kind: 'text', files: [out], bytes, events, grepRatio: 1.5 };
}

export function dumpXml(cli: string, files: string[]): string {
  const run = spawnSync(process.execPath, [cli, 'dump', '--format', 'xml', ...files], { maxBuffer: 1 << 30, encoding: 'utf8' });
  return run.status === 0 ? run.stdout : '';
}

/** each `<Event ...>...</Event>` on one line */
export function eventsOf(xml: string): string[] {
  const events: string[] = [];
  for (let start = xml.indexOf('<Event'); start >= 0; start = xml.indexOf('<Event', start + 1)) {
    const next = xml[start + 6];
    if (next !== ' ' && next !== '>') continue;
    const end = xml.indexOf('</Event>', start);
    if (end < 0) break;
    events.push(xml.slice(start, end + 8).replace(/\r?\n\s*/g, ''));
    start = end;
  }
  return events;
}

/** The real EVTX files of evtx-sysmon and evtx-security, with record counts from the data manifest. */
export function evtxWorkload(dataDir: string): Workload | undefined {
  const files = [...listFiles(path.join(dataDir, 'evtx-sysmon'), '.evtx'), ...listFiles(path.join(dataDir, 'evtx-security'), '.evtx')];
  if (files.length === 0) return undefined;
  const manifest = readManifest(dataDir);
  const events = files.reduce((sum, f) => sum + (manifest.get(path.relative(dataDir, f)) ?? 0), 0);
  return { name: 'evtx-sysmon + evtx-security (EVTX)', kind: 'evtx', files, bytes: sizeOf(files), events };
}

function readManifest(dataDir: string): Map<string, number> {
  const file = path.join(dataDir, 'manifest.json');
  if (!existsSync(file)) return new Map();
  const entries = JSON.parse(readFileSync(file, 'utf8')) as Array<{ file: string; records?: number }>;
  return new Map(entries.map((e) => [e.file, e.records ?? 0]));
}

/** `files` as `copies` hard links each (no extra disk), for the many-files memory run. */
export function linkCopies(files: string[], work: string, copies: number): string[] {
  const out: string[] = [];
  for (let c = 0; c < copies; c++) {
    for (const f of files) {
      const link = path.join(work, `copy${c}-${path.basename(f)}`);
      if (!existsSync(link)) linkSync(f, link);
      out.push(link);
    }
  }
  return out;
}

/** `files` concatenated `copies` times into one file. */
export async function concatCopies(files: string[], out: string, copies: number): Promise<string> {
  const stream = createWriteStream(out);
  for (let c = 0; c < copies; c++) {
    for (const f of files) {
      for await (const chunk of createReadStream(f, { highWaterMark: 1 << 20 })) await write(stream, chunk as Buffer);
    }
  }
  await new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return out;
}
