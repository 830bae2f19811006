/** `-t/--threads` means the same in every command (issue 19, item 8): the threads doing the work, this one included. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { examplesDir, repoRoot, runCli } from './run-cli.js';

const evtx = path.join(repoRoot, 'test', 'fixtures', 'contract', 'evtx.evtx');

test('scan and dump both take -t/--threads, describe 1 as no worker threads, and refuse 0', () => {
  for (const command of ['scan', 'dump']) {
    const help = runCli([command, '--help']).stdout;
    assert.match(help, /-t, --threads <n>/, command);
    assert.match(help, /1 = no worker threads/, command);
    const zero = runCli([command, '-t', '0', examplesDir]);
    assert.equal(zero.status, 2, `${command}: ${zero.stderr}`);
    assert.match(zero.stderr, /not a thread count/);
  }
});

test('dump -t 2 (one decoding worker) prints what dump -t 1 (this thread alone) prints', () => {
  const alone = runCli(['dump', '-t', '1', evtx]);
  const shared = runCli(['dump', '-t', '2', evtx]);
  assert.equal(alone.status, 0, alone.stderr);
  assert.ok(alone.stdout.length > 0);
  assert.equal(shared.stdout, alone.stdout);
});
