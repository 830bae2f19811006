import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FindingRecord } from '../../src/engine/render.js';

/**
 * A place findings go: a sink (text written to a stream) or a store (rows written, then read back).
 * The shared suite below writes findings through it and checks what a reader gets back. A store
 * plugs in with an adapter whose `roundTrip` writes to it and queries it.
 */
export interface FindingOutputUnderTest {
  readonly name: string;
  /**
   * Write `records` and return what a reader recovers: per finding in output order, each column as
   * text. `lossless` outputs recover every column; the others (a terminal table) only the columns
   * they show.
   */
  roundTrip(records: FindingRecord[]): Promise<Array<Record<string, string>>> | Array<Record<string, string>>;
  /** every column of every finding comes back (machine formats, stores); false: a human view */
  readonly lossless: boolean;
  /** the text a reader gets for a column value (JSON text for JSON, the CSV cell for CSV, ...) */
  textOf(value: unknown): string;
  /** does the output keep the order it was given? (a store queried by time may not) */
  readonly keepsOrder: boolean;
}

/** Text a log can carry in any field: quotes, separators, line breaks, formula starts, markup. */
export const hostileValues = [
  'C:\\Windows\\System32\\cmd.exe /c "echo a,b;c"',
  'line one\nline two\r\nline three',
  '=HYPERLINK("http://evil.example","click")',
  '+cmd|\' /C calc\'!A0',
  '-2+3',
  '@SUM(A1)',
  '\tleading tab',
  '<script>alert(1)</script> & "quotes" \'single\'',
  'unicode: ngrök トンネル 🚇',
  'a'.repeat(10_000),
  '',
];

let serial = 0;
/** A realistic finding; `extra` columns are added after the standard ones, as BY columns are. */
export function findingRecord(extra: Record<string, string | number | string[] | null> = {}, name = 'Windows Ngrok Reverse Proxy Usage', evidenceSource = 'sysmon.jsonl'): FindingRecord {
  serial++;
  return {
    finding_id: `f${serial.toString(16).padStart(15, '0')}`,
    search_name: name,
    detection_id: `00000000-0000-4000-8000-${serial.toString(16).padStart(12, '0')}`,
    detection_version: 3,
    detection_type: 'TTP',
    analytic_story: ['Reverse Network Proxy'],
    mitre_attack_id: ['T1572', 'T1090'],
    count: serial,
    firstTime: '2024-05-01 10:00:00',
    lastTime: '2024-05-01 10:05:00',
    dest: 'WKS-01.corp.example',
    user: 'CORP\\alice',
    process: 'ngrok.exe tcp 3389',
    ...extra,
    risk_message: 'An instance of ngrok.exe was identified on endpoint WKS-01.corp.example',
    risk_objects: [{ risk_object: 'WKS-01.corp.example', risk_object_type: 'system', risk_score: 56 }],
    threat_objects: [{ threat_object: 'ngrok.exe', threat_object_type: 'process_name' }],
    evidence_count: serial + 1,
    evidence: [
      { source: 'C:\\logs\\Sysmon "a,b".evtx', record: 4242, offset: 8192, time: '2024-05-01T10:00:00.000Z', event_code: '1', channel: 'Microsoft-Windows-Sysmon/Operational' },
      { source: evidenceSource, line: serial, offset: 100 * serial, time: '2024-05-01T10:05:00.000Z', event_code: '3' },
    ],
  };
}

/** Runs the conformance suite against one output. */
export function findingOutputSuite(output: FindingOutputUnderTest): void {
  const recovered = async (records: FindingRecord[]) => {
    const rows = await output.roundTrip(records);
    assert.equal(rows.length, records.length, `${output.name}: every finding written comes back, no more`);
    if (output.keepsOrder) return rows;
    const byId = new Map(rows.map((r) => [r.finding_id, r]));
    return records.map((r) => byId.get(r.finding_id) ?? assert.fail(`${output.name}: finding ${r.finding_id} not recovered`));
  };

  /** the columns an output must give back for a record, as text */
  const expectedColumns = (record: FindingRecord, row: Record<string, string>) =>
    Object.entries(record).filter(([column]) => output.lossless || column in row);

  test(`${output.name}: no findings is a valid, empty output`, async () => {
    assert.deepEqual(await output.roundTrip([]), []);
  });

  test(`${output.name}: every finding comes back with its columns unchanged`, async () => {
    const records = [findingRecord(), findingRecord({ dest_port: 3389, src_ip: null }), findingRecord({}, 'Windows Devtunnels Execution')];
    const rows = await recovered(records);
    records.forEach((record, i) => {
      assert.equal(rows[i].search_name, output.textOf(record.search_name));
      assert.equal(rows[i].count, output.textOf(record.count));
      for (const [column, value] of expectedColumns(record, rows[i])) assert.equal(rows[i][column], output.textOf(value), `${column} of finding ${i}`);
    });
  });

  test(`${output.name}: text from a log (quotes, separators, line breaks, formulas, markup, 10 kB) cannot split, merge or alter findings`, async () => {
    // the evidence names a file as hostile as the values: file names come from outside too
    const records = hostileValues.map((value) => findingRecord({ process: value, parent_process: `${value} (parent)`, user: value }, undefined, value));
    const rows = await recovered(records);
    records.forEach((record, i) => {
      for (const [column, value] of expectedColumns(record, rows[i])) assert.equal(rows[i][column], output.textOf(value), `${column} of finding ${i} (${JSON.stringify(hostileValues[i]).slice(0, 40)})`);
    });
  });

  test(`${output.name}: multivalue columns keep every value in order`, async () => {
    const values = ['ngrok.exe', 'cloudflared.exe', 'devtunnel.exe'];
    const [row] = await recovered([findingRecord({ process_name: values })]);
    if (output.lossless || 'process_name' in row) assert.equal(row.process_name, output.textOf(values));
    else assert.ok(!output.lossless);
  });

  test(`${output.name}: the same findings give the same output`, async () => {
    const records = [findingRecord({ process_name: ['b', 'a'] }), findingRecord()];
    assert.deepEqual(await output.roundTrip(records), await output.roundTrip(records));
  });
}
