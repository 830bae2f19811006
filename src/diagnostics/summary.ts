import { formatOverflow, type CapOverflow } from './cap-tally.js';
import { informationalCodes } from './codes.js';
import type { RunReport, SkipTally } from './run-report.js';

export interface SummaryInput {
  report: RunReport;
  /** the findings, of which the summary counts those per detection (any record with a search_name) */
  records: ReadonlyArray<{ readonly search_name: string }>;
  elapsedMs: number;
  /** detections that ran, so ones with zero findings are listed too */
  detectionNames: string[];
  /** what the engine's state caps refused (bounded memory): each is a warning */
  capsReached: CapOverflow[];
  /** per-file and per-data-source detail in full (default: what fits a screen) */
  verbose?: boolean;
  /** files named on the command line (not found in a directory): one that held no events is a warning */
  namedFiles?: string[];
}

/** Without -v, lists longer than this are cut, with a line saying how many more -v shows. */
const BRIEF_ROWS = 8;

function brief(lines: string[], verbose: boolean | undefined, what: string): string[] {
  if (verbose || lines.length <= BRIEF_ROWS) return lines;
  return [...lines.slice(0, BRIEF_ROWS - 1), `  ... ${lines.length - BRIEF_ROWS + 1} more ${what} (-v lists them all)`];
}

function recordsText(events: number, prefiltered: number): string {
  const read = events + prefiltered;
  return prefiltered > 0 ? `${read} event(s) (${events} parsed, ${prefiltered} ruled out by the prefilter unparsed)` : `${read} event(s)`;
}

/** The end-of-run account on stderr: what was read, what was skipped and where, what was found. */
export function formatSummary({ report, records, elapsedMs, detectionNames, capsReached, verbose, namedFiles = [] }: SummaryInput): string {
  const lines: string[] = [];
  const mb = (report.bytesRead / 1e6).toFixed(1);
  // every record read counts, parsed or ruled out by the prefilter (which only parses what may match)
  lines.push(`tunnelwatch: ${report.files.length} file(s), ${recordsText(report.events, report.prefiltered)}${report.bytesRead ? `, ${mb} MB` : ''} in ${(elapsedMs / 1000).toFixed(2)} s`);
  const files = report.files.map((f) => `  ${f.name} [${f.format}]: ${f.events + f.prefiltered} event(s)${f.skipped ? `, ${f.skipped} skipped` : ''}`);
  lines.push(...brief(files, verbose, 'file(s)'));
  if (report.eventsByDataSource.size > 0) {
    lines.push(report.prefiltered > 0 ? 'events parsed, by data source:' : 'events by data source:');
    const sources = [...report.eventsByDataSource].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([name, n]) => `  ${name}: ${n}`);
    lines.push(...brief(sources, verbose, 'data source(s)'));
  }
  const skips = [...report.skips].sort(([a], [b]) => (a < b ? -1 : 1));
  const damaged = skips.filter(([code]) => !informationalCodes.has(code));
  const ignored = skips.filter(([code]) => informationalCodes.has(code));
  if (damaged.length > 0) {
    lines.push(`skipped (damaged or unreadable): ${damaged.reduce((n, [, t]) => n + t.count, 0)}`);
    lines.push(...skipLines(damaged));
  }
  if (ignored.length > 0) {
    lines.push(`ignored (not events): ${ignored.reduce((n, [, t]) => n + t.count, 0)}`);
    lines.push(...skipLines(ignored));
  }
  for (const e of report.inputErrors) lines.push(`error: ${e.path}: ${e.message}`);
  for (const failure of report.threadFailures) lines.push(`warning: ${failure}; the pieces it had taken were scanned again in the main thread (same findings, more time)`);
  const read = new Map(report.files.map((f) => [f.name, f.events + f.prefiltered]));
  for (const name of namedFiles) if (!read.get(name)) lines.push(`warning: ${name}: named on the command line but no event was read from it`);
  lines.push('findings by detection:');
  const counts = new Map(detectionNames.map((n) => [n, 0]));
  for (const r of records) counts.set(r.search_name, (counts.get(r.search_name) ?? 0) + 1);
  const quiet = [...counts].filter(([, n]) => n === 0).length;
  for (const [name, n] of counts) if (n > 0) lines.push(`  ${name}: ${n}`);
  if (quiet > 0) lines.push(`  (${quiet} other detection(s): no findings)`);
  lines.push(...capsReached.map(formatOverflow));
  return `${lines.join('\n')}\n`;
}

function skipLines(tallies: Array<[string, SkipTally]>): string[] {
  return tallies.flatMap(([code, tally]) => [
    `  ${code}: ${tally.count}${tally.bytes ? ` (${tally.bytes} bytes)` : ''}`,
    ...tally.first.map((s) => `    at ${locationText(s.location)}: ${s.reason}`),
  ]);
}

export function locationText(location: { file: string; line?: number; offset?: number }): string {
  if (location.line !== undefined) return `${location.file}:${location.line}`;
  if (location.offset !== undefined) return `${location.file}@${location.offset}`;
  return location.file;
}

export interface RuleLoadCounts {
  /** rules of languages that may skip rules (Sigma) that loaded */
  loaded: number;
  /** rules that did not load, and the first few reasons */
  notLoaded: number;
  reasons: string[];
  /** rule/log source pairs not run because the source cannot provide a field */
  notRun: number;
}

/** One line (plus the first reasons) saying how many third-party rules loaded and how many did not. */
export function formatRuleLoad({ loaded, notLoaded, reasons, notRun }: RuleLoadCounts): string {
  const lines = [`rules: ${loaded} loaded, ${notLoaded} not loaded${notRun > 0 ? `; ${notRun} rule/log source pair(s) not run (a field the source cannot provide)` : ''}`];
  for (const reason of reasons) lines.push(`  not loaded: ${reason}`);
  if (notLoaded > reasons.length || notRun > 0) lines.push('  (every reason: tunnelwatch validate <rules>)');
  return `${lines.join('\n')}\n`;
}
