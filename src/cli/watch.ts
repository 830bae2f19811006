import { createWriteStream } from 'node:fs';
import { Command, Option } from 'commander';
import type { PipelineConfigInput } from '../pipeline/config.js';
import type { StreamSink } from '../sinks/stream-sink.js';
import { sources, type SourceName } from '../sources/registry.js';
import { defaultContentDir, defaultDetectionsDir } from './paths.js';
import { collect, ExitCode, parseByteSize, reportSetupProblem } from './shared.js';
import { parseDuration } from './time-args.js';

interface WatchFlags {
  format?: 'jsonl' | 'table' | 'csv' | 'json';
  inputFormat?: SourceName;
  output?: string;
  rules: string[];
  detection: string[];
  story?: string;
  mitre?: string;
  where?: string;
  tuning?: string;
  showSuppressed?: boolean;
  window: number;
  allowedLateness: number;
  stateDir?: string;
  checkpointEvery: number;
  riskWindow: number;
  riskThreshold: number;
  maxRecordBytes: number;
  maxGroups: number;
  prefilter: boolean;
  poll?: boolean;
  quiet?: boolean;
}

const DAY = 24 * 3600;

export function registerWatchCommand(program: Command): void {
  program
    .command('watch')
    .description('follow log files as they grow (tail -F: rotation, truncation, new files in directories, rotated .gz read once) and print findings as they appear and change')
    .argument('<inputs...>', 'files, directories or - for stdin')
    .addOption(new Option('-f, --format <format>', 'jsonl: one upsert per line (default when not a terminal); table: a live table (default on a terminal); csv/json: the final state on exit').choices(['jsonl', 'table', 'csv', 'json']))
    .addOption(new Option('-i, --input-format <format>', 'force the input format instead of detecting it from content').choices(Object.keys(sources)))
    .option('-o, --output <file>', 'append upserts to a file instead of stdout')
    .option('-r, --rules <path>', 'detection YAML file or directory, repeatable', collect, [] as string[])
    .option('-d, --detection <name|id>', 'run only this detection (repeatable)', collect, [])
    .option('--story <name>', 'run only the detections of this analytic story')
    .option('--mitre <id>', 'run only detections mapped to this ATT&CK technique')
    .option('--where <spl>', 'keep only findings matching this SPL expression over output columns')
    .option('--tuning <file>', 'tuning file: filter macro -> SPL filter')
    .option('--show-suppressed', 'emit findings suppressed by tuning, marked, instead of leaving them out')
    .option('--window <duration>', 'one finding per detection, BY values and UTC-aligned window of this length', parseDuration, DAY)
    .option('--allowed-lateness <duration>', 'a window closes (final, freed) once the newest event time is this far past its end', parseDuration, 3600)
    .option('--state-dir <dir>', 'keep read offsets and open windows here: a restart resumes without re-reading, double counting or losing anything')
    .option('--checkpoint-every <duration>', 'save the state at most this often (and on stop); a crash replays at most this much input, counting nothing twice', parseDuration, 1)
    .option('--risk-window <duration>', 'risk incident sliding window', parseDuration, DAY)
    .option('--risk-threshold <score>', 'risk incident when a window total is greater than this', (v) => Number.parseInt(v, 10), 100)
    .option('--max-record-bytes <size>', 'skip (and report) records longer than this, e.g. 1MiB', parseByteSize, 1024 * 1024)
    .option('--max-groups <n>', 'finding groups kept per detection (bounded memory)', (v) => Number.parseInt(v, 10), 100_000)
    .option('--no-prefilter', 'parse every record, even those no rule can match')
    .option('--poll', 'poll files instead of file system events (network file systems)')
    .option('-q, --quiet', 'no summary on stderr when stopping')
    .action(async (inputs: string[], flags: WatchFlags) => {
      process.exitCode = await runWatchCommand(inputs, flags);
    });
}

function watchConfig(flags: WatchFlags): PipelineConfigInput {
  return {
    rules: flags.rules.length > 0 ? flags.rules : [defaultDetectionsDir],
    selection: { detections: flags.detection, story: flags.story, mitre: flags.mitre },
    tuningFile: flags.tuning,
    where: flags.where,
    input: { format: flags.inputFormat, maxRecordBytes: flags.maxRecordBytes, prefilter: flags.prefilter },
    findings: { windowSeconds: flags.window, allowedLatenessSeconds: flags.allowedLateness, maxGroups: flags.maxGroups, showSuppressed: flags.showSuppressed === true },
    risk: { windowSeconds: flags.riskWindow, threshold: flags.riskThreshold },
  };
}

/** Runs until SIGINT or SIGTERM (or the end of stdin when that is the only input), then stops cleanly. */
async function runWatchCommand(inputs: string[], flags: WatchFlags): Promise<number> {
  // the watcher, zod and the stream pipeline load only here: scan's start-up never sees them
  const [{ parsePipelineConfig }, { isSetupProblem, preparePipeline }, { StateMismatchError, WatchRun }] = await Promise.all([
    import('../pipeline/config.js'),
    import('../pipeline/setup.js'),
    import('../pipeline/watch.js'),
  ]);
  const parsed = parsePipelineConfig(watchConfig(flags));
  if ('errors' in parsed) return reportSetupProblem({ kind: 'usage', problems: parsed.errors });
  const setup = await preparePipeline(parsed.config, { contentRoot: defaultContentDir });
  if (isSetupProblem(setup)) return reportSetupProblem(setup);
  const sink = await outputSink(flags);
  let run: Awaited<ReturnType<typeof WatchRun.start>>;
  try {
    run = await WatchRun.start(setup, {
      inputs,
      sinks: [sink],
      stateDir: flags.stateDir,
      checkpointIntervalMs: flags.checkpointEvery * 1000,
      poll: flags.poll,
      onError: (file, error) => process.stderr.write(`tunnelwatch: ${file}: ${error.message}\n`),
    });
  } catch (error) {
    if (!(error instanceof StateMismatchError)) throw error;
    process.stderr.write(`tunnelwatch: ${error.message}\n`);
    return ExitCode.UsageOrIo;
  }
  if (!flags.quiet) process.stderr.write(`tunnelwatch: watching ${inputs.join(' ')} (${setup.detections.length + setup.correlations.length} detections; Ctrl-C stops)\n`);
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    run.stdinEnded?.then(() => {
      if (inputs.every((i) => i === '-')) resolve('end of input');
    });
  });
  await run.stop();
  if (!flags.quiet) {
    const s = run.pipeline.stats();
    process.stderr.write(
      `tunnelwatch: stopped (${signal}): ${s.events} event(s), ${s.upserts} upsert(s), ${s.lateEvents} late event(s) (each a late update), ${s.openGroups} open finding group(s)${flags.stateDir ? ` saved in ${flags.stateDir}` : ''}\n`,
    );
  }
  return ExitCode.Ok;
}

async function outputSink(flags: WatchFlags): Promise<StreamSink> {
  const out = flags.output ? createWriteStream(flags.output, { flags: 'a' }) : process.stdout;
  const tty = !flags.output && process.stdout.isTTY === true;
  const format = flags.format ?? (tty ? 'table' : 'jsonl');
  const { upsertJsonlSink } = await import('../sinks/upsert-jsonl.js');
  if (format === 'jsonl') return closing(upsertJsonlSink(out), flags.output ? out : undefined);
  const [{ sinks }, { liveTableSink, snapshotSink }] = await Promise.all([import('../sinks/registry.js'), import('../sinks/snapshot.js')]);
  if (format === 'table' && tty) return liveTableSink(sinks.table, process.stdout);
  return closing(snapshotSink(sinks[format], out, { isTTY: tty, columns: process.stdout.columns }), flags.output ? out : undefined);
}

/** a sink whose close also ends the file it writes */
function closing(sink: StreamSink, file?: NodeJS.WritableStream): StreamSink {
  if (!file) return sink;
  return {
    open: () => sink.open(),
    write: (upserts) => sink.write(upserts),
    async close() {
      await sink.close();
      await new Promise<void>((resolve) => file.end(() => resolve()));
    },
  };
}
