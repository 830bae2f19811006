import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { KIND_TESTS_MIN_BYTES } from '../../../src/pipeline/scan.js';
import { PREFILTER_MIN_BYTES } from '../../../src/pipeline/parallel.js';
import { cliPath } from '../../helpers/paths.js';

/** A 4648 logon holding 127.0.0.1: the RDP-through-a-loopback-tunnel rule's literal, but not its event code. */
const LOGON_4648 =
  '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Auditing"/><EventID>4648</EventID><Channel>Security</Channel><Computer>WKS-1</Computer></System>' +
  '<EventData><Data Name="TargetUserName">fsir</Data><Data Name="LogonType">10</Data><Data Name="ProcessName">C:\\Windows\\System32\\winlogon.exe</Data><Data Name="IpAddress">127.0.0.1</Data><Data Name="IpPort">0</Data></EventData></Event>';
/** an ordinary event no rule's literal is in */
const FILLER = LOGON_4648.replace('4648', '4672').replace('127.0.0.1', '-').replace('winlogon.exe', 'lsass.exe');

/** the records a scan of `file` (or of `stdin`, for `-`) parsed, and how many the prefilter ruled out (undefined when no prefilter ran) */
function parsedCounts(file: string, stdin?: string): { parsed: number; ruledOut?: number } {
  const run = spawnSync(process.execPath, [cliPath, 'scan', file], { encoding: 'utf8', input: stdin });
  assert.equal(run.status, 0, run.stderr);
  const m = /\((\d+) parsed, (\d+) ruled out by the prefilter unparsed\)/.exec(run.stderr);
  if (m) return { parsed: Number(m[1]), ruledOut: Number(m[2]) };
  const all = /^tunnelwatch: 1 file\(s\), (\d+) event\(s\),/m.exec(run.stderr);
  assert.ok(all, run.stderr);
  return { parsed: Number(all[1]) };
}

/** fillers, then the 4648: `bytes` or a little more */
function logWith4648(file: string, bytes: number): string {
  const fillers = Math.max(1, Math.ceil((bytes - LOGON_4648.length) / (FILLER.length + 1)));
  writeFileSync(file, `${`${FILLER}\n`.repeat(fillers)}${LOGON_4648}\n`);
  return file;
}

test('a scan of 512 KiB or more rules out the 4648 by its kind; a smaller one rules out only the fillers by their text; one under PREFILTER_MIN_BYTES runs no prefilter and parses all', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-kind-tests-'));
  try {
    assert.deepEqual(parsedCounts(logWith4648(path.join(dir, 'tiny.xml'), 0)), { parsed: 2 });
    const small = logWith4648(path.join(dir, 'small.xml'), PREFILTER_MIN_BYTES);
    const fillers = Math.ceil((PREFILTER_MIN_BYTES - LOGON_4648.length) / (FILLER.length + 1));
    assert.deepEqual(parsedCounts(small), { parsed: 1, ruledOut: fillers });
    const large = logWith4648(path.join(dir, 'large.xml'), KIND_TESTS_MIN_BYTES);
    assert.equal(parsedCounts(large).parsed, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a small scan of stdin or of a .gz file, of unknown size, gets the tests by kind as a large one does', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-kind-tests-'));
  try {
    const small = readFileSync(logWith4648(path.join(dir, 'small.xml'), PREFILTER_MIN_BYTES), 'utf8');
    assert.equal(parsedCounts(path.join(dir, 'small.xml')).parsed, 1, 'the file itself: too small for tests by kind');
    assert.equal(parsedCounts('-', small).parsed, 0, 'stdin');
    writeFileSync(path.join(dir, 'small.xml.gz'), gzipSync(small));
    assert.equal(parsedCounts(path.join(dir, 'small.xml.gz')).parsed, 0, '.gz');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
