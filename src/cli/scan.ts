import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { Analyzer } from '../engine/analyzer.js';
import type { Finding } from '../engine/finding.js';
import { buildPrefilter } from '../engine/prefilter.js';
import { renderFinding } from '../engine/render.js';
import { defaultIncidentOptions, riskEventsOf, riskIncidents, type IncidentOptions } from '../engine/risk.js';
import { keepRows } from '../engine/row-filter.js';
import { applyTuning, formatSuppressionSummary } from '../engine/suppress.js';
import { RunReport } from '../diagnostics/run-report.js';
import { formatSummary } from '../diagnostics/summary.js';
import { planInputs, ScanPool, scanInputsParallel, threadsFor, type InputPlan } from '../pipeline/parallel.js';
import { correlationsBeside, loadContent, type Content } from '../rules/content.js';
import { loadContentCached } from '../rules/content-cache.js';
import type { BoundCorrelation } from '../rules/correlation.js';
import type { Detection } from '../rules/detection.js';
import { TacticTable, techniquesFile } from '../rules/mitre.js';
import type { Expr } from '../rules/search-plan.js';
import { selectDetections } from '../rules/select.js';
import { compileFilter } from '../rules/spl/compile.js';
import type { Tuning } from '../rules/tuning.js';
import { sinkNames, type SinkName } from '../sinks/registry.js';
import { sources, type SourceName } from '../sources/registry.js';
import { defaultContentDir, defaultDetectionsDir, defaultTuningFile } from './paths.js';
import { ScanProgress } from './progress.js';
import { writeRiskEvents, writeScanOutput } from './scan-output.js';
import { collect, ExitCode, parseByteSize, reportContentErrors } from './shared.js';
import { parseDuration, parseTimeArg } from './time-args.js';

interface ScanFlags {
  format?: SinkName;
  inputFormat?: SourceName;
  output?: string;
  rules: string[];
  maxRecordBytes: number;
  maxGroups: number;
  failOnFindings?: boolean;
  quiet?: boolean;
  progress: boolean;
  detection: string[];
  story?: string;
  mitre?: string;
  from?: number;
  to?: number;
  where?: string;
  tuning?: string;
  showSuppressed?: boolean;
  riskOut?: string;
  riskWindow: number;
  riskThreshold: number;
  incidentsOnly?: boolean;
  drilldown?: boolean;
  prefilter: boolean;
  threads?: number;
}


export function registerScanCommand(program: Command): void {
  program
    .command('scan')
    .description('run every detection over log files, directories (recursive) or - (stdin); .gz is read transparently')
    .argument('<inputs...>', 'files, directories or - for stdin')
    .addOption(new Option('-f, --format <format>', 'output format (default: table on a terminal, jsonl otherwise)').choices(sinkNames))
    .addOption(new Option('-i, --input-format <format>', 'force the input format instead of detecting it from content').choices(Object.keys(sources)))
    .option('-o, --output <file>', 'write findings to a file instead of stdout')
    .option('-r, --rules <path>', 'detection YAML file or directory, repeatable (correlations are read from the correlations/ folder beside it)', collect, [] as string[])
    .option('-d, --detection <name|id>', 'run only this detection (repeatable)', collect, [])
    .option('--story <name>', 'run only the detections of this analytic story')
    .option('--mitre <id>', 'run only detections mapped to this ATT&CK technique (T1090 includes T1090.002)')
    .option('--from <time>', 'ignore events before this time: ISO-8601 (UTC unless zoned), epoch seconds, now, -7d, -24h', (v) => parseTimeArg(v))
    .option('--to <time>', 'ignore events after this time (same forms as --from)', (v) => parseTimeArg(v))
    .option('--where <spl>', 'keep only findings matching this SPL expression over output columns, e.g. \'user="CORP\\\\alice"\'')
    .option('--tuning <file>', `tuning file: filter macro -> SPL filter (default: ./${defaultTuningFile} when present)`)
    .option('--show-suppressed', 'list findings suppressed by tuning, marked, instead of leaving them out')
    .option('--risk-out <file>', 'write risk events (one per finding and risk object) as JSONL')
    .option('--risk-window <duration>', 'risk incident sliding window', parseDuration, defaultIncidentOptions.windowSeconds)
    .option('--risk-threshold <score>', 'risk incident when a window total is greater than this', (v) => Number.parseInt(v, 10), defaultIncidentOptions.threshold)
    .option('--incidents-only', 'output risk incidents only, no findings')
    .option('--drilldown', 'attach each detection\'s drilldowns as runnable tunnelwatch commands')
    .option('--max-record-bytes <size>', 'skip (and report) records longer than this, e.g. 1MiB', parseByteSize, 1024 * 1024)
    .option('--max-groups <n>', 'finding groups kept per detection (bounded memory)', (v) => Number.parseInt(v, 10), 100_000)
    .option('--fail-on-findings', 'exit 1 when there are findings')
    .option('-q, --quiet', 'no summary or progress on stderr')
    .option('--no-progress', 'no progress bar')
    .option('--no-prefilter', 'parse every record, even those no rule can match (slower; same findings)')
    .option('-t, --threads <n>', 'worker threads sharing the files and the pieces of large EVTX, JSON-lines and syslog files (default: one per core once the input totals 512 MiB; 1 = no worker threads)', (v) => Number.parseInt(v, 10))
    .action(async (inputs: string[], flags: ScanFlags) => {
      process.exitCode = await runScan(inputs, flags);
    });
}

interface ScanSetup {
  content: Content;
  detections: Detection[];
  correlations: BoundCorrelation[];
  tuning: Tuning;
  tuningFile?: string;
  tactics: TacticTable;
  where?: Expr;
}

async function runScan(inputs: string[], flags: ScanFlags): Promise<number> {
  const started = performance.now();
  const plan = await planInputs(inputs, { format: flags.inputFormat });
  // started before the content loads, so that the threads' own start-up overlaps it
  const pool = await ScanPool.start(threadsFor(plan, flags.threads));
  try {
    return await scanWith(pool, plan, inputs, flags, started);
  } finally {
    await pool.close();
  }
}

async function scanWith(pool: ScanPool, plan: InputPlan, inputs: string[], flags: ScanFlags, started: number): Promise<number> {
  const setup = await prepareScan(flags);
  if (typeof setup === 'number') return setup;
  const analyzer = new Analyzer(setup.detections, setup.correlations, { maxGroupsPerDetection: flags.maxGroups });
  const report = new RunReport();
  await runPipeline(plan, flags, setup, analyzer, report, pool);

  const findings = setup.where ? keepRows(analyzer.findings(), setup.where) : analyzer.findings();
  const tuned = applyTuning(findings, setup.tuning);
  const riskEvents = tuned.kept.flatMap((f: Finding) => riskEventsOf(f, renderFinding(f), setup.tactics));
  const incidentOptions: IncidentOptions = { ...defaultIncidentOptions, windowSeconds: flags.riskWindow, threshold: flags.riskThreshold };
  const incidents = riskIncidents(riskEvents, incidentOptions);
  if (flags.riskOut) await writeRiskEvents(riskEvents, flags.riskOut);

  const format = flags.format ?? (process.stdout.isTTY && !flags.output ? 'table' : 'jsonl');
  const customRules = flags.rules.length !== 1 || flags.rules[0] !== defaultDetectionsDir;
  await writeScanOutput(
    {
      findings,
      suppressed: new Map(tuned.suppressed.map((s) => [s.finding, s.macro])),
      showSuppressed: flags.showSuppressed === true,
      incidents,
      incidentOptions,
      riskPossible: setup.detections.some((d) => d.risk && d.type !== 'Hunting'),
      drilldown: flags.drilldown ? { inputs, rules: customRules ? flags.rules : undefined, riskFile: flags.riskOut } : undefined,
      incidentsOnly: flags.incidentsOnly === true,
      tactics: setup.tactics,
    },
    format,
    flags.output,
  );
  if (!flags.quiet) {
    const summary = formatSummary({
      report,
      records: tuned.kept.map(renderFinding),
      elapsedMs: performance.now() - started,
      detectionNames: [...setup.detections, ...setup.correlations.map((c) => c.detection)].map((d) => d.name),
      droppedGroups: analyzer.detector.droppedGroups(),
    });
    process.stderr.write(summary);
    if (setup.tuningFile) process.stderr.write(formatSuppressionSummary(tuned, setup.tuningFile));
    process.stderr.write(`risk events: ${riskEvents.length}${flags.riskOut ? ` (written to ${flags.riskOut})` : ''}; risk incidents: ${incidents.length}\n`);
  }
  if (report.inputErrors.length > 0) return ExitCode.UsageOrIo;
  return flags.failOnFindings && tuned.kept.length > 0 ? ExitCode.Findings : ExitCode.Ok;
}

/** Loads and validates everything the scan needs; an exit code when it must not start. */
async function prepareScan(flags: ScanFlags): Promise<ScanSetup | number> {
  if (flags.rules.length === 0) flags.rules = [defaultDetectionsDir];
  const correlationDirs = flags.rules.map(correlationsBeside);
  const content = await loadScanContent(flags.rules, correlationDirs);
  const tuningFile = flags.tuning ?? (existsSync(defaultTuningFile) ? defaultTuningFile : undefined);
  if (tuningFile && !flags.tuning && !flags.quiet) process.stderr.write(`tunnelwatch: using tuning file ./${defaultTuningFile}\n`);
  const tuning = tuningFile ? await loadTuningFile(tuningFile, content.detections) : { tuning: new Map() as Tuning, errors: [] };
  const contentErrors = [...content.errors, ...tuning.errors];
  if (contentErrors.length > 0) {
    reportContentErrors(contentErrors);
    return ExitCode.UsageOrIo;
  }
  const all = [...content.detections, ...content.correlations.map((c) => c.detection)];
  const { selected, problems } = selectDetections(all, { detections: flags.detection, story: flags.story, mitre: flags.mitre });
  const where = flags.where === undefined ? undefined : compileFilter(flags.where);
  const usage = [...problems, ...(where?.errors ?? []).map((e) => `--where: col ${e.col}: ${e.message}`)];
  if (usage.length > 0) {
    for (const p of usage) process.stderr.write(`tunnelwatch: ${p}\n`);
    return ExitCode.UsageOrIo;
  }
  const ids = new Set(selected.map((d) => d.id));
  return {
    content,
    detections: content.detections.filter((d) => ids.has(d.id)),
    correlations: content.correlations.filter((c) => ids.has(c.id)),
    tuning: tuning.tuning,
    tuningFile,
    tactics: new TacticTable(new Map(content.techniques)),
    where: where?.expr,
  };
}

/** The YAML library loads only for a scan that has a tuning file. */
async function loadTuningFile(file: string, detections: Detection[]): ReturnType<typeof import('../rules/tuning.js').loadTuning> {
  const { loadTuning } = await import('../rules/tuning.js');
  return loadTuning(file, detections);
}

interface ScanContent extends Content {
  /** the ATT&CK technique → tactics table, as plain data so that it is cached with the rules */
  techniques: Array<[string, readonly string[]]>;
}

/** Rules, correlations and the tactic table, compiled once and then served from the content cache. */
async function loadScanContent(rules: string[], correlationDirs: string[]): Promise<ScanContent> {
  const techniques = techniquesFile(defaultContentDir);
  return loadContentCached([...rules, ...correlationDirs, path.dirname(techniques)], async () => {
    const [content, { loadTacticTable }] = await Promise.all([loadContent(rules, correlationDirs), import('../rules/mitre-load.js')]);
    const tactics = await loadTacticTable(techniques);
    return { ...content, errors: [...content.errors, ...tactics.errors], techniques: tactics.table.entries() };
  });
}

/** sources → normalize → detect, in worker threads when there are several large files. */
async function runPipeline(
  plan: InputPlan,
  flags: ScanFlags,
  setup: ScanSetup,
  analyzer: Analyzer,
  report: RunReport,
  pool: ScanPool,
): Promise<void> {
  const progress = await ScanProgress.create(!flags.quiet && flags.progress && process.stderr.isTTY === true);
  const totalBytes = plan.files.reduce((sum, f) => sum + (f.size ?? 0), 0);
  const correlationSteps = setup.correlations.flatMap((c) => c.steps.flatMap((s) => s.detections));
  await scanInputsParallel(
    analyzer,
    plan,
    {
      detections: setup.detections,
      correlations: setup.correlations,
      maxGroups: flags.maxGroups,
      prefilter: flags.prefilter ? buildPrefilter([...setup.detections, ...correlationSteps]) : undefined,
      format: flags.inputFormat,
      maxRecordBytes: flags.maxRecordBytes,
      timeRange: flags.from !== undefined || flags.to !== undefined ? { from: flags.from, to: flags.to } : undefined,
      onInputStart: (input) => progress.startInput(input),
      onProgress: (_input, bytes) => progress.update(bytes),
      onSharedProgress: (done) => progress.shared(done, totalBytes),
    },
    report,
    pool,
  );
  progress.stop();
}
