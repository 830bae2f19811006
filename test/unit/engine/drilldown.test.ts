import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Detector } from '../../../src/engine/detector.js';
import { drilldownCommands, shellQuote, splString } from '../../../src/engine/drilldown.js';
import { by, cimEvent, detectionWith } from '../../helpers/detections.js';

const drilldowns = [
  { name: 'View the detection results for - "$user$" and "$dest$"', search: '' },
  { name: 'View risk events for the last 7 days for - "$user$" and "$dest$"', search: '' },
];

test("a finding's drilldowns are runnable scan and risk commands narrowed to its objects and time range", () => {
  const d = detectionWith({ by: by('user', 'dest') }, { drilldowns, id: 'e2549f2c-0aef-408a-b0c1-e0f270623436' });
  const detector = new Detector([d]);
  detector.observe(cimEvent({ user: "ACME\\o'brien", dest: 'WKS-1' }, 1_773_053_230.5));
  const [scan, risk] = drilldownCommands(detector.findings()[0], { inputs: ['logs dir'], riskFile: 'r.jsonl' });
  assert.equal(scan.name, 'View the detection results for - "ACME\\o\'brien" and "WKS-1"');
  assert.equal(
    scan.command,
    `tunnelwatch scan --detection e2549f2c-0aef-408a-b0c1-e0f270623436 --from 2026-03-09T10:47:10Z --to 2026-03-09T10:47:11Z --where 'user="ACME\\\\o'\\''brien" dest="WKS-1"' 'logs dir'`,
  );
  assert.equal(risk.command, `tunnelwatch risk --object 'ACME\\o'\\''brien' --object WKS-1 --since 7d --until 2026-03-09T10:47:11Z r.jsonl`);
});

test('null-filled objects are left out of the narrowing', () => {
  const d = detectionWith({ by: by('user', 'dest') }, { drilldowns });
  const detector = new Detector([d]);
  detector.observe(cimEvent({ dest: 'WKS-1' }, 0));
  const [scan] = drilldownCommands(detector.findings()[0], { inputs: ['x.log'] });
  assert.match(scan.command, /--where 'dest="WKS-1"' x\.log$/);
});

test('SPL and shell quoting', () => {
  assert.equal(splString('a\\b"c'), '"a\\\\b\\"c"');
  assert.equal(shellQuote('plain-name.log'), 'plain-name.log');
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
});
