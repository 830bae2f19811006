import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { loadDetectionFile } from '../../../src/rules/escu.js';

/**
 * How much of a real ESCU tree loads unchanged. Point TUNNELWATCH_ESCU_DIR at a checkout of
 * splunk/security_content (the folder holding detections/ and macros/); the scope is the one
 * docs/escu-compatibility.md measures: every non-deprecated tstats detection in
 * detections/endpoint and detections/network over the data models tunnelwatch maps.
 */
const escuDir = process.env.TUNNELWATCH_ESCU_DIR;
const skip = !escuDir
  ? 'TUNNELWATCH_ESCU_DIR is not set (a splunk/security_content checkout; CI runs the fixtures in test/fixtures/escu instead)'
  : !existsSync(path.join(escuDir, 'detections'))
    ? `TUNNELWATCH_ESCU_DIR=${escuDir} has no detections/ folder`
    : false;

const models = new Set([
  'Endpoint', 'Endpoint.Processes', 'Endpoint.Registry', 'Endpoint.Filesystem',
  'Network_Resolution', 'Network_Resolution.DNS', 'Network_Traffic', 'Network_Traffic.All_Traffic',
]);

/** the data model of a `| tstats ... from datamodel=X` search, or undefined for any other search */
function tstatsModel(search: unknown): string | undefined {
  if (typeof search !== 'string' || !/^\s*\|\s*tstats\b/.test(search)) return undefined;
  return /datamodel\s*=\s*"?([A-Za-z_.]+)/.exec(search)?.[1];
}

/** a load error's message without its specifics, so errors group by kind */
function reasonOf(message: string): string {
  return message
    .replace(/^search: /, '')
    .replace(/ \(in the expansion of macro `[^`]+`\)$/, '')
    // command and function names stay (what to implement next); field names and values go
    .replace(/`([^`]*)`/g, (whole, inner: string) => (/^[a-z]+\d*$/.test(inner) ? whole : '`…`'))
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\(columns: [^)]*\)/, '')
    .replace(/ \(did you mean: [^)]*\)/, '')
    // what is supported instead, and where this tree's lookups are, belong to the message, not the reason
    .replace(/ \((supported: |count, )[^)]*\)$/, '')
    .replace(/ is not defined in \S+$/, ' is not defined in lookups/')
    .replace(/field \S+ is not produced/, 'field … is not produced')
    .replace(/no output column \S+/, 'no output column …')
    .replace(/macro `…` cannot be loaded: .*/, 'macro `…` cannot be loaded')
    .trim();
}

test('ESCU coverage: every in-scope detection of a security_content tree loads or says why, at a line:col', { skip }, async (t) => {
  const files = ['endpoint', 'network'].flatMap((kind) => {
    const dir = path.join(escuDir!, 'detections', kind);
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yml')).map((f) => path.join(dir, f)) : [];
  });
  const byReason = new Map<string, string[]>();
  const byFile = new Map<string, string[]>();
  let inScope = 0;
  let loaded = 0;
  for (const file of files) {
    const yaml = parse(readFileSync(file, 'utf8')) as { status?: string; search?: unknown };
    const model = tstatsModel(yaml.search);
    if (yaml.status === 'deprecated' || model === undefined || !models.has(model)) continue;
    inScope++;
    const result = await loadDetectionFile(file);
    if (result.detections.length === 1) {
      assert.deepEqual(result.errors, []);
      loaded++;
      continue;
    }
    assert.ok(result.errors.length > 0, `${file}: neither loaded nor an error`);
    for (const e of result.errors) assert.ok(e.line >= 1 && e.col >= 1, `${file}: unlocated error ${e.message}`);
    const reasons = [...new Set(result.errors.map((e) => reasonOf(e.message)))];
    byFile.set(path.basename(file), reasons);
    for (const reason of reasons) byReason.set(reason, [...(byReason.get(reason) ?? []), path.basename(file)]);
  }
  assert.ok(inScope > 0, 'no in-scope detection found');
  const lines = [`loaded ${loaded} of ${inScope} (${((100 * loaded) / inScope).toFixed(1)}%); not loaded, by reason (a detection may have several):`];
  for (const [reason, names] of [...byReason].sort((a, b) => b[1].length - a[1].length)) lines.push(`${String(names.length).padStart(5)}  ${reason}`);
  t.diagnostic(lines.join('\n'));
  process.stdout.write(`${lines.join('\n')}\n`);
  const report = process.env.TUNNELWATCH_ESCU_REPORT;
  if (report) writeReport(report, { loaded, inScope, byReason, byFile });
});

const BEGIN = '<!-- escu-coverage:begin (written by test/unit/rules/escu-coverage.test.ts) -->';
const END = '<!-- escu-coverage:end -->';

/**
 * TUNNELWATCH_ESCU_REPORT=docs/escu-compatibility.md: rewrites the part of that page between the
 * markers (the figure and the not-loaded tables) from this run, so the page is regenerated, not edited.
 */
function writeReport(file: string, r: { loaded: number; inScope: number; byReason: Map<string, string[]>; byFile: Map<string, string[]> }): void {
  const text = readFileSync(file, 'utf8');
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  assert.ok(begin >= 0 && end > begin, `${file} has no ${BEGIN} ... ${END} section`);
  const cell = (reason: string): string => reason.replace(/\|/g, '\\|');
  const reasons = [...r.byReason].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
  const single = reasons.filter(([, names]) => names.length === 1).length;
  const out = [
    BEGIN,
    '',
    `**${r.loaded} of ${r.inScope} load unchanged (${((100 * r.loaded) / r.inScope).toFixed(1)}%)**; ${r.inScope - r.loaded} do not.`,
    '',
    '| reason | detections |',
    '|---|---|',
    ...reasons.filter(([, names]) => names.length > 1).map(([reason, names]) => `| ${cell(reason)} | ${names.length} |`),
    `| other (one detection each) | ${single} |`,
    '',
    '| detection file | why it does not load (every reason reported) |',
    '|---|---|',
    ...[...r.byFile].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, why]) => `| \`${name}\` | ${why.slice(0, 4).map(cell).join('; ')}${why.length > 4 ? ' …' : ''} |`),
    '',
    END,
  ];
  writeFileSync(file, text.slice(0, begin) + out.join('\n') + text.slice(end + END.length));
}
