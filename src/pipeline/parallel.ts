import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Piscina } from 'piscina';
import type { Analyzer } from '../engine/analyzer.js';
import type { BoundCorrelation } from '../rules/correlation.js';
import type { Detection } from '../rules/detection.js';
import type { RunReport } from '../diagnostics/run-report.js';
import { expandInputs } from '../sources/inputs.js';
import { pickSource } from '../sources/registry.js';
import type { SourceInput } from '../sources/source.js';
import { scanInput, type ScanOptions } from './scan.js';
import type { ShareResult, ShareTask } from './scan-worker.js';
import { inputOf, WorkQueue, type WorkItem } from './work-queue.js';

export interface ParallelOptions extends ScanOptions {
  /** the selected content, handed to workers as data */
  detections: Detection[];
  correlations: BoundCorrelation[];
  maxGroups: number;
  /** called now and then with the bytes of the finished pieces of every thread */
  onSharedProgress?: (doneBytes: number) => void;
  /** size of the pieces a large EVTX file is cut into (PIECE_BYTES) */
  pieceBytes?: number;
}

/**
 * Below this much input a worker thread's start-up (its modules, content and first compilations,
 * about 0.1 s) costs more than the share of the scan it takes.
 */
const MIN_PARALLEL_BYTES = 64 * 1024 * 1024;
/** large EVTX files are cut into pieces of this size, so that threads share even one file */
const PIECE_BYTES = 4 * 1024 * 1024;
const WORKER_OLD_SPACE_MB = 64;
const WORKER_YOUNG_SPACE_MB = 16;
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
  private constructor(readonly threads: number, private readonly piscina?: Piscina) {}

  /** piscina is imported only when threads are wanted: most scans run in one thread and skip its start-up cost */
  static async start(threads: number): Promise<ScanPool> {
    if (threads <= 1) return new ScanPool(1);
    // this thread is one of the `threads`: it scans too
    const workers = threads - 1;
    const { Piscina } = await import('piscina');
    const filename = new URL('./scan-worker.js', import.meta.url).href;
    // Capped heaps make each worker collect garbage early: peak memory stays flat however many files it reads.
    const resourceLimits = { maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB, maxYoungGenerationSizeMb: WORKER_YOUNG_SPACE_MB };
    return new ScanPool(threads, new Piscina({ filename, minThreads: workers, maxThreads: workers, idleTimeout: 1000, resourceLimits }));
  }

  run(task: ShareTask): Promise<ShareResult> {
    if (!this.piscina) throw new Error('ScanPool has no threads');
    return this.piscina.run(task);
  }

  get workers(): number {
    return this.piscina ? this.threads - 1 : 0;
  }

  async close(): Promise<void> {
    await this.piscina?.destroy();
  }
}

/** The inputs of a scan, expanded up front so the thread decision can be made before content loads. */
export interface InputPlan {
  /** regular files (plain or .gz), which any thread can read */
  files: SourceInput[];
  /** stdin and FIFOs: read once, in this thread */
  local: SourceInput[];
  errors: Array<{ path: string; message: string }>;
}

export async function planInputs(inputs: string[]): Promise<InputPlan> {
  const plan: InputPlan = { files: [], local: [], errors: [] };
  for await (const item of expandInputs(inputs)) {
    if (!('open' in item)) plan.errors.push({ path: item.path, message: item.message });
    else (item.name !== '-' && item.size !== undefined ? plan.files : plan.local).push(item);
  }
  return plan;
}

/**
 * Threads for this input: the number asked for, or when none was, all cores once the files hold
 * enough bytes to pay for a worker's start-up (one large EVTX file counts: threads share its
 * pieces). Never more threads than there could be pieces.
 */
export function threadsFor(plan: InputPlan, requested?: number): number {
  const totalBytes = plan.files.reduce((sum, f) => sum + (f.size ?? 0), 0);
  const pieces = Math.max(plan.files.length, Math.ceil(totalBytes / PIECE_BYTES));
  if (requested !== undefined) return Math.max(1, Math.min(requested, pieces));
  return totalBytes >= MIN_PARALLEL_BYTES ? Math.max(1, Math.min(availableParallelism(), pieces)) : 1;
}

/**
 * The pieces threads share: every file whole, but a large one of a format that can be read in
 * pieces (EVTX) cut up. Largest first, so that no thread is left with a big piece at the end.
 */
async function workItems(files: SourceInput[], options: ParallelOptions): Promise<WorkItem[]> {
  const pieceBytes = options.pieceBytes ?? PIECE_BYTES;
  const items: WorkItem[] = [];
  for (const input of files) {
    const gzip = input.path === undefined;
    const size = input.size ?? 0;
    const source = !gzip && size >= 2 * pieceBytes ? await pickSource(input, options.format) : undefined;
    const ranges = source?.split?.(input, pieceBytes);
    if (ranges) for (const range of ranges) items.push({ name: input.name, size: range.end - range.start, gzip, range });
    else items.push({ name: input.name, size, gzip });
  }
  return items.sort((a, b) => b.size - a.size);
}

/**
 * Scans the planned inputs and merges partial findings and reports: the same result as a
 * sequential scan because finding states merge order-free. With workers, the pieces are taken
 * from one shared queue by the workers and by this thread, which scans too: it is already
 * started, so the first pieces cost no thread start-up.
 */
export async function scanInputsParallel(analyzer: Analyzer, plan: InputPlan, options: ParallelOptions, report: RunReport, pool: ShareRunner): Promise<void> {
  report.inputErrors.push(...plan.errors);
  for (const input of plan.local) await scanInput(input, analyzer, options, report);
  if (pool.workers === 0) for (const input of plan.files) await scanInput(input, analyzer, options, report);
  else await scanShared(analyzer, plan.files, options, report, pool);
  report.files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function scanShared(analyzer: Analyzer, files: SourceInput[], options: ParallelOptions, report: RunReport, pool: ShareRunner): Promise<void> {
  const queue = new WorkQueue(await workItems(files, options));
  const contentJson = JSON.stringify({ detections: options.detections, correlations: options.correlations });
  const task: Omit<ShareTask, 'thread'> = {
    items: queue.items,
    shared: queue.shared,
    contentJson,
    contentKey: createHash('sha256').update(contentJson).digest('hex'),
    format: options.format,
    maxRecordBytes: options.maxRecordBytes,
    maxGroups: options.maxGroups,
    prefilter: options.prefilter !== undefined,
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
      () => retry.push(...queue.takenBy(w + 1)),
    ),
  );
  const progress = options.onSharedProgress && setInterval(() => options.onSharedProgress?.(queue.doneBytes), PROGRESS_MS);
  try {
    const scanHere = { ...options, onInputStart: undefined, onProgress: undefined };
    for (let i = queue.take(0); i >= 0; i = queue.take(0)) {
      await scanInput(inputOf(queue.items[i]), analyzer, scanHere, report);
      queue.finish(i);
    }
    await Promise.all(workers);
    for (const item of retry) await scanInput(inputOf(item), analyzer, scanHere, report);
  } finally {
    if (progress) clearInterval(progress);
  }
}
