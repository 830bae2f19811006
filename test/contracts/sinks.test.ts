import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PassThrough } from 'node:stream';
import type { FindingRecord } from '../../src/engine/render.js';
import { cellText } from '../../src/sinks/csv.js';
import { sinkNames, sinks, type SinkName } from '../../src/sinks/registry.js';
import { REPORT_DATA_ID, type ReportData } from '../../src/sinks/report-data.js';
import type { SinkContext } from '../../src/sinks/sink.js';
import { findingOutputSuite, type FindingOutputUnderTest } from './finding-output.js';
import { parseCsv } from '../helpers/csv.js';

/** What one sink writes for `records`, as text. */
function written(name: SinkName, records: FindingRecord[], ctx: SinkContext = { isTTY: false }): string {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  sinks[name].write(records, out, ctx);
  return Buffer.concat(chunks).toString('utf8');
}

const asJsonTexts = (object: Record<string, unknown>) => Object.fromEntries(Object.entries(object).map(([k, v]) => [k, JSON.stringify(v)]));

/** A spreadsheet runs a cell starting with = + - @ (or a tab or CR) as a formula: the sink writes it as text. */
const spreadsheetText = (text: string) => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);

/** The table's columns start where their header names do; cells show control characters as control pictures (␊) and are cut to 60 characters off a terminal. */
function tableRows(text: string): Array<Record<string, string>> {
  const rows: Array<Record<string, string>> = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const title = /^(.*)  \[.* finding/.exec(lines[i]);
    if (!title) continue;
    const header = lines[++i];
    const names = header.trim().split(/ {2,}/);
    let cursor = 0;
    const starts = names.map((name) => (cursor = header.indexOf(name, cursor)));
    for (i++; i < lines.length && lines[i].startsWith('  ') && !/^ {4}\S/.test(lines[i]); i++) {
      const line = lines[i];
      const row: Record<string, string> = { search_name: title[1] };
      names.forEach((name, k) => (row[name.replace(' (UTC)', '')] = line.slice(starts[k], starts[k + 1]).trim()));
      rows.push(row);
      while (i + 1 < lines.length && /^ {4}\S/.test(lines[i + 1])) i++;
    }
  }
  return rows;
}

const adapters: Record<SinkName, FindingOutputUnderTest> = {
  jsonl: {
    name: 'jsonl sink',
    lossless: true,
    keepsOrder: true,
    textOf: (value) => JSON.stringify(value),
    roundTrip: (records) => written('jsonl', records).split('\n').filter(Boolean).map((line) => asJsonTexts(JSON.parse(line))),
  },
  json: {
    name: 'json sink',
    lossless: true,
    keepsOrder: true,
    textOf: (value) => JSON.stringify(value),
    roundTrip: (records) => (JSON.parse(written('json', records)) as Array<Record<string, unknown>>).map(asJsonTexts),
  },
  csv: {
    name: 'csv sink',
    lossless: true,
    keepsOrder: true,
    textOf: (value) => spreadsheetText(cellText(value)),
    roundTrip: (records) => {
      const [header, ...rows] = parseCsv(written('csv', records));
      return rows.map((cells) => Object.fromEntries(header.map((column, k) => [column, cells[k]])));
    },
  },
  html: {
    name: 'html sink',
    lossless: true,
    keepsOrder: true,
    textOf: (value) => JSON.stringify(value),
    roundTrip: (records) => {
      // read back as the report's script reads it: the one JSON element, parsed
      const html = written('html', records);
      const match = new RegExp(`<script type="application/json" id="${REPORT_DATA_ID}">([^<]*)</script>`).exec(html);
      assert.ok(match, 'the report embeds its data as one JSON script element');
      return (JSON.parse(match[1]) as ReportData).findings.map((f) => asJsonTexts(f));
    },
  },
  table: {
    name: 'table sink',
    lossless: false,
    keepsOrder: true,
    textOf: (value) => {
      const text = cellText(value).replace(/[\x00-\x1f\x7f]/g, (c) => String.fromCharCode(c === '\x7f' ? 0x2421 : 0x2400 + c.charCodeAt(0)));
      return (text.length > 60 ? `${text.slice(0, 59)}…` : text).trim();
    },
    roundTrip: (records) => (records.length === 0 ? (assert.equal(written('table', records), 'No findings.\n'), []) : tableRows(written('table', records))),
  },
};

test('every registered sink runs the finding-output conformance suite', () => {
  assert.deepEqual(Object.keys(adapters).sort(), [...sinkNames].sort());
});

for (const name of sinkNames) findingOutputSuite(adapters[name]);
