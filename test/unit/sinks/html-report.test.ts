import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jsonForHtml } from '../../../src/sinks/html.js';
import { REPORT_DATA_ID, type ReportData } from '../../../src/sinks/report-data.js';
import { hostileCommandLine, hostileSysmonLine, hostileUser } from '../../helpers/hostile.js';
import { examplesDir, jsonLines, runCli } from '../cli/run-cli.js';

function scanToHtml(inputs: string[]): string {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'tw-html-')), 'report.html');
  const run = runCli(['scan', '-q', '-f', 'html', '-o', out, ...inputs]);
  assert.equal(run.status, 0, run.stderr);
  return readFileSync(out, 'utf8');
}

/** the embedded data, read back the way the report's script reads it */
function embeddedData(html: string): ReportData {
  const match = new RegExp(`<script type="application/json" id="${REPORT_DATA_ID}">([^<]*)</script>`).exec(html);
  assert.ok(match, 'the report embeds its data as one JSON script element');
  return JSON.parse(match[1]) as ReportData;
}

test('jsonForHtml escapes every character that could end or open an HTML element, and round-trips', () => {
  const value = { a: '</script><!-- <img onerror=x> & \u2028\u2029' };
  const text = jsonForHtml(value);
  assert.doesNotMatch(text, /[<>&\u2028\u2029]/);
  assert.deepEqual(JSON.parse(text), value);
});

test('scan -f html embeds exactly the findings and incidents that scan -f jsonl writes, with tactics per detection', () => {
  const html = scanToHtml([examplesDir]);
  const rows = jsonLines(runCli(['scan', '-q', '-f', 'jsonl', examplesDir]).stdout);
  const data = embeddedData(html);
  assert.deepEqual(data.findings, rows.filter((r) => r.kind === 'finding').map(({ kind: _kind, ...f }) => f));
  assert.deepEqual(data.incidents, rows.filter((r) => r.kind === 'risk_incident'));
  assert.ok(data.findings.length >= 7, `the examples raise the story: ${data.findings.length} findings`);
  for (const f of data.findings) assert.ok((data.tactics[f.detection_id] ?? []).length > 0, `${f.search_name} has ATT&CK tactics`);
  assert.match(data.incidentRule ?? '', /score > 100/);
});

test('the report is self-contained: two script elements (data and the inlined app), no external reference, and a CSP that allows only their hashes', () => {
  const html = scanToHtml([examplesDir]);
  assert.equal(html.match(/<script\b/g)?.length, 2);
  assert.doesNotMatch(html, /<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=/i, 'nothing is loaded from elsewhere');
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
  assert.match(csp, /default-src 'none'/);
  const script = /<script>([\s\S]*)<\/script>\s*<\/body>/.exec(html)?.[1] ?? '';
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
  const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
  assert.ok(script.length > 1000 && csp.includes(`script-src ${hash(script)}`), 'the inline script is allowed by its hash, and only it');
  assert.ok(style.length > 100 && csp.includes(`style-src ${hash(style)}`));
});

test('log values with <script> and attribute breakouts stay inside the JSON data: never in the HTML source', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-hostile-'));
  const input = path.join(dir, 'hostile.jsonl');
  writeFileSync(input, `${hostileSysmonLine()}\n`);
  const html = scanToHtml([input]);
  const data = embeddedData(html);
  assert.ok(data.findings.length > 0, 'the hostile event raises findings');
  assert.ok(data.findings.some((f) => f.process === hostileCommandLine), 'the command line arrives intact in the data');
  assert.ok(data.findings.some((f) => f.user === hostileUser), 'the user arrives intact in the data');
  for (const fragment of ['<script>window.__pwned', '<img src=x', 'onerror="window']) {
    assert.ok(!html.includes(fragment), `the raw fragment ${fragment} is not in the file`);
  }
});
