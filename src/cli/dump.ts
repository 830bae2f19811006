/**
 * `tunnelwatch dump`: every record as one line, in evtx_dump's JSONL shape (default) or as Windows
 * XML. EVTX is decoded natively; events of text formats are rendered by their event family
 * (src/families/: Windows-shaped events as evtx_dump JSON or XML, CrowdStrike as its own flat
 * object), so the command doubles as a format converter feeding Chainsaw/Hayabusa/Zircolite.
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { Command, Option } from 'commander';
import { availableParallelism } from 'node:os';
import { families } from '../families/registry.js';
import { EvtxPool } from '../sources/evtx/pool.js';
import { readEvtxText } from '../sources/evtx/reader.js';
import { expandInputs, isInputError, type InputError } from '../sources/inputs.js';
import { pickSource, sources, type SourceName } from '../sources/registry.js';
import type { Skip, SourceContext, SourceInput } from '../sources/source.js';
import { dumpFilter, numberList, textList, type DumpFilterFlags, type RawEventFilter } from './dump-filter.js';
import { ExitCode, parseByteSize } from './shared.js';
import { parseTimeArg } from './time-args.js';

type DumpFormat = 'jsonl' | 'xml';

interface DumpFlags extends DumpFilterFlags {
  format: DumpFormat;
  inputFormat?: SourceName;
  output?: string;
  threads?: number;
  maxRecordBytes: number;
  quiet?: boolean;
}

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
    const threads = pool ? { pool } : flags.threads === undefined ? {} : { threads: flags.threads };
    for await (const text of readEvtxText(input, ctx, { mode, ...threads })) {
      if (w.stop.signal.aborted) break;
      await w.text(text);
    }
    return true;
  }
  for await (const e of source.read(input, ctx)) {
    if (w.stop.signal.aborted) break;
    if (keeps && !keeps(e)) continue;
    await w.line(families.dumpLine(e, flags.format === 'xml' ? 'xml' : 'json'));
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
  const threads = flags.threads ?? availableParallelism() - 1;
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
    jsonShapes: families.jsonShapes,
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
    .option('--threads <n>', 'EVTX decoding worker threads (0 = none; default: automatic for large files)', (v) => Number.parseInt(v, 10))
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
