import { formatOverflow } from '../diagnostics/cap-tally.js';
import { createWriteStream } from 'node:fs';
import { Command, Option } from 'commander';
import type { PipelineConfigInput } from '../pipeline/config.js';
import type { StreamSink } from '../sinks/stream-sink.js';
import { defaultContentDir, defaultDetectionsDir } from './paths.js';
import { addPipelineOptions, type PipelineFlags } from './pipeline-options.js';
import { ExitCode, reportSetupProblem } from './shared.js';
import { parseDuration } from './time-args.js';

interface WatchFlags extends PipelineFlags {
  format?: 'jsonl' | 'table' | 'csv' | 'json';
  output?: string;
  tuning?: string;
  window: number;
  allowedLateness: number;
  stateDir?: string;
  checkpointEvery: number;
  poll?: boolean;
  quiet?: boolean;
}

const DAY = 24 * 3600;

export function registerWatchCommand(program: Command): void {
  const watch = program
    .command('watch')
    .description('follow log files as they grow (tail -F: rotation, truncation, new files in directories, rotated .gz read once) and print findings as they appear and change')
    .argument('<inputs...>', 'files, directories or - for stdin')
    .addOption(new Option('-f, --format <format>', 'jsonl: one upsert per line (default when not a terminal); table: a live table (default on a terminal); csv/json: the final state on exit').choices(['jsonl', 'table', 'csv', 'json']))
    .option('-o, --output <file>', 'append upserts to a file instead of stdout');
  addPipelineOptions(watch)
    .option('--tuning <file>', 'tuning file: filter macro -> SPL filter')
    .option('--window <duration>', 'one finding per detection, BY values and UTC-aligned window of this length', parseDuration, DAY)
    .option('--allowed-lateness <duration>', 'a window closes (final, freed) once the newest event time is this far past its end', parseDuration, 3600)
    .option('--state-dir <dir>', 'keep read offsets and open windows here: a restart resumes without re-reading, double counting or losing anything')
    .option('--checkpoint-every <duration>', 'save the state at most this often (and on stop); a crash replays at most this much input, counting nothing twice', parseDuration, 1)
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
    findings: { windowSeconds: flags.window, allowedLatenessSeconds: flags.allowedLateness, maxGroups: flags.maxGroups, showSuppressed: flags.showSuppressed === true, evidence: flags.evidence },
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
    for (const o of s.capsReached) process.stderr.write(`${formatOverflow(o)}\n`);
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
