import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { cliPath as cli, examplesDir, sharedData as dataDir, sharedDataMissing as noData } from '../../helpers/paths.js';

function scan(threads: number, inputs: string[]): { findings: string[]; summary: string } {
  const run = spawnSync(process.execPath, [cli, 'scan', '--no-progress', '-f', 'jsonl', '-t', String(threads), ...inputs], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  assert.equal(run.status, 0, run.stderr);
  return { findings: run.stdout.split('\n').filter(Boolean).sort(), summary: countsOf(run.stderr) };
}

/** the summary without its timing, which differs from run to run */
function countsOf(stderr: string): string {
  return stderr.replace(/ in \d+(\.\d+)? ?m?s\b/g, '');
}

test('scan -t 1 and -t 2 give identical findings and summary counts over several files', { skip: noData }, () => {
  const inputs = [path.join(dataDir, 'json-sysmon'), path.join(dataDir, 'tunnel'), examplesDir, path.join(dataDir, 'examples')];
  const one = scan(1, inputs);
  const two = scan(2, inputs);
  assert.ok(one.findings.length > 0, 'no findings: the comparison would prove nothing');
  assert.deepEqual(two.findings, one.findings);
  assert.equal(two.summary, one.summary);
});
