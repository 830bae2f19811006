import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FindingRecord } from '../engine/render.js';
import type { RiskIncident } from '../engine/risk.js';
import { REPORT_DATA_ID, type ReportData } from './report-data.js';
import type { FindingSink, SinkContext } from './sink.js';

/** The report's script and style, built by Vite from `web/report/` (scripts/build-web.mjs). */
const reportScript = new URL('../../web/report/report.js', import.meta.url);
const reportStyle = new URL('../../web/report/report.css', import.meta.url);

/**
 * One self-contained HTML file: the built report script and style inlined, the findings embedded
 * as JSON that the script renders with text nodes. Log data is attacker-controlled, so it never
 * becomes HTML or script source: the JSON has every `<`, `>` and `&` escaped (it cannot end its
 * `<script>` element), and a Content-Security-Policy allows only the report's own script and
 * style by hash, so even markup that got through could run nothing and load nothing.
 */
export const htmlSink: FindingSink = {
  description: 'one self-contained HTML report (summary, timeline, findings with evidence, risk incidents); opens from disk',
  write(rows, out, ctx) {
    out.write(renderReport(reportData(rows, ctx), readAsset(reportScript), readAsset(reportStyle)));
  },
};

/** Rows arrive as the non-table formats get them: findings, then incidents, told apart by `kind`. */
function reportData(rows: FindingRecord[], ctx: SinkContext): ReportData {
  const findings: FindingRecord[] = [];
  const incidents: RiskIncident[] = [];
  const tactics: Record<string, string[]> = {};
  const matched: ReportData['matched'] = {};
  for (const row of rows) {
    if (row.kind === 'risk_incident') {
      incidents.push(row as unknown as RiskIncident);
      continue;
    }
    const { kind: _kind, ...finding } = row;
    findings.push(finding as FindingRecord);
    const spans = ctx.matchedOf?.(row);
    if (spans) matched[row.finding_id] = spans;
    if (ctx.tacticsOf && !(row.detection_id in tactics)) tactics[row.detection_id] = ctx.tacticsOf(row.mitre_attack_id);
  }
  return { generated: new Date().toISOString(), findings, incidents, tactics, matched, incidentRule: ctx.incidentRule };
}

export function renderReport(data: ReportData, script: string, style: string): string {
  const js = script.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
  const css = style.replace(/<\/(style)/gi, '<\\/$1');
  const csp = [
    "default-src 'none'",
    `script-src '${sha256(js)}'`,
    `style-src '${sha256(css)}'`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tunnelwatch report</title>
<style>${css}</style>
</head>
<body>
<noscript>This report renders with JavaScript; its findings are in the JSON block of this file.</noscript>
<div id="app"></div>
<script type="application/json" id="${REPORT_DATA_ID}">${jsonForHtml(data)}</script>
<script>${js}</script>
</body>
</html>
`;
}

/** JSON that is inert inside any HTML element: the characters HTML gives meaning to are \u-escaped. */
export function jsonForHtml(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

function readAsset(url: URL): string {
  try {
    return readFileSync(url, 'utf8');
  } catch (error) {
    throw new Error(`the HTML report's assets are missing (${url.pathname}): run \`npm run build\` (${(error as Error).message})`);
  }
}
