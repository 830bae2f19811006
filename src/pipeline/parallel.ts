import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Piscina } from 'piscina';
import type { Analyzer } from '../engine/analyzer.js';
import type { BoundCorrelation } from '../rules/correlation.js';
import { encodeEntry } from '../rules/content-entry.js';
import type { Detection } from '../rules/detection.js';
import type { RunReport } from '../diagnostics/run-report.js';
import { expandInputs, readHead } from '../sources/inputs.js';
import { sourceForHead, type SourceName } from '../sources/registry.js';
import type { SourceInput } from '../sources/source.js';
import type { TableStore } from '../engine/saved-tables.js';
import { KIND_TESTS_MIN_BYTES, scanInput, type ScanOptions } from './scan.js';
import type { ShareResult, ShareTask } from './scan-worker.js';
import { inputOf, WorkQueue, type WorkItem } from './work-queue.js';

export interface ParallelOptions extends ScanOptions {
  /** the selected content, handed to workers as data */
  detections: Detection[];
  correlations: BoundCorrelation[];
  maxGroups: number;
  evidenceCap?: number;
  /** UTC-aligned finding windows (seconds), when the run has them */
  windowSeconds?: number;
  /** called now and then with the bytes of the finished pieces of every thread */
  onSharedProgress?: (doneBytes: number) => void;
  /** where this thread's prefilter and detector tables were saved: workers restore theirs from the same bytes */
  savedTables?: { prefilter?: TableStore; indexes?: TableStore };
}

/**
 * Below this much input the workers' start-up (each loads the modules, parses the content and
 * compiles the hot code again: about 0.1 s of CPU) costs more than they save. Measured on a
 * 2-core VM, one thread against two workers: 207 MiB of EVTX 0.49 s against 0.63 s; 828 MiB of
 * EVTX 1.21 s against 1.07 s; 257 MB of JSON lines 0.72 s against 0.69 s; 1 GB of JSON lines
 * 2.36 s against 1.48 s.
 */
const MIN_PARALLEL_BYTES = 512 * 1024 * 1024;
/** large files are cut into pieces of this size (where their format allows), so that threads share even one file */
const PIECE_BYTES = 4 * 1024 * 1024;
const WORKER_OLD_SPACE_MB = 64;
const WORKER_YOUNG_SPACE_MB = 4;
const PROGRESS_MS = 100;

/** What the parallel scan needs from a pool: how many worker threads it has, and a way to run a share of the scan on one. */
export interface ShareRunner {
  /** worker threads beside this one (0: everything is scanned here) */
  readonly workers: number;
  run(task: ShareTask): Promise<ShareResult>;
}

/**
 * Worker threads for a scan, started as early as possible so that their start-up overlaps the
 * main thread's own (loading and compiling content).
 */
export class ScanPool implements ShareRunner {
  private constructor(
    readonly workers: number,
    private piscina?: Piscina,
  ) {}

  /**
   * `threads` workers, or none for 1 (this thread then scans alone). piscina is imported only when
   * workers are wanted: most scans run in one thread and skip its start-up cost.
   */
  static async start(threads: number): Promise<ScanPool> {
    if (threads <= 1) return new ScanPool(0);
    const { Piscina } = await import('piscina');
    const filename = new URL('./scan-worker.js', import.meta.url).href;
    // Capped heaps make each worker collect garbage early: peak memory stays flat however many files it reads.
    const resourceLimits = { maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB, maxYoungGenerationSizeMb: WORKER_YOUNG_SPACE_MB };
    return new ScanPool(threads, new Piscina({ filename, minThreads: threads, maxThreads: threads, idleTimeout: 1000, resourceLimits }));
  }

  run(task: ShareTask): Promise<ShareResult> {
    if (!this.piscina) throw new Error('ScanPool has no threads');
    return this.piscina.run(task);
  }

  /** this pool's workers stopped, and a pool without any (this thread scans alone) */
  async withoutWorkers(): Promise<ScanPool> {
    await this.close();
    return new ScanPool(0);
  }

  async close(): Promise<void> {
    const piscina = this.piscina;
    this.piscina = undefined;
    await piscina?.destroy();
  }
}

/**
 * From this many detections, a scan whose threads were chosen automatically keeps to one: each
 * worker holds its own copy of the compiled rules and their indexes. With SigmaHQ's five
 * categories (3,475 detections) that is ~90 MB a thread: two threads peaked at ~345 MB against
 * ~170-190 MB for one (past the 256 MB budget, so the input's size decided peak memory), and on
 * 770 MB of JSON lines they were no faster on 2 cores (4.6-5.5 s against 4.3-6.2 s). `-t N` is obeyed.
 */
const AUTOMATIC_THREADS_MAX_DETECTIONS = 1000;

/** whether a pool started for `requested` threads (undefined: chosen automatically) keeps its workers once `detections` are loaded */
export function keepsWorkers(requested: number | undefined, detections: number): boolean {
  return requested !== undefined || detections <= AUTOMATIC_THREADS_MAX_DETECTIONS;
}

/** The inputs of a scan, expanded up front so the thread decision can be made before content loads. */
export interface InputPlan {
  /** regular files (plain or .gz), which any thread can read */
  files: SourceInput[];
  /**
   * what threads share: every file whole, but a large one of a format that can be read in pieces
   * (EVTX, JSON lines, syslog) cut up; largest first, so that no thread is left with a big piece
   * at the end
   */
  pieces: WorkItem[];
  /** stdin and FIFOs: read once, in this thread */
  local: SourceInput[];
  errors: Array<{ path: string; message: string }>;
}

export interface PlanOptions {
  /** the forced input format, if any */
  format?: SourceName;
  /** size of the pieces a large file is cut into (PIECE_BYTES) */
  pieceBytes?: number;
}

export async function planInputs(inputs: string[], options: PlanOptions = {}): Promise<InputPlan> {
  const plan: InputPlan = { files: [], pieces: [], local: [], errors: [] };
  for await (const item of expandInputs(inputs)) {
    if (!('open' in item)) plan.errors.push({ path: item.path, message: item.message });
    else if (item.name === '-' || item.size === undefined) plan.local.push(item);
    else {
      plan.files.push(item);
      plan.pieces.push(...(await piecesOf(item, options)));
    }
  }
  plan.pieces.sort((a, b) => b.size - a.size);
  return plan;
}

async function piecesOf(input: SourceInput, options: PlanOptions): Promise<WorkItem[]> {
  const pieceBytes = options.pieceBytes ?? PIECE_BYTES;
  const gzip = input.path === undefined;
  const size = input.size ?? 0;
  // only a large plain file is sniffed here; the read sniffs every input anyway
  const head = !gzip && size >= 2 * pieceBytes ? await readHead(input) : undefined;
  const ranges = head && sourceForHead(head, options.format)?.split?.(input, pieceBytes, head);
  return ranges ? ranges.map((range) => ({ name: input.name, size: range.end - range.start, gzip, range })) : [{ name: input.name, size, gzip }];
}

/** the bytes of the planned files (inputs without a size, such as stdin, count nothing) */
function planBytes(plan: InputPlan): number {
  return plan.pieces.reduce((sum, p) => sum + p.size, 0);
}

/**
 * Files smaller than this in all get no record prefilter: reading its saved tables and building
 * its automata (WebAssembly instances, tables written into their memory) costs a scan more than
 * parsing every record of so little input (the crossover measured on OTRF's JSON lines lies
 * between 64 and 256 KiB: bench/README.md, seventeenth session).
 */
export const PREFILTER_MIN_BYTES = 64 * 1024;

/**
 * Whether a scan of this plan runs the record prefilter (src/engine/prefilter.ts). Decided for
 * the whole scan before its content loads, so no thread builds what it would not use. Input of
 * unknown size (stdin, a FIFO) and compressed files, which may hold many times their size, count
 * as large.
 */
export function prefilterPays(plan: InputPlan): boolean {
  return mayHold(plan, PREFILTER_MIN_BYTES);
}

/** whether a plan may hold `bytes` or more: input of unknown size and compressed files may */
function mayHold(plan: InputPlan, bytes: number): boolean {
  return plan.local.length > 0 || plan.pieces.some((piece) => piece.gzip) || planBytes(plan) >= bytes;
}

/**
 * Worker threads for this input: the number asked for, or when none was, one per core once the
 * files hold enough bytes to pay for a worker's start-up. 1 means no workers at all. Never more
 * workers than pieces.
 */
export function threadsFor(plan: InputPlan, requested?: number): number {
  const totalBytes = planBytes(plan);
  const most = Math.max(1, plan.pieces.length);
  if (requested !== undefined) return Math.max(1, Math.min(requested, most));
  return totalBytes >= MIN_PARALLEL_BYTES ? Math.min(availableParallelism(), most) : 1;
}

/**
 * Scans the planned inputs and merges partial findings and reports: the same result as a
 * sequential scan because finding states merge order-free. With workers, the pieces are taken
 * from one shared queue. This thread, already running, scans only until every worker has
 * started: the bulk of the scan runs in workers, whose capped heaps keep memory flat however long
 * it runs (this thread's heap grows with a run's length).
 */
export async function scanInputsParallel(analyzer: Analyzer, plan: InputPlan, scanOptions: ParallelOptions, report: RunReport, pool: ShareRunner): Promise<void> {
  report.inputErrors.push(...plan.errors);
  const options = { ...scanOptions, kindTests: mayHold(plan, KIND_TESTS_MIN_BYTES) };
  for (const input of plan.local) await scanInput(input, analyzer, options, report);
  if (pool.workers === 0) for (const input of plan.files) await scanInput(input, analyzer, options, report);
  else await scanShared(analyzer, plan.pieces, options, report, pool);
  report.resolvePieceLines();
  report.files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function scanShared(analyzer: Analyzer, pieces: WorkItem[], options: ParallelOptions, report: RunReport, pool: ShareRunner): Promise<void> {
  const queue = new WorkQueue(pieces);
  const entry = encodeEntry({ detections: options.detections, correlations: options.correlations, errors: [], notLoaded: [], notRun: [] });
  // one copy of the bytes for every thread, written straight from the text (Latin-1: a byte per character)
  const contentEntry = new SharedArrayBuffer(entry.length);
  Buffer.from(contentEntry).write(entry, 'latin1');
  const task: Omit<ShareTask, 'thread'> = {
    items: queue.items,
    shared: queue.shared,
    contentEntry,
    contentKey: createHash('sha256').update(entry, 'latin1').digest('hex'),
    format: options.format,
    maxRecordBytes: options.maxRecordBytes,
    maxGroups: options.maxGroups,
    evidenceCap: options.evidenceCap,
    windowSeconds: options.windowSeconds,
    prefilter: options.prefilter !== undefined,
    kindTests: options.kindTests !== false,
    prefilterTables: options.savedTables?.prefilter?.read(),
    indexTables: options.savedTables?.indexes?.read(),
    timeRange: options.timeRange,
  };
  // A worker that dies (say, at its memory limit) loses nothing: its partial state was never
  // merged, so the pieces it took are scanned again here, where the heap is not capped.
  const retry: WorkItem[] = [];
  const workers = Array.from({ length: pool.workers }, (_, w) =>
    pool.run({ ...task, thread: w + 1 }).then(
      (result) => {
        analyzer.merge(result.partials);
        report.merge(result.report);
      },
      (error: unknown) => {
        report.threadFailures.push(`scan thread ${w + 1} stopped: ${error instanceof Error ? error.message : String(error)}`);
        retry.push(...queue.takenBy(w + 1));
      },
    ),
  );
  const progress = options.onSharedProgress && setInterval(() => options.onSharedProgress?.(queue.doneBytes), PROGRESS_MS);
  try {
    const scanHere = { ...options, onInputStart: undefined, onProgress: undefined };
    const scanEach = async (next: () => number) => {
      for (let i = next(); i >= 0; i = next()) {
        await scanInput(inputOf(queue.items[i]), analyzer, scanHere, report);
        queue.finish(i);
      }
    };
    // until the workers have started, the smallest pieces: the large ones are left for them
    await scanEach(() => (queue.started >= pool.workers ? -1 : queue.takeLast(0)));
    await Promise.all(workers);
    // what no worker took (they all failed to start) and what dead workers took
    await scanEach(() => queue.take(0));
    for (const item of retry) await scanInput(inputOf(item), analyzer, scanHere, report);
  } finally {
    if (progress) clearInterval(progress);
  }
}
