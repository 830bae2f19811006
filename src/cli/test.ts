import { Command } from 'commander';
import { runContentTests, type ContentTestResult } from '../pipeline/content-test.js';
import { correlationsBeside, loadContent } from '../rules/content.js';
import { selectDetections } from '../rules/select.js';
import { defaultDetectionsDir } from './paths.js';
import { collect, ExitCode, reportContentErrors } from './shared.js';

interface TestFlags {
  rules: string[];
}

export function registerTestCommand(program: Command): void {
  program
    .command('test')
    .description("run each detection's tests: block over its attack data and compare with expected findings and rows")
    .argument('[detections...]', 'detection names or ids (default: all)')
    .option('-r, --rules <path>', 'detection YAML file or directory, repeatable (correlations are read from the correlations/ folder beside it)', collect, [] as string[])
    .action(async (names: string[], flags: TestFlags) => {
      process.exitCode = await runTests(names, flags);
    });
}

async function runTests(names: string[], flags: TestFlags): Promise<number> {
  const rules = flags.rules.length > 0 ? flags.rules : [defaultDetectionsDir];
  const { detections, correlations, errors } = await loadContent(rules, rules.map(correlationsBeside));
  if (errors.length > 0) {
    reportContentErrors(errors);
    return ExitCode.UsageOrIo;
  }
  const { selected, problems } = selectDetections([...detections, ...correlations.map((c) => c.detection)], { detections: names });
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`tunnelwatch: ${p}\n`);
    return ExitCode.UsageOrIo;
  }
  const chosen = new Set(selected.map((d) => d.id));
  const results = await runContentTests(
    detections.filter((d) => chosen.has(d.id)),
    correlations.filter((c) => chosen.has(c.id)),
  );
  process.stdout.write(formatResults(results));
  const failed = results.filter((r) => r.status === 'fail').length;
  const passed = results.filter((r) => r.status === 'pass').length;
  process.stderr.write(`tunnelwatch test: ${passed} passed, ${failed} failed, ${results.length - passed - failed} skipped\n`);
  return failed > 0 ? ExitCode.Findings : ExitCode.Ok;
}

export function formatResults(results: ContentTestResult[]): string {
  const header = ['detection', 'test', 'expected', 'actual', 'status', 'reason'];
  const rows = results.map((r) => [r.detection, r.test, r.expected, r.actual, r.status.toUpperCase(), r.reason]);
  const widths = header.map((h, k) => (k === header.length - 1 ? 0 : rows.reduce((w, row) => Math.max(w, row[k].length), h.length)));
  const line = (cells: string[]) => cells.map((c, k) => c.padEnd(widths[k])).join('  ').trimEnd();
  const lines = [line(header)];
  results.forEach((r, i) => {
    lines.push(line(rows[i]));
    // a failure shows what the detection did produce, to compare with the expectation
    for (const row of r.actualRows ?? []) lines.push(`    actual row: ${JSON.stringify(row)}`);
    const more = Number(r.actual) - (r.actualRows?.length ?? 0);
    if (r.actualRows && more > 0) lines.push(`    ... ${more} more row(s) (tunnelwatch scan -f jsonl over the attack data shows them all)`);
  });
  return `${lines.join('\n')}\n`;
}
