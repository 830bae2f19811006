import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bundlePath, cliPath, examplesDir, repoRoot } from './run-cli.js';

import { sharedData as dataDir, sharedDataMissing as noData } from '../../helpers/paths.js';

function run(cli: string, args: string[]): { status: number | null; stdout: string; counts: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  // the summary without its timing, which differs from run to run
  return { status: r.status, stdout: r.stdout, counts: r.stderr.replace(/ in \d+(\.\d+)? ?m?s\b/g, '') };
}

test('the package bin is the bundle, and it runs as an executable script', () => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.equal(path.resolve(repoRoot, pkg.bin.tunnelwatch), bundlePath);
  assert.match(readFileSync(bundlePath, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  assert.equal(run(bundlePath, ['--version']).stdout.trim(), run(cliPath, ['--version']).stdout.trim());
});

test('the bundle and the modules give identical findings and summaries on the examples', () => {
  const args = ['scan', '--no-progress', '-f', 'jsonl', examplesDir];
  const modules = run(cliPath, args);
  const bundle = run(bundlePath, args);
  assert.equal(modules.status, 0, modules.counts);
  assert.ok(modules.stdout.split('\n').filter(Boolean).length > 0, 'the examples produce findings');
  assert.deepEqual([bundle.status, bundle.stdout, bundle.counts], [modules.status, modules.stdout, modules.counts]);
});

test('the bundle starts worker threads from the files its rebased URLs name (scan -t 2, EVTX dump)', { skip: noData }, () => {
  const scanArgs = ['scan', '--no-progress', '-f', 'jsonl', '-t', '2', path.join(dataDir, 'evtx-sysmon'), path.join(dataDir, 'evtx-security')];
  const modules = run(cliPath, scanArgs);
  const bundle = run(bundlePath, scanArgs);
  assert.equal(bundle.status, 0, bundle.counts);
  assert.deepEqual([bundle.stdout, bundle.counts], [modules.stdout, modules.counts]);
  // with a thread count and several files, dump decodes in a pool of its own (sources/evtx/worker.js)
  const files = [path.join(dataDir, 'evtx-security/omerbenamram-security.evtx'), path.join(dataDir, 'evtx-sysmon/omerbenamram-sysmon.evtx')];
  const dumped = run(bundlePath, ['dump', '--threads', '2', ...files]);
  assert.equal(dumped.status, 0, dumped.counts);
  assert.equal(dumped.stdout, run(cliPath, ['dump', '-t', '1', ...files]).stdout);
  assert.ok(dumped.stdout.split('\n').filter(Boolean).length > 2261);
});
