/**
 * Scan threads with SigmaHQ's rules: each thread is handed the content as entry bytes and parses
 * only the rules it uses (content-entry.ts). Handed the whole content as JSON, both worker threads
 * of a two-thread scan ran out of their capped heaps, and the main thread scanned everything again.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { repoRoot, sharedData, sharedDataMissing } from '../../helpers/paths.js';

const categories = ['windows/process_creation', 'windows/dns_query', 'windows/network_connection', 'windows/image_load', 'linux/process_creation'];
const cli = path.join(repoRoot, 'dist/src/cli/bin.js');

test('a two-thread scan with SigmaHQ\'s five categories keeps its worker threads alive and finds what one thread finds', { skip: sharedDataMissing }, (t) => {
  const work = mkdtempSync(path.join(tmpdir(), 'tw-sigma-threads-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const input = path.join(work, 'empire.jsonl');
  writeFileSync(input, gunzipSync(readFileSync(path.join(sharedData, 'json-sysmon', 'otrf-empire-dcom-shellwindows.jsonl.gz'))));
  const rules = categories.flatMap((c) => ['-r', path.join(sharedData, 'sigma-rules', 'rules', c)]);
  const env = { ...process.env, XDG_CACHE_HOME: path.join(work, 'cache') };
  const scan = (threads: string) => spawnSync(process.execPath, [cli, 'scan', '-f', 'jsonl', '--threads', threads, ...rules, input], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  const one = scan('1');
  const two = scan('2');
  assert.equal(one.status, 0, one.stderr);
  assert.equal(two.status, 0, two.stderr);
  assert.doesNotMatch(two.stderr, /scan thread \d+ stopped/, 'no worker thread stopped');
  const findings = (out: string) => out.split('\n').filter(Boolean).sort();
  assert.ok(findings(one.stdout).length > 0, 'the input raises findings');
  assert.deepEqual(findings(two.stdout), findings(one.stdout));
});
