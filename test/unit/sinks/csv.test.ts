import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PassThrough } from 'node:stream';
import type { FindingRecord } from '../../../src/engine/render.js';
import { csvSink } from '../../../src/sinks/csv.js';
import { findingRecord } from '../../contracts/finding-output.js';
import { parseCsv } from '../../helpers/csv.js';

function csvOf(records: FindingRecord[]): string {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  csvSink.write(records, out, { isTTY: false });
  return text;
}

test('csv: a cell a spreadsheet would run as a formula (= + - @ tab CR first) is written as quoted text with a leading apostrophe', () => {
  for (const formula of ['=1+1', '+cmd|calc', '-2+3', '@SUM(A1)', '\tx', '\rx']) {
    const text = csvOf([findingRecord({ process: formula })]);
    assert.ok(text.includes(`"'${formula}"`), `${JSON.stringify(formula)} in ${JSON.stringify(text.slice(-120))}`);
  }
});

test('csv: a cell with = or @ later in the text, or a plain number, is left as it is', () => {
  const text = csvOf([findingRecord({ process: 'a=b@c', dest_port: 3389 })]);
  const [header, row] = parseCsv(text);
  assert.equal(row[header.indexOf('process')], 'a=b@c');
  assert.equal(row[header.indexOf('dest_port')], '3389');
  assert.ok(!text.includes('"a=b@c"'), 'not quoted either');
});

test('csv: cells with commas, quotes or line breaks are quoted, quotes doubled; every line ends CRLF', () => {
  const text = csvOf([findingRecord({ process: 'say "hi", then\nleave' })]);
  assert.ok(text.includes('"say ""hi"", then\nleave"'), text);
  const withoutQuotedBreaks = text.replace(/"(?:[^"]|"")*"/g, '""');
  assert.ok(withoutQuotedBreaks.split('\r\n').slice(0, -1).every((line) => !line.includes('\n')));
  assert.ok(text.endsWith('\r\n'));
});

test('csv: columns are the union over all findings in first-seen order; a finding lacking one has an empty cell', () => {
  const [header, first, second] = parseCsv(csvOf([findingRecord({ dest_port: 7000 }), findingRecord({ query: 'x.ngrok.io' })]));
  assert.ok(header.indexOf('dest_port') < header.indexOf('query'));
  assert.equal(first[header.indexOf('query')], '');
  assert.equal(second[header.indexOf('dest_port')], '');
  assert.equal(second[header.indexOf('query')], 'x.ngrok.io');
});

test('csv: multivalue cells join with newlines (as Splunk exports them); risk objects as value:type:score', () => {
  const [header, row] = parseCsv(csvOf([findingRecord({ process_name: ['ngrok.exe', 'frpc.exe'] })]));
  assert.equal(row[header.indexOf('process_name')], 'ngrok.exe\nfrpc.exe');
  assert.equal(row[header.indexOf('risk_objects')], 'WKS-01.corp.example:system:56');
});

test('csv: evidence is one line per event: place (file:line or file#record), event code, channel, time', () => {
  const [header, row] = parseCsv(csvOf([findingRecord({}, undefined, 'logs/a.jsonl')]));
  const lines = row[header.indexOf('evidence')].split('\n');
  assert.equal(lines[0], 'C:\\logs\\Sysmon "a,b".evtx#4242 event 1 Microsoft-Windows-Sysmon/Operational 2024-05-01T10:00:00.000Z');
  assert.match(lines[1], /^logs\/a\.jsonl:\d+ event 3 2024-05-01T10:05:00\.000Z$/);
  assert.ok(Number(row[header.indexOf('evidence_count')]) >= 2);
});
