import { stat } from 'node:fs/promises';
import path from 'node:path';
import { RunReport } from '../diagnostics/run-report.js';
import { Analyzer } from '../engine/analyzer.js';
import { columnValues, type Finding } from '../engine/finding.js';
import type { BoundCorrelation } from '../rules/correlation.js';
import type { Detection, DetectionTest } from '../rules/detection.js';
import { scanInputs } from './scan.js';

export interface ContentTestResult {
  detection: string;
  detectionId: string;
  test: string;
  expected: string;
  actual: string;
  status: 'pass' | 'fail' | 'skip';
  reason: string;
  /**
   * On a failure, the rows the detection did produce (the columns the expected rows name, else
   * its BY columns), the first ACTUAL_ROWS_SHOWN of them: what to compare the expectation with
   */
  actualRows?: Array<Record<string, string>>;
}

/** rows of a failing test shown (the count says how many there are) */
export const ACTUAL_ROWS_SHOWN = 10;

/** ESCU's layout: attack data paths are relative to the parent of the `detections` directory. */
export function contentRootOf(detectionFile: string): string {
  const dir = path.dirname(path.resolve(detectionFile));
  for (let probe = dir; probe !== path.dirname(probe); probe = path.dirname(probe)) {
    if (path.basename(probe) === 'detections') return path.dirname(probe);
  }
  return path.dirname(dir);
}

/** Something with a tests: block, and how to build the analyzer that runs it alone. */
export interface Testable {
  detection: Detection;
  analyzer: () => Analyzer;
}

/**
 * Runs every test of every detection and correlation, each alone over its own attack data (a
 * correlation evaluates its steps' detections itself).
 */
export async function runContentTests(
  detections: Detection[],
  correlations: BoundCorrelation[] = [],
  maxRecordBytes = 1024 * 1024,
): Promise<ContentTestResult[]> {
  const results: ContentTestResult[] = [];
  for (const { detection: d, analyzer } of testables(detections, correlations)) {
    if (d.tests.length === 0) {
      results.push({ detection: d.name, detectionId: d.id, test: '-', expected: '-', actual: '-', status: 'skip', reason: 'no tests: block' });
      continue;
    }
    for (const t of d.tests) results.push(await runTest(d, analyzer(), t, maxRecordBytes));
  }
  return results;
}

/** Every detection and every correlation, each to be tested alone (a correlation evaluates its steps' detections itself). */
export function testables(detections: Detection[], correlations: BoundCorrelation[]): Testable[] {
  return [
    ...detections.map((d) => ({ detection: d, analyzer: () => new Analyzer([d], []) })),
    ...correlations.map((c) => ({ detection: c.detection, analyzer: () => new Analyzer([], [c]) })),
  ];
}

async function runTest(d: Detection, detector: Analyzer, t: DetectionTest, maxRecordBytes: number): Promise<ContentTestResult> {
  const base = { detection: d.name, detectionId: d.id, test: t.name };
  const expected = t.expected ? `${t.expected.findings}` : '>= 1';
  const root = contentRootOf(d.file);
  const files = t.attackData.map((a) => path.resolve(root, a.data));
  const missing: string[] = [];
  for (const f of files) if (!(await stat(f).catch(() => undefined))?.isFile()) missing.push(path.relative(root, f));
  if (missing.length > 0) return { ...base, expected, actual: '-', status: 'fail', reason: `attack data not found: ${missing.join(', ')} (relative to ${root})` };
  const report = new RunReport();
  await scanInputs(detector, files, { maxRecordBytes }, report);
  const findings = detector.findings();
  const actual = `${findings.length}`;
  const problems: string[] = report.inputErrors.map((e) => `${e.path}: ${e.message}`);
  if (!t.expected && findings.length === 0) problems.push('no findings (a test without expected: needs at least one)');
  if (t.expected && findings.length !== t.expected.findings) problems.push(`expected ${t.expected.findings} finding(s), got ${findings.length}`);
  for (const row of t.expected?.rows ?? []) if (!findings.some((f) => rowMatches(f, row))) problems.push(`no finding matches ${JSON.stringify(row)}`);
  if (problems.length > 0 && report.skippedTotal > 0) problems.push(`${report.skippedTotal} record(s) skipped while reading`);
  if (problems.length === 0) return { ...base, expected, actual, status: 'pass', reason: '' };
  return { ...base, expected, actual, status: 'fail', reason: problems.join('; '), actualRows: shownRows(findings, t) };
}

/** the findings as rows of the columns the test's expected rows name (else the BY columns) */
function shownRows(findings: Finding[], t: DetectionTest): Array<Record<string, string>> {
  const named = [...new Set((t.expected?.rows ?? []).flatMap((row) => Object.keys(row)))];
  return findings.slice(0, ACTUAL_ROWS_SHOWN).map((f) => {
    const values = columnValues(f);
    const columns = named.length > 0 ? named : f.by.map(([name]) => name);
    return Object.fromEntries(columns.map((c) => [c, [values[c] ?? ''].flat().join('\n')]));
  });
}

/** every listed column equal as text; a multivalue column matches when one of its values does */
export function rowMatches(finding: Finding, row: Record<string, string | number>): boolean {
  const columns = columnValues(finding);
  return Object.entries(row).every(([column, want]) => {
    const have = columns[column];
    if (have === undefined) return false;
    return Array.isArray(have) ? have.includes(String(want)) || have.join('\n') === String(want) : have === String(want);
  });
}
