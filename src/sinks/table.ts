import { evidencePlace } from '../engine/evidence.js';
import type { FindingRecord } from '../engine/render.js';
import { displayTime } from '../sources/time-zone.js';
import { cellText } from './csv.js';
import type { FindingSink, SinkContext } from './sink.js';

/** The columns an analyst reads first; the full row is in the jsonl/csv/json formats. */
const KEY_COLUMNS = ['dest', 'src', 'dvc', 'user', 'parent_process_name', 'process', 'query', 'answer', 'dest_ip', 'dest_port', 'src_port', 'ImageLoaded'];
/** a cell's width when the width of the terminal is unknown (output to a file or pipe) */
const MAX_CELL = 60;
/** no column is narrowed below this to fit a terminal */
const MIN_CELL = 8;
const INDENT = 2;
const GAP = 2;
/** evidence places shown under a row (the rest: `-f jsonl`, or `tunnelwatch dump --record/--line`) */
const EVIDENCE_SHOWN = 3;

/** ANSI colour of a detection type's title, where colour is allowed */
const TYPE_COLOURS: Record<string, string> = { TTP: '31', Anomaly: '33', Hunting: '36', Correlation: '35' };

export const tableSink: FindingSink = {
  description: 'a readable table per detection (key columns only, fitted to the terminal, rows in time order) with the risk message',
  write(records, out, ctx) {
    if (records.length === 0) {
      out.write('No findings.\n');
      return;
    }
    for (const group of groupByDetection(records)) out.write(renderGroup(group, ctx));
  },
};

function groupByDetection(records: FindingRecord[]): FindingRecord[][] {
  const groups = new Map<string, FindingRecord[]>();
  for (const r of records) {
    const group = groups.get(r.detection_id);
    if (group) group.push(r);
    else groups.set(r.detection_id, [r]);
  }
  return [...groups.values()];
}

/**
 * A value as it is, on one line: spaces kept, each control character shown as its Unicode
 * control picture (a line break as ␊, a tab as ␉), so log text can neither split a row nor send
 * escape sequences to the terminal.
 */
export function visibleText(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => String.fromCharCode(c === '\x7f' ? 0x2421 : 0x2400 + c.charCodeAt(0)));
}

/** rows by first time seen (rows without a time last), otherwise in the order given */
function byTime(rows: FindingRecord[]): FindingRecord[] {
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => compareTimes(a.r.firstTime, b.r.firstTime) || a.i - b.i)
    .map(({ r }) => r);
}

function compareTimes(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return a < b ? -1 : 1;
}

/**
 * Column widths: each column's widest cell, cut to MAX_CELL when the terminal width is unknown;
 * in a terminal, the widest columns give way first until the row fits (never below MIN_CELL).
 */
function columnWidths(header: string[], cells: string[][], terminalColumns: number | undefined): number[] {
  const natural = header.map((h, i) => cells.reduce((w, row) => Math.max(w, row[i].length), h.length));
  if (!terminalColumns) return natural.map((w) => Math.min(w, MAX_CELL));
  const available = terminalColumns - INDENT - GAP * (header.length - 1);
  const widths = [...natural];
  let total = widths.reduce((a, b) => a + b, 0);
  while (total > available) {
    let widest = 0;
    for (let i = 1; i < widths.length; i++) if (widths[i] > widths[widest]) widest = i;
    if (widths[widest] <= MIN_CELL) break;
    const target = Math.max(MIN_CELL, widths[widest] - (total - available), secondWidest(widths, widest));
    total -= widths[widest] - Math.min(target, widths[widest] - 1);
    widths[widest] = Math.min(target, widths[widest] - 1);
  }
  return widths;
}

function secondWidest(widths: number[], widest: number): number {
  let w = 0;
  for (let i = 0; i < widths.length; i++) if (i !== widest) w = Math.max(w, widths[i]);
  return w;
}

function renderGroup(group: FindingRecord[], ctx: SinkContext): string {
  const rows = byTime(group);
  const first = rows[0];
  const colour = ctx.color ?? false;
  const paint = (code: string, s: string) => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);
  const title = `${first.search_name}  [${first.detection_type} · ${first.mitre_attack_id.join(', ')} · ${rows.length} finding${rows.length === 1 ? '' : 's'}]`;
  const columns = ['count', 'firstTime', 'lastTime', ...KEY_COLUMNS.filter((c) => rows.some((r) => r[c] !== undefined))];
  const isTime = (c: string) => c === 'firstTime' || c === 'lastTime';
  const header = columns.map((c) => (isTime(c) ? `${c} (${ctx.timeZone ?? 'UTC'})` : c));
  const cells = rows.map((r) => columns.map((c) => visibleText(isTime(c) ? displayTime(cellText(r[c]), ctx.timeZone) : cellText(r[c]))));
  const widths = columnWidths(header, cells, ctx.isTTY ? ctx.columns : undefined);
  const line = (values: string[]) => `${' '.repeat(INDENT)}${values.map((v, i) => fit(v, widths[i]).padEnd(widths[i])).join(' '.repeat(GAP))}`.trimEnd();
  const lines = [paint(`1;${TYPE_COLOURS[first.detection_type] ?? '39'}`, title), line(header)];
  rows.forEach((r, i) => {
    lines.push(line(cells[i]));
    if (r.risk_message) lines.push(`    ↳ ${visibleText(r.risk_message)}${riskSuffix(r)}`);
    if (r.evidence?.length) lines.push(`    ⌂ ${visibleText(evidenceLine(r))}`);
    if (r.suppressed_by) lines.push(`    ⊘ suppressed by tuning: ${r.suppressed_by}`);
    for (const d of r.drilldowns ?? []) lines.push(`    ⇢ ${d.name}`, `        ${d.command}`);
  });
  return `${lines.join('\n')}\n\n`;
}

/** where the finding came from: its first events' places, then how many more there are */
function evidenceLine(r: FindingRecord): string {
  const shown = r.evidence.slice(0, EVIDENCE_SHOWN);
  const more = r.evidence_count - shown.length;
  return `from ${shown.map(evidencePlace).join(', ')}${more > 0 ? ` (+${more} more)` : ''}`;
}

function riskSuffix(r: FindingRecord): string {
  if (r.risk_objects.length === 0) return '';
  return `  (risk: ${r.risk_objects.map((o) => `${o.risk_object_type} ${o.risk_object} +${o.risk_score}`).join(', ')})`;
}

function fit(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}
