import type { FindingRecord } from '../engine/render.js';
import { cellText } from './csv.js';
import type { FindingSink, SinkContext } from './sink.js';

/** The columns an analyst reads first; the full row is in the jsonl/csv/json formats. */
const KEY_COLUMNS = ['dest', 'src', 'dvc', 'user', 'parent_process_name', 'process', 'query', 'answer', 'dest_ip', 'dest_port', 'src_port', 'ImageLoaded'];
const MAX_CELL = 60;

export const tableSink: FindingSink = {
  description: 'a readable table per detection (key columns only) with the risk message',
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

function renderGroup(rows: FindingRecord[], ctx: SinkContext): string {
  const first = rows[0];
  const bold = (s: string) => (ctx.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
  const title = `${first.search_name}  [${first.detection_type} · ${first.mitre_attack_id.join(', ')} · ${rows.length} finding${rows.length === 1 ? '' : 's'}]`;
  const columns = ['count', 'firstTime', 'lastTime', ...KEY_COLUMNS.filter((c) => rows.some((r) => r[c] !== undefined))];
  const header = columns.map((c) => (c === 'firstTime' || c === 'lastTime' ? `${c} (UTC)` : c));
  const cells = rows.map((r) => columns.map((c) => truncate(cellText(r[c]).replace(/\s+/g, ' '))));
  const widths = header.map((h, i) => cells.reduce((w, row) => Math.max(w, row[i].length), h.length));
  const line = (values: string[]) => `  ${values.map((v, i) => v.padEnd(widths[i])).join('  ')}`.trimEnd();
  const lines = [bold(title), line(header)];
  rows.forEach((r, i) => {
    lines.push(line(cells[i]));
    if (r.risk_message) lines.push(`    ↳ ${r.risk_message}${riskSuffix(r)}`);
    if (r.suppressed_by) lines.push(`    ⊘ suppressed by tuning: ${r.suppressed_by}`);
    for (const d of r.drilldowns ?? []) lines.push(`    ⇢ ${d.name}`, `        ${d.command}`);
  });
  return `${lines.join('\n')}\n\n`;
}

function riskSuffix(r: FindingRecord): string {
  if (r.risk_objects.length === 0) return '';
  return `  (risk: ${r.risk_objects.map((o) => `${o.risk_object_type} ${o.risk_object} +${o.risk_score}`).join(', ')})`;
}

function truncate(text: string): string {
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}
