import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { examplesDir, jsonLines, runCli } from './run-cli.js';

const sample = path.join(examplesDir, 'sysmon-nxlog.jsonl');

test('scan --timezone shows the table\'s finding times in that zone, with the zone in the header', () => {
  const utc = runCli(['scan', '-q', '-f', 'table', sample]);
  const berlin = runCli(['scan', '-q', '-f', 'table', '--timezone', 'Europe/Berlin', sample]);
  assert.equal(berlin.status, 0, berlin.stderr);
  assert.match(utc.stdout, /firstTime \(UTC\)/);
  assert.match(berlin.stdout, /firstTime \(Europe\/Berlin\)/);
  const utcTimes = utc.stdout.match(/2026-03-10T\d\d:\d\d:\d\d(?![+-])/g) ?? [];
  const berlinTimes = berlin.stdout.match(/2026-03-10T\d\d:\d\d:\d\d\+01:00/g) ?? [];
  assert.ok(utcTimes.length > 0 && berlinTimes.length === utcTimes.length, `${utcTimes.length} UTC, ${berlinTimes.length} Berlin`);
  const hour = (t: string) => Number(t.slice(11, 13));
  assert.equal(hour(berlinTimes[0] ?? ''), hour(utcTimes[0] ?? '') + 1);
});

test('scan --timezone leaves JSON output in UTC, and an unknown zone is a usage error', () => {
  const plain = runCli(['scan', '-q', '-f', 'jsonl', sample]);
  const zoned = runCli(['scan', '-q', '-f', 'jsonl', '--timezone', 'Asia/Tokyo', sample]);
  assert.deepEqual(jsonLines(zoned.stdout).map((f) => f.firstTime), jsonLines(plain.stdout).map((f) => f.firstTime));
  const bad = runCli(['scan', '--timezone', 'Mars/Olympus', sample]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /not a time zone/);
});
