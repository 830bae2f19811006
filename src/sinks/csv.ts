import { evidenceText, type EvidenceRecord } from '../engine/evidence.js';
import type { FindingRecord } from '../engine/render.js';
import type { FindingSink } from './sink.js';

/** Columns are the union over all findings in first-seen order; multivalue cells join with newlines as Splunk exports them. */
export const csvSink: FindingSink = {
  description: 'RFC 4180 CSV, one row per finding, columns = union of all findings',
  write(records, out) {
    const columns = unionOfKeys(records);
    out.write(`${columns.map(csvCell).join(',')}\r\n`);
    for (const record of records) out.write(`${columns.map((c) => csvCell(cellText(record[c]))).join(',')}\r\n`);
  },
};

function unionOfKeys(records: FindingRecord[]): string[] {
  const keys = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) keys.add(k);
  return [...keys];
}

export function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' ? objectText(v) : String(v))).join('\n');
  return String(value);
}

function objectText(value: object): string {
  // evidence reads as `file#record event 1 channel time`, the place `dump` takes
  if ('source' in value) return evidenceText(value as EvidenceRecord);
  return Object.values(value).join(':');
}

function csvCell(text: string): string {
  // A leading =, +, - or @ would run as a formula in a spreadsheet: quote it as text.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) || safe !== text ? `"${safe.replace(/"/g, '""')}"` : safe;
}
