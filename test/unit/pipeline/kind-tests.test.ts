import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { KIND_TESTS_MIN_BYTES } from '../../../src/pipeline/scan.js';
import { cliPath } from '../../helpers/paths.js';

/** A 4648 logon holding 127.0.0.1: the RDP-through-a-loopback-tunnel rule's literal, but not its event code. */
const LOGON_4648 =
  '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Auditing"/><EventID>4648</EventID><Channel>Security</Channel><Computer>WKS-1</Computer></System>' +
  '<EventData><Data Name="TargetUserName">fsir</Data><Data Name="LogonType">10</Data><Data Name="ProcessName">C:\\Windows\\System32\\winlogon.exe</Data><Data Name="IpAddress">127.0.0.1</Data><Data Name="IpPort">0</Data></EventData></Event>';
/** an ordinary event no rule's literal is in */
const FILLER = LOGON_4648.replace('4648', '4672').replace('127.0.0.1', '-').replace('winlogon.exe', 'lsass.exe');

function parsedCount(file: string): number {
  const run = spawnSync(process.execPath, [cliPath, 'scan', file], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const m = /\((\d+) parsed, (\d+) ruled out by the prefilter unparsed\)/.exec(run.stderr);
  assert.ok(m, run.stderr);
  return Number(m[1]);
}

test('a scan of 512 KiB or more rules out the 4648 by its kind; a smaller scan does not build the tests by kind and parses it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-kind-tests-'));
  try {
    const small = path.join(dir, 'small.xml');
    writeFileSync(small, `${FILLER}\n${LOGON_4648}\n`);
    assert.equal(parsedCount(small), 1);
    const large = path.join(dir, 'large.xml');
    const fillers = Math.ceil(KIND_TESTS_MIN_BYTES / FILLER.length);
    writeFileSync(large, `${`${FILLER}\n`.repeat(fillers)}${LOGON_4648}\n`);
    assert.equal(parsedCount(large), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
