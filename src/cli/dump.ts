/**
 * `tunnelwatch dump`: every record as one line, in evtx_dump's JSONL shape (default) or as Windows
 * XML. EVTX is decoded natively; text formats are converted from their RawEvent maps, so the
 * command doubles as a format converter feeding Chainsaw/Hayabusa/Zircolite.
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { Command, Option } from 'commander';
import { availableParallelism } from 'node:os';
import { EvtxPool } from '../sources/evtx/pool.js';
import { readEvtxText } from '../sources/evtx/reader.js';
import { expandInputs, isInputError, type InputError } from '../sources/inputs.js';
import { pickSource, sources, type SourceName } from '../sources/registry.js';
import type { RawEvent, Skip, SourceContext, SourceInput } from '../sources/source.js';
import { escapeXmlAttribute } from '../sources/xml-escape.js';
import { dumpFilter, numberList, textList, type DumpFilterFlags, type RawEventFilter } from './dump-filter.js';
import { ExitCode, parseByteSize, parseThreads } from './shared.js';
import { parseTimeArg } from './time-args.js';

type DumpFormat = 'jsonl' | 'xml';

interface DumpFlags extends DumpFilterFlags {
  format: DumpFormat;
  inputFormat?: SourceName;
  output?: string;
  /** threads doing the work, this one included (1 = no worker threads) */
  threads?: number;
  maxRecordBytes: number;
  quiet?: boolean;
}

const EVENT_NS = 'http://schemas.microsoft.com/win/2004/08/events/event';
/** System fields that evtx_dump prints as numbers (BinXML types them as integers). */
const NUMERIC_SYSTEM = new Set(['EventID', 'EventRecordID']);

/**
 * Buffered line writer that respects backpressure. A closed reader (`dump … | head`) aborts the run
 * quietly instead of crashing on EPIPE.
 */
class LineWriter {
  private buf = '';
  readonly stop = new AbortController();
  constructor(private readonly out: Writable) {
    out.on('error', () => this.stop.abort());
  }
  async line(s: string): Promise<void> {
    await this.text(`${s}\n`);
  }
  /** lines that already end in newlines (one EVTX chunk's records) */
  async text(s: string): Promise<void> {
    if (this.stop.signal.aborted) return;
    if (s.length >= DIRECT_WRITE_CHARS) {
      // a whole chunk's lines go out as they are: joining them to the buffer would copy them again
      await this.flush();
      await this.write(s);
      return;
    }
    this.buf += s;
    if (this.buf.length >= 1 << 16) await this.flush();
  }
  async flush(): Promise<void> {
    const s = this.buf;
    this.buf = '';
    await this.write(s);
  }
  private async write(s: string): Promise<void> {
    if (!s || this.stop.signal.aborted) return;
    if (this.out.write(s)) return;
    await new Promise<void>((resolve) => {
      // both listeners go once either fires: a long dump waits for drain thousands of times
      const done = () => {
        this.out.off('drain', done);
        this.stop.signal.removeEventListener('abort', done);
        resolve();
      };
      this.out.once('drain', done);
      this.stop.signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** Texts at least this long are written without going through the line buffer. */
const DIRECT_WRITE_CHARS = 1 << 14;

function jsonScalar(key: string, v: string): unknown {
  return NUMERIC_SYSTEM.has(key) && /^\d{1,15}$/.test(v) ? Number(v) : v;
}

/** evtx_dump-shaped JSON of an event that came from a text source. */
export function rawEventJson(e: RawEvent): string {
  const system: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e.system)) {
    if (k === 'Provider') system.Provider = { '#attributes': { Name: v } };
    else if (k === 'TimeCreated') system.TimeCreated = { '#attributes': { SystemTime: v } };
    else if (k === 'UserID') system.Security = { '#attributes': { UserID: v } };
    else system[k] = jsonScalar(k, v);
  }
  return JSON.stringify({ Event: { '#attributes': { xmlns: EVENT_NS }, System: system, EventData: e.data } });
}

const esc = escapeXmlAttribute;

/** Windows XML of an event that came from a text source. */
export function rawEventXml(e: RawEvent): string {
  let sys = '';
  for (const [k, v] of Object.entries(e.system)) {
    if (k === 'Provider') sys += `<Provider Name="${esc(v)}"/>`;
    else if (k === 'TimeCreated') sys += `<TimeCreated SystemTime="${esc(v)}"/>`;
    else if (k === 'UserID') sys += `<Security UserID="${esc(v)}"/>`;
    else sys += `<${esc(k)}>${esc(v)}</${esc(k)}>`;
  }
  let data = '';
  for (const [k, v] of Object.entries(e.data)) {
    const positional = /^Data\[\d+\]$/.test(k);
    data += positional ? `<Data>${esc(v)}</Data>` : `<Data Name="${esc(k)}">${esc(v)}</Data>`;
  }
  return `<Event xmlns="${EVENT_NS}"><System>${sys}</System><EventData>${data}</EventData></Event>`;
}

function skipLine(s: Skip): string {
  const where = s.location.offset !== undefined ? `@${s.location.offset}` : s.location.line !== undefined ? `:${s.location.line}` : '';
  return `tunnelwatch: ${s.location.file}${where}: ${s.code}: ${s.reason}${s.bytes ? ` (${s.bytes} bytes)` : ''}\n`;
}

async function dumpInput(input: SourceInput, flags: DumpFlags, w: LineWriter, ctx: SourceContext, pool: EvtxPool | undefined, keeps?: RawEventFilter): Promise<boolean> {
  const source = await pickSource(input, flags.inputFormat);
  if (!source) {
    ctx.skip({ location: { file: input.name }, code: 'unknown-format', reason: 'content matches no supported format' });
    return false;
  }
  // with a filter, EVTX is read as events like the text formats: the filter needs their fields
  if (source.name === 'evtx' && !keeps) {
    const mode = flags.format === 'xml' ? 'xml' : 'json';
    const threads = pool ? { pool } : flags.threads === undefined ? {} : { threads: flags.threads - 1 };
    for await (const text of readEvtxText(input, ctx, { mode, ...threads })) {
      if (w.stop.signal.aborted) break;
      await w.text(text);
    }
    return true;
  }
  for await (const e of source.read(input, ctx)) {
    if (w.stop.signal.aborted) break;
    if (keeps && !keeps(e)) continue;
    await w.line(flags.format === 'xml' ? rawEventXml(e) : rawEventJson(e));
  }
  return true;
}

/** Below this much input a pool's start-up (about 0.1 s) costs more than the decoding it shares. */
const SHARED_POOL_MIN_BYTES = 16 * 1024 * 1024;

/**
 * One decoding pool for all inputs when there are several of them and enough bytes: a per-input
 * pool only pays off for a single large file, which the reader decides for itself. Automatic only
 * from 3 cores: on 2 cores (one worker beside a main thread that frames, copies and writes) it was
 * no faster than decoding on the main thread, and slower when the machine was busy.
 */
async function sharedPool(inputs: Array<SourceInput | InputError>, flags: DumpFlags): Promise<EvtxPool | undefined> {
  const files = inputs.filter((i): i is SourceInput => !isInputError(i));
  const threads = (flags.threads ?? availableParallelism()) - 1;
  if (threads < 1 || files.length < 2) return undefined;
  if (flags.threads === undefined && (threads < 2 || files.reduce((n, f) => n + (f.size ?? 0), 0) < SHARED_POOL_MIN_BYTES)) return undefined;
  return EvtxPool.start(threads);
}

export async function runDump(paths: string[], flags: DumpFlags): Promise<number> {
  const { keeps, problem } = dumpFilter(flags);
  if (problem) {
    process.stderr.write(`tunnelwatch: ${problem}\n`);
    return ExitCode.UsageOrIo;
  }
  const out: Writable = flags.output ? createWriteStream(flags.output) : process.stdout;
  const w = new LineWriter(out);
  let failed = false;
  let skipped = 0;
  const ctx: SourceContext = {
    maxRecordBytes: flags.maxRecordBytes,
    signal: w.stop.signal,
    skip(s) {
      skipped++;
      if (!flags.quiet) process.stderr.write(skipLine(s));
    },
  };
  const inputs: Array<SourceInput | InputError> = [];
  for await (const input of expandInputs(paths)) inputs.push(input);
  const pool = await sharedPool(inputs, flags);
  try {
    for (const input of inputs) {
      if (w.stop.signal.aborted) break;
      if (isInputError(input)) {
        process.stderr.write(`tunnelwatch: ${input.path}: ${input.message}\n`);
        failed = true;
        continue;
      }
      if (!(await dumpInput(input, flags, w, ctx, pool, keeps))) failed = true;
    }
  } finally {
    await pool?.destroy();
  }
  await w.flush();
  if (flags.output && !w.stop.signal.aborted) await new Promise<void>((resolve) => out.end(resolve));
  if (skipped > 0 && !flags.quiet) process.stderr.write(`tunnelwatch: ${skipped} problem(s) reported above\n`);
  return failed ? ExitCode.UsageOrIo : ExitCode.Ok;
}

export function registerDumpCommand(program: Command): void {
  program
    .command('dump')
    .description('print every record as one JSON line shaped like evtx_dump -o jsonl (or Windows XML); EVTX and the text formats')
    .argument('<inputs...>', 'files, directories or - for stdin')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['jsonl', 'xml']).default('jsonl'))
    .addOption(new Option('-i, --input-format <format>', 'force the input format instead of detecting it from content').choices(Object.keys(sources)))
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('-t, --threads <n>', 'threads decoding EVTX, this one (which reads and writes) included; 1 = no worker threads (default: automatic for large files)', parseThreads)
    .option('--max-record-bytes <size>', 'skip (and report) text records longer than this', parseByteSize, 1024 * 1024)
    .option('-q, --quiet', 'do not report skipped records on stderr')
    .option('--record <ids>', 'only records with these EventRecordIDs (comma-separated, repeatable): a finding\'s evidence `record`', numberList)
    .option('--line <lines>', 'only records starting on these lines of a text file (comma-separated, repeatable): evidence `line`', numberList)
    .option('--event-id <codes>', 'only these EventIDs (or CrowdStrike event_simpleName), comma-separated, repeatable', textList)
    .option('--from <time>', 'only events at or after this time: ISO-8601 (UTC unless zoned), epoch seconds, now, -7d, -24h', (v) => parseTimeArg(v))
    .option('--to <time>', 'only events at or before this time (same forms as --from)', (v) => parseTimeArg(v))
    .option('--where <spl>', 'only events matching this SPL expression over the raw field names, e.g. \'Image="*\\\\ngrok.exe"\'')
    .action(async (inputs: string[], flags: DumpFlags) => {
      process.exitCode = await runDump(inputs, flags);
    });
}
