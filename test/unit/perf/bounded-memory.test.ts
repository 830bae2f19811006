import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runMeasured } from '../../../bench/measure.js';
import { cliPath as cli } from '../../helpers/paths.js';

const PEAK_LIMIT_MB = 256;
const MB = 1024 * 1024;
const noProc = existsSync('/proc/self/status') ? undefined : 'peak RSS is read from /proc (Linux only)';

/** a Sysmon process-creation event as NXLog writes it; every 1000th one is an ngrok run */
function eventLine(i: number): string {
  const image = i % 1000 === 0 ? 'C:\\Users\\bob\\ngrok.exe' : `C:\\Windows\\System32\\svchost${i % 97}.exe`;
  return JSON.stringify({
    EventID: 1,
    SourceName: 'Microsoft-Windows-Sysmon',
    Channel: 'Microsoft-Windows-Sysmon/Operational',
    Hostname: `wks-${i % 50}.corp.example`,
    EventTime: '2024-01-02 03:04:05',
    Image: image,
    CommandLine: i % 1000 === 0 ? `"${image}" tcp 3389` : `"${image}" -k netsvcs -s Schedule ${'a'.repeat(i % 400)}`,
    ParentImage: 'C:\\Windows\\System32\\services.exe',
    User: 'NT AUTHORITY\\SYSTEM',
    ProcessId: String(1000 + (i % 60000)),
  });
}

async function writeLines(file: string, minBytes: number, middle?: () => string): Promise<number> {
  const out = createWriteStream(file);
  let bytes = 0;
  let i = 0;
  let written = false;
  while (bytes < minBytes) {
    const line = !written && middle && bytes >= minBytes / 2 ? ((written = true), middle()) : eventLine(i++);
    bytes += line.length + 1;
    if (!out.write(`${line}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
  return bytes;
}

test('scanning 64 MB of JSON lines keeps peak RSS under 256 MB', { skip: noProc }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-mem-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'events.jsonl');
  await writeLines(file, 64 * MB);
  const out = path.join(dir, 'findings.jsonl');
  const cost = await runMeasured(process.execPath, [cli, 'scan', '-q', '-f', 'jsonl', file], out);
  assert.equal(cost.code, 0, cost.stderr);
  assert.ok(cost.peakMb < PEAK_LIMIT_MB, `peak RSS ${cost.peakMb.toFixed(0)} MB`);
  assert.match(readFileSync(out, 'utf8'), /ngrok/i, 'the ngrok runs were found');
});

test('a single 20 MB line is skipped as line-too-long and peak RSS stays under 256 MB', { skip: noProc }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-mem-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'long-line.jsonl');
  await writeLines(file, 24 * MB, () => JSON.stringify({ EventID: 1, CommandLine: 'x'.repeat(20 * MB) }));
  const cost = await runMeasured(process.execPath, [cli, 'scan', '--no-progress', '-f', 'jsonl', file]);
  assert.equal(cost.code, 0, cost.stderr);
  assert.match(cost.stderr, /line-too-long: 1\b/);
  assert.ok(cost.peakMb < PEAK_LIMIT_MB, `peak RSS ${cost.peakMb.toFixed(0)} MB`);
});
