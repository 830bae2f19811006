/**
 * Every state the engine keeps has a cap, and what a cap refuses is counted and reported (issue 19,
 * item 7): many distinct finding groups neither end in a V8 out-of-memory abort under a small heap
 * nor vanish without a word.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { cliPath, jsonLines, runCli } from './run-cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tw-caps-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const NGROK_USAGE = 'Windows Ngrok Reverse Proxy Usage';

/** `n` ngrok runs, each by another user with another command line: one finding group each */
function distinctNgrokRuns(n: number): string {
  const start = Date.UTC(2026, 2, 10, 13);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(JSON.stringify({
      EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Hostname: `host-${i % 500}.acme.example`,
      UtcTime: new Date(start + i * 1000).toISOString().replace('T', ' ').replace('Z', ''),
      ProcessGuid: `{9E3A6B14-69AF-0000-${String(i).padStart(4, '0')}-0000000002F1}`, ProcessId: String(1000 + i),
      Image: `C:\\Users\\u${i}\\ngrok.exe`, CommandLine: `"C:\\Users\\u${i}\\ngrok.exe" tcp 3389 --authtoken tok${i}`,
      User: `ACME\\u${i}`, ParentImage: 'C:\\Windows\\System32\\cmd.exe',
    }));
  }
  return `${lines.join('\n')}\n`;
}

/** the count a summary warning gives for one detection's state not kept, and why */
function notKept(stderr: string, owner: string, state: string): { count: number; why: string } | undefined {
  const line = stderr.split('\n').find((l) => l.startsWith(`warning: ${owner}: `) && l.includes(` ${state} not kept: `));
  const m = line && /: (\d+) [a-z ]+ not kept: (.*)$/.exec(line);
  return m ? { count: Number(m[1]), why: m[2] } : undefined;
}

test('a scan with many distinct finding groups under a 64 MB heap completes and reports every group it could not keep', () => {
  const events = 20_000;
  const file = path.join(dir, 'many.jsonl');
  writeFileSync(file, distinctNgrokRuns(events));
  const r = spawnSync(process.execPath, ['--max-old-space-size=64', cliPath, 'scan', '-f', 'jsonl', '--no-progress', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.doesNotMatch(r.stderr, /heap out of memory|FATAL/);
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  const kept = jsonLines(r.stdout).filter((f) => f.search_name === NGROK_USAGE).length;
  const refused = notKept(r.stderr, NGROK_USAGE, 'finding groups');
  assert.ok(refused, r.stderr);
  assert.match(refused.why, /heap was nearly full/);
  // nothing silent: every event's group is either a finding or counted as not kept
  assert.equal(kept + refused.count, events);
  assert.ok(kept > 0, 'the groups opened before the heap filled are reported as findings');
});

test('--max-groups caps finding groups and correlation keys alike, and the summary counts what each cap refused', () => {
  const file = path.join(dir, 'some.jsonl');
  writeFileSync(file, distinctNgrokRuns(300));
  const r = runCli(['scan', '-f', 'jsonl', '--no-progress', '--max-groups', '100', file]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(jsonLines(r.stdout).filter((f) => f.search_name === NGROK_USAGE).length, 100);
  assert.deepEqual(notKept(r.stderr, NGROK_USAGE, 'finding groups'), { count: 200, why: 'over the cap (raise --max-groups)' });
  // each run is its own process: the correlation keeps at most 100 of them open, and says so
  assert.ok((notKept(r.stderr, 'Confirmed Tunnel - Tunnel Process Reaches Tunnel Service', 'correlation keys')?.count ?? 0) >= 200, r.stderr);
});
