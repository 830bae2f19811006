import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { renderFinding } from '../engine/render.js';
import { defaultIncidentOptions } from '../engine/risk.js';
import { formatSuppressionSummary } from '../engine/suppress.js';
import { formatRuleLoad, formatSummary, type RuleLoadCounts } from '../diagnostics/summary.js';
import { runBatch } from '../pipeline/batch.js';
import type { PipelineConfig } from '../pipeline/config.js';
import { keepsWorkers, planInputs, prefilterPays, ScanPool, threadsFor, type InputPlan } from '../pipeline/parallel.js';
import { isSetupProblem, preparePipeline, type PipelineSetup } from '../pipeline/setup.js';
import { sinkNames, type SinkName } from '../sinks/registry.js';
import { defaultContentDir, defaultDetectionsDir, defaultTuningFile } from './paths.js';
import { noteRunTraits } from './run-traits.js';
import { addPipelineOptions, type PipelineFlags } from './pipeline-options.js';
import { ScanProgress } from './progress.js';
import { scanOutputOf, writeRiskEvents, writeScanOutput } from './scan-output.js';
import { ExitCode, parseThreads, reportSetupProblem } from './shared.js';
import { parseDuration, parseTimeArg, parseTimeZone } from './time-args.js';

interface ScanFlags extends PipelineFlags {
  format?: SinkName;
  output?: string;
  failOnFindings?: boolean;
  perEvent?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  progress: boolean;
  from?: number;
  to?: number;
  tuning?: string;
  riskOut?: string;
  incidentsOnly?: boolean;
  drilldown?: boolean;
  threads?: number;
  window?: number;
  timezone?: string;
}


export function registerScanCommand(program: Command): void {
  const scan = program
    .command('scan')
    .description('run every detection over log files, directories (recursive) or - (stdin); .gz is read transparently')
    .argument('<inputs...>', 'files, directories or - for stdin')
    .addOption(new Option('-f, --format <format>', 'output format (default: table on a terminal, jsonl otherwise)').choices(sinkNames))
    .option('-o, --output <file>', 'write findings to a file instead of stdout');
  addPipelineOptions(scan)
    .option('--from <time>', 'ignore events before this time: ISO-8601 (UTC unless zoned), epoch seconds, now, -7d, -24h', (v) => parseTimeArg(v))
    .option('--to <time>', 'ignore events after this time (same forms as --from)', (v) => parseTimeArg(v))
    .option('--tuning <file>', `tuning file: filter macro -> SPL filter (default: ./${defaultTuningFile} when present)`)
    .option('--risk-out <file>', 'write risk events (one per finding and risk object) as JSONL')
    .option('--incidents-only', 'output risk incidents only, no findings')
    .option('--drilldown', 'attach each detection\'s drilldowns as runnable tunnelwatch commands')
    .option('--window <duration>', 'one finding per UTC-aligned time window (e.g. 24h, 1h) instead of one over the whole run', parseDuration)
    .option('--timezone <zone>', 'show the table\'s times in this zone: an IANA name (Europe/Berlin), UTC or ±hh:mm (default UTC; JSON, CSV and HTML stay UTC)', parseTimeZone)
    .option('--fail-on-findings', 'exit 1 when there are findings')
    .option('--per-event', 'one finding per matching event (a timeline for responders) instead of one per group')
    .option('-q, --quiet', 'no summary or progress on stderr')
    .option('-v, --verbose', 'the summary in full: every file and data source (default: what fits a screen)')
    .option('--no-progress', 'no progress bar')
    .option('-t, --threads <n>', 'threads scanning, sharing the files and the pieces of large EVTX, JSON-lines and syslog files; 1 = no worker threads (default: one per core once the input totals 512 MiB, one with more than 1,000 detections loaded)', parseThreads)
    .action(async (inputs: string[], flags: ScanFlags) => {
      process.exitCode = await runScan(inputs, flags);
    });
}

async function runScan(inputs: string[], flags: ScanFlags): Promise<number> {
  // not performance.now(): Node loads the perf_hooks modules on the first use of `performance` (~2 ms of a small scan)
  const started = process.hrtime.bigint();
  const plan = await planInputs(inputs, { format: flags.inputFormat });
  // started before the content loads, so that the threads' own start-up overlaps it
  const pool = await ScanPool.start(threadsFor(plan, flags.threads));
  try {
    return await scanWith(pool, plan, inputs, flags, started);
  } finally {
    await pool.close();
  }
}

async function scanWith(pool: ScanPool, plan: InputPlan, inputs: string[], flags: ScanFlags, started: bigint): Promise<number> {
  if (flags.rules.length === 0) flags.rules = [defaultDetectionsDir];
  const tuningFile = flags.tuning ?? (existsSync(defaultTuningFile) ? defaultTuningFile : undefined);
  if (tuningFile && !flags.tuning && !flags.quiet) process.stderr.write(`tunnelwatch: using tuning file ./${defaultTuningFile}\n`);
  const setup = await preparePipeline(scanConfig(flags, tuningFile, prefilterPays(plan)), { contentRoot: defaultContentDir });
  if (isSetupProblem(setup)) return reportSetupProblem(setup);
  const totalBytes = plan.files.reduce((sum, f) => sum + (f.size ?? 0), 0);
  const progress = await ScanProgress.create(!flags.quiet && flags.progress && process.stderr.isTTY === true, totalBytes);
  // the pool started before the content loaded; a rule set this large runs on one thread unless -t says otherwise
  const runner = pool.workers > 0 && !keepsWorkers(flags.threads, setup.detections.length) ? await pool.withoutWorkers() : pool;
  const { analyzer, report, results } = await runBatch(setup, plan, runner, {
    onInputStart: (input) => progress.startInput(input),
    onProgress: (_input, bytes) => progress.update(bytes),
    onSharedProgress: (done) => progress.shared(done),
  });
  progress.stop();
  const { tuned, riskEvents, incidents } = results;
  if (flags.riskOut) await writeRiskEvents(riskEvents, flags.riskOut);

  const format = flags.format ?? (process.stdout.isTTY && !flags.output ? 'table' : 'jsonl');
  noteRunTraits(...report.files.map((file) => `source:${file.format}`), `prefilter:${setup.prefilter !== undefined}`, `output:${format}`);
  const customRules = flags.rules.length !== 1 || flags.rules[0] !== defaultDetectionsDir;
  await writeScanOutput(
    scanOutputOf(setup, results, {
      drilldown: flags.drilldown ? { inputs, rules: customRules ? flags.rules : undefined, riskFile: flags.riskOut } : undefined,
      incidentsOnly: flags.incidentsOnly,
      timeZone: flags.timezone,
    }),
    format,
    flags.output,
  );
  if (!flags.quiet) {
    const summary = formatSummary({
      report,
      records: tuned.kept.map(renderFinding),
      elapsedMs: Number(process.hrtime.bigint() - started) / 1e6,
      detectionNames: [...setup.detections, ...setup.correlations.map((c) => c.detection)].map((d) => d.name),
      capsReached: analyzer.capsReached(),
      verbose: flags.verbose,
      namedFiles: inputs.filter((name) => name !== '-' && [...plan.files, ...plan.local].some((f) => f.name === name)),
    });
    process.stderr.write(summary);
    if (setup.ruleLoad.loaded > 0 || setup.ruleLoad.notLoaded.length > 0) process.stderr.write(formatRuleLoad(ruleLoadCounts(setup.ruleLoad)));
    if (tuningFile) process.stderr.write(formatSuppressionSummary(tuned, tuningFile));
    process.stderr.write(`risk events: ${riskEvents.length}${flags.riskOut ? ` (written to ${flags.riskOut})` : ''}; risk incidents: ${incidents.length}\n`);
  }
  if (report.inputErrors.length > 0) return ExitCode.UsageOrIo;
  return flags.failOnFindings && tuned.kept.length > 0 ? ExitCode.Findings : ExitCode.Ok;
}

/** The scan's flags as a pipeline configuration (commander has checked each); `prefilter`: whether the input is large enough for the prefilter to pay. */
function scanConfig(flags: ScanFlags, tuningFile: string | undefined, prefilter: boolean): PipelineConfig {
  return {
    rules: flags.rules,
    selection: { detections: flags.detection, story: flags.story, mitre: flags.mitre },
    tuningFile,
    where: flags.where,
    input: {
      format: flags.inputFormat,
      maxRecordBytes: flags.maxRecordBytes,
      prefilter: flags.prefilter && prefilter,
      timeRange: flags.from !== undefined || flags.to !== undefined ? { from: flags.from, to: flags.to } : undefined,
    },
    findings: { windowSeconds: flags.window, allowedLatenessSeconds: 0, maxGroups: flags.maxGroups, showSuppressed: flags.showSuppressed === true, perEvent: flags.perEvent, evidence: flags.evidence },
    risk: { windowSeconds: flags.riskWindow, threshold: flags.riskThreshold, minTactics: defaultIncidentOptions.minTactics },
  };
}

/** Rules of languages that may skip rules (Sigma), counted per rule, not per log source. */
function ruleLoadCounts({ loaded, notLoaded, notRun }: PipelineSetup['ruleLoad']): RuleLoadCounts {
  const byFile = [...new Map(notLoaded.map((e) => [e.file, e])).values()];
  return { loaded, notLoaded: byFile.length, reasons: byFile.slice(0, 5).map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`), notRun };
}
