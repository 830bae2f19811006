import { Command, InvalidArgumentError } from 'commander';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { defaultIncidentOptions } from '../engine/risk.js';
import type { PipelineConfig } from '../pipeline/config.js';
import { isSetupProblem, preparePipeline } from '../pipeline/setup.js';
import { defaultContentDir, defaultDetectionsDir } from './paths.js';
import { collect, ExitCode, parseByteSize, reportSetupProblem } from './shared.js';
import { parseDuration, parseTimeZone } from './time-args.js';
import { addBusOptions, busOptionsOf, type BusFlags } from './bus-options.js';

interface ServeFlags extends BusFlags {
  /** false with --no-detection-thread (detection on the thread that takes HTTP: see docs/serve.md) */
  detectionThread: boolean;
  listen: { host: string; port: number };
  dataDir: string;
  store?: string;
  token?: string;
  config?: string;
  rules: string[];
  tuning?: string;
  maxRecordBytes: number;
  window: number;
  allowedLateness: number;
  maxGroups: number;
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  maxLagBytes: number;
  maxLagSeconds: number;
  resendWindow: number;
  syslog?: { host: string; port: number };
  syslogMaxFrame: number;
  follow: string[];
  poll?: boolean;
  syslogYear?: number;
  syslogTimezone?: string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** `HOST:PORT`, `[v6]:PORT` or `:PORT` (loopback) */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65535) throw new InvalidArgumentError(`'${text}' is not HOST:PORT, e.g. 127.0.0.1:8088`);
  return { host: match[1] ?? (match[2] || '127.0.0.1'), port };
}

function parseYear(text: string): number {
  const year = Number(text);
  if (!/^\d{4}$/.test(text) || year < 1970) throw new InvalidArgumentError(`'${text}' is not a year such as 2026`);
  return year;
}

export function registerServeCommand(program: Command): void {
  const command = program
    .command('serve')
    .description('run continuously: Splunk HEC ingest, detections as events arrive, findings in a store, the dashboard API')
    .option('--listen <host:port>', 'HEC and API address (loopback unless told otherwise)', parseListen, { host: '127.0.0.1', port: 8088 })
    .option('--data-dir <dir>', 'journal, token and the default SQLite store', 'tunnelwatch-data')
    .option('--store <location>', 'postgres://user@host/db[?schema=name] or a SQLite file (default: the data directory\'s)')
    .option('--token <token>', 'the HEC and API token (else TUNNELWATCH_TOKEN, else the one kept in the data directory, else a new one)')
    .option('--config <file>', 'YAML: more HEC tokens (default index/source/sourcetype, allowed indexes, acks), allowQueryStringAuth')
    .option('-r, --rules <path>', 'detection YAML file or directory, repeatable', collect, [] as string[])
    .option('--tuning <file>', 'tuning file: filter macro -> SPL filter')
    .option('--max-record-bytes <size>', 'longest event kept', parseByteSize, 1024 * 1024)
    .option('--window <duration>', 'one finding per detection, BY values and UTC-aligned window of this length', parseDuration, 24 * 3600)
    .option('--allowed-lateness <duration>', 'a window closes (final, its memory freed) once the newest event time is this far past its end; later events are folded into the stored finding', parseDuration, 3600)
    .option('--max-groups <n>', 'open finding groups kept per detection (bounded memory)', (v) => Number.parseInt(v, 10), 100_000)
    .option('--max-body-bytes <size>', 'largest HEC request body on the wire (413 past it)', parseByteSize, 512 * 1024 * 1024)
    .option('--max-decompressed-bytes <size>', 'largest HEC body after gzip (413 past it: gzip bombs)', parseByteSize, 1024 * 1024 * 1024)
    .option('--max-lag-bytes <size>', 'journal not yet processed before HEC answers 503 code 9 (busy)', parseByteSize, 256 * 1024 * 1024)
    .option('--max-lag-seconds <duration>', 'how long acknowledged events may wait for detection before HEC answers 503 code 9 (busy): a bound on ingest-to-finding latency; 0s: none', parseDuration, 0.5)
    .option('--no-detection-thread', 'detect on the thread that takes HTTP instead of in a thread of its own (one core instead of two: see docs/serve.md)')
    .option('--follow <path>', 'also follow this file or directory as `watch` does (growth, rotation), repeatable', collect, [] as string[])
    .option('--poll', 'poll followed files instead of file system events (network file systems)')
    .option('--syslog <host:port>', 'also take syslog (RFC 5424/3164, bare <Event> lines) over UDP and TCP on this port', parseListen)
    .option('--syslog-max-frame <size>', 'longest syslog frame kept (longer ones are counted and skipped)', parseByteSize, 256 * 1024)
    .option('--syslog-year <yyyy>', 'year of RFC 3164 header times, for events without a time of their own (default: the current year, the last one for times more than a week ahead)', parseYear)
    .option('--syslog-timezone <zone>', 'zone of RFC 3164 header times: an IANA name, UTC or ±hh:mm (default: this host\'s zone)', parseTimeZone)
    .option('--resend-window <events>', 'HEC event digests remembered so that a resent batch is not counted twice', (v) => Number.parseInt(v, 10), 1_000_000)
    .option('--nats <url>', 'publish what HEC and syslog accept to NATS JetStream for `tunnelwatch worker`s (HEC answers 200 after the PubAck) instead of detecting here');
  addBusOptions(command).action(async (flags: ServeFlags) => {
    process.exitCode = await runServe(flags);
  });
}

/** `--nats`: the bus HEC and syslog write to, provisioned; closed with serve. */
async function openIngestBus(flags: ServeFlags) {
  if (!flags.nats) return undefined;
  const [{ openBus }, { BusAppender }] = await Promise.all([import('../bus/registry.js'), import('../bus/ingest.js')]);
  const bus = await openBus(flags.nats, busOptionsOf(flags));
  await bus.provision();
  return { bus, ingest: new BusAppender(bus.publisher()) };
}

async function runServe(flags: ServeFlags): Promise<number> {
  const [{ ServeRuntime }, { loadServeConfig, primaryToken }] = await Promise.all([import('../serve/server.js'), import('../serve/config.js')]);
  const config = await loadServeConfig(flags.config);
  if ('errors' in config) {
    for (const e of config.errors) process.stderr.write(`${e}\n`);
    return ExitCode.UsageOrIo;
  }
  // entries saved from the dashboard ("tune from a finding") go to --tuning, else DATA/tuning.yml, loaded when it exists
  const tuningFile = flags.tuning ?? path.join(flags.dataDir, 'tuning.yml');
  const pipelineConfig = serveConfig({ ...flags, tuning: existsSync(tuningFile) ? tuningFile : undefined });
  const setup = await preparePipeline(pipelineConfig, { contentRoot: defaultContentDir });
  if (isSetupProblem(setup)) return reportSetupProblem(setup);
  const token = primaryToken(flags.dataDir, flags.token, process.env.TUNNELWATCH_TOKEN);
  if (token.generated) process.stdout.write(`tunnelwatch: new token (shown once; kept in ${flags.dataDir}/token): ${token.token}\n`);
  if (!LOOPBACK.has(flags.listen.host)) process.stderr.write(`tunnelwatch: listening beyond loopback on ${flags.listen.host}: findings are sensitive, put TLS in front\n`);
  let runtime;
  let bus;
  try {
    bus = await openIngestBus(flags);
    runtime = await ServeRuntime.start({
      ingest: bus?.ingest,
      host: flags.listen.host,
      port: flags.listen.port,
      dataDir: flags.dataDir,
      store: flags.store,
      token: token.token,
      tokens: config.tokens,
      allowQueryStringAuth: config.allowQueryStringAuth,
      setup,
      // with --nats the workers detect: nothing here reads the journal but the idle processor
      detectionThread: flags.detectionThread && !flags.nats ? { config: pipelineConfig, contentRoot: defaultContentDir } : undefined,
      tuningFile,
      maxBodyBytes: flags.maxBodyBytes,
      maxDecompressedBytes: flags.maxDecompressedBytes,
      maxLagBytes: flags.maxLagBytes,
      maxLagSeconds: flags.maxLagSeconds,
      maxQueuedBytes: 64 * 1024 * 1024,
      resendWindow: flags.resendWindow,
      journalKeepBytes: 256 * 1024 * 1024,
      syslog: flags.syslog && { ...flags.syslog, maxFrameBytes: flags.syslogMaxFrame },
      follow: flags.follow.length > 0 ? { paths: flags.follow, poll: flags.poll === true } : undefined,
    });
  } catch (error) {
    await bus?.bus.close();
    process.stderr.write(`tunnelwatch: serve could not start: ${(error as Error).message}\n`);
    return ExitCode.UsageOrIo;
  }
  if (bus) process.stderr.write(`tunnelwatch: HEC and syslog go to NATS ${flags.nats} (stream ${flags.stream}); workers detect\n`);
  process.stderr.write(`tunnelwatch: listening on http://${runtime.address} (HEC /services/collector, API /api); store: ${runtime.store.kind} ${runtime.store.location}\n`);
  if (runtime.follower) process.stderr.write(`tunnelwatch: following ${flags.follow.join(', ')}\n`);
  if (runtime.syslog) process.stderr.write(`tunnelwatch: syslog on ${flags.syslog!.host}:${runtime.syslog.port} (UDP and TCP)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await runtime.close();
  await bus?.bus.close();
  return ExitCode.Ok;
}

/** The serve flags as a pipeline configuration (commander has checked each). */
function serveConfig(flags: ServeFlags): PipelineConfig {
  return {
    rules: flags.rules.length > 0 ? flags.rules : [defaultDetectionsDir],
    selection: { detections: [] },
    tuningFile: flags.tuning,
    input: {
      maxRecordBytes: flags.maxRecordBytes,
      prefilter: true,
      ...((flags.syslogYear !== undefined || flags.syslogTimezone !== undefined) && { syslogClock: { year: flags.syslogYear, timeZone: flags.syslogTimezone } }),
    },
    findings: { windowSeconds: flags.window, allowedLatenessSeconds: flags.allowedLateness, maxGroups: flags.maxGroups, showSuppressed: false },
    risk: { windowSeconds: defaultIncidentOptions.windowSeconds, threshold: defaultIncidentOptions.threshold, minTactics: defaultIncidentOptions.minTactics },
  };
}
