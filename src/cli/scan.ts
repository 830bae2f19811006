import { createWriteStream } from 'node:fs';
import { Command, Option } from 'commander';
import { Detector } from '../engine/detector.js';
import { renderFinding } from '../engine/render.js';
import { RunReport } from '../diagnostics/run-report.js';
import { formatSummary } from '../diagnostics/summary.js';
import { defaultThreads, scanInputsParallel } from '../pipeline/parallel.js';
import { buildPrefilter } from '../engine/prefilter.js';
import { loadDetections } from '../rules/escu.js';
import { sinkNames, sinks, type SinkName } from '../sinks/registry.js';
import { sources, type SourceName } from '../sources/registry.js';
import { defaultDetectionsDir } from './paths.js';
import { ScanProgress } from './progress.js';
import { ExitCode, parseByteSize, reportContentErrors } from './shared.js';

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
  prefilter: boolean;
  threads: number;
}

export function registerScanCommand(program: Command): void {
  program
    .command('scan')
    .description('run every detection over log files, directories (recursive) or - (stdin); .gz is read transparently')
    .argument('<inputs...>', 'files, directories or - for stdin')
    .addOption(new Option('-f, --format <format>', 'output format (default: table on a terminal, jsonl otherwise)').choices(sinkNames))
    .addOption(new Option('-i, --input-format <format>', 'force the input format instead of detecting it from content').choices(Object.keys(sources)))
    .option('-o, --output <file>', 'write findings to a file instead of stdout')
    .option('-r, --rules <paths...>', 'detection YAML files or directories', [defaultDetectionsDir])
    .option('--max-record-bytes <size>', 'skip (and report) records longer than this, e.g. 1MiB', parseByteSize, 1024 * 1024)
    .option('--max-groups <n>', 'finding groups kept per detection (bounded memory)', (v) => Number.parseInt(v, 10), 100_000)
    .option('--fail-on-findings', 'exit 1 when there are findings')
    .option('-q, --quiet', 'no summary or progress on stderr')
    .option('--no-progress', 'no progress bar')
    .option('--no-prefilter', 'parse every record, even those no rule can match (slower; same findings)')
    .option('-t, --threads <n>', 'worker threads for multi-file scans (1 = no workers)', (v) => Number.parseInt(v, 10), defaultThreads())
    .action(async (inputs: string[], flags: ScanFlags) => {
      process.exitCode = await runScan(inputs, flags);
    });
}

async function runScan(inputs: string[], flags: ScanFlags): Promise<number> {
  const started = performance.now();
  const { detections, errors } = await loadDetections(flags.rules);
  if (errors.length > 0) {
    reportContentErrors(errors);
    return ExitCode.UsageOrIo;
  }
  const detector = new Detector(detections, { maxGroupsPerDetection: flags.maxGroups });
  const report = new RunReport();
  const progress = new ScanProgress(!flags.quiet && flags.progress && process.stderr.isTTY === true);
  await scanInputsParallel(
    detector,
    {
      inputs,
      threads: flags.threads,
      rules: flags.rules,
      detectionIds: detections.map((d) => d.id),
      maxGroups: flags.maxGroups,
      prefilter: flags.prefilter ? buildPrefilter(detections) : undefined,
      format: flags.inputFormat,
      maxRecordBytes: flags.maxRecordBytes,
      onInputStart: (input) => progress.startInput(input),
      onProgress: (_input, bytes) => progress.update(bytes),
    },
    report,
  );
  progress.stop();
  const records = detector.findings().map(renderFinding);
  const format = flags.format ?? (process.stdout.isTTY && !flags.output ? 'table' : 'jsonl');
  await writeFindings(records, format, flags.output);
  if (!flags.quiet) {
    const summary = formatSummary({
      report,
      records,
      elapsedMs: performance.now() - started,
      detectionNames: detections.map((d) => d.name),
      droppedGroups: detector.droppedGroups(),
    });
    process.stderr.write(summary);
  }
  if (report.inputErrors.length > 0) return ExitCode.UsageOrIo;
  return flags.failOnFindings && records.length > 0 ? ExitCode.Findings : ExitCode.Ok;
}

async function writeFindings(records: ReturnType<typeof renderFinding>[], format: SinkName, output?: string): Promise<void> {
  const out = output ? createWriteStream(output) : process.stdout;
  sinks[format].write(records, out, { isTTY: !output && process.stdout.isTTY === true, columns: process.stdout.columns });
  if (output) await new Promise<void>((resolve, reject) => (out as ReturnType<typeof createWriteStream>).end((e?: Error | null) => (e ? reject(e) : resolve())));
}
