import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Piscina } from 'piscina';
import type { Analyzer } from '../engine/analyzer.js';
import type { BoundCorrelation } from '../rules/correlation.js';
import type { Detection } from '../rules/detection.js';
import type { RunReport } from '../diagnostics/run-report.js';
import { expandInputs } from '../sources/inputs.js';
import type { SourceInput } from '../sources/source.js';
import { scanInput, type ScanOptions } from './scan.js';
import type { FileResult, FileTask } from './scan-worker.js';

export interface ParallelOptions extends ScanOptions {
  /** the selected content, handed to workers as data */
  detections: Detection[];
  correlations: BoundCorrelation[];
  maxGroups: number;
}

/**
 * Below this much input worker threads cost more than they save. Measured on a 2-core VM: one
 * thread scans 257 MB of JSON lines in 1.15-1.24 s and two take 1.32-1.48 s (each thread's start-up
 * and garbage collection, and the two contending for memory bandwidth); at 1 GB two threads win
 * by 10-15%.
 */
const MIN_PARALLEL_BYTES = 512 * 1024 * 1024;

/** smallest task: below it the per-task cost (clone, hand-off, merge) outweighs the scan */
const BATCH_BYTES = 8 * 1024 * 1024;
const WORKER_OLD_SPACE_MB = 64;
const WORKER_YOUNG_SPACE_MB = 16;

/** What the parallel scan needs from a pool: how many worker threads it has, and a way to run a file task on one. */
export interface FileTaskRunner {
  /** worker threads beside this one (0: everything is scanned here) */
  readonly workers: number;
  run(task: FileTask): Promise<FileResult>;
}

/**
 * Worker threads for a scan, started as early as possible so that their start-up overlaps the
 * main thread's own (loading and compiling content).
 */
export class ScanPool implements FileTaskRunner {
  private constructor(readonly threads: number, private readonly piscina?: Piscina) {}

  /** piscina is imported only when threads are wanted: most scans run in one thread and skip its start-up cost */
  static async start(threads: number): Promise<ScanPool> {
    if (threads <= 1) return new ScanPool(1);
    // this thread is one of the `threads`: it scans batches too
    const workers = threads - 1;
    const { Piscina } = await import('piscina');
    const filename = new URL('./scan-worker.js', import.meta.url).href;
    // Capped heaps make each worker collect garbage early: peak memory stays flat however many files it reads.
    const resourceLimits = { maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB, maxYoungGenerationSizeMb: WORKER_YOUNG_SPACE_MB };
    return new ScanPool(threads, new Piscina({ filename, minThreads: workers, maxThreads: workers, idleTimeout: 1000, resourceLimits }));
  }

  run(task: FileTask): Promise<FileResult> {
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
  /** inputs on disk, scanned by workers when worth it */
  files: SourceInput[];
  /** stdin: always read in this thread */
  local: SourceInput[];
  errors: Array<{ path: string; message: string }>;
}

export async function planInputs(inputs: string[]): Promise<InputPlan> {
  const plan: InputPlan = { files: [], local: [], errors: [] };
  for await (const item of expandInputs(inputs)) {
    if (!('open' in item)) plan.errors.push({ path: item.path, message: item.message });
    else (item.name !== '-' ? plan.files : plan.local).push(item);
  }
  return plan;
}

/**
 * Threads for this input: the number asked for, or when none was, all cores but only for several
 * files large enough to pay for the workers. Never more threads than files.
 */
export function threadsFor(plan: InputPlan, requested?: number): number {
  const files = plan.files.length;
  if (requested !== undefined) return Math.max(1, Math.min(requested, files));
  const totalBytes = plan.files.reduce((sum, f) => sum + (f.size ?? 0), 0);
  return files >= 2 && totalBytes >= MIN_PARALLEL_BYTES ? Math.min(availableParallelism(), files) : 1;
}

/**
 * Scans the planned inputs and merges partial findings and reports: the same result as a
 * sequential scan because finding states merge order-free. With a parallel pool, file batches
 * are shared out from one queue between the workers and this thread, which scans too: it is
 * already started, so the first batches cost no thread start-up, and one core never waits idle
 * for a worker.
 */
export async function scanInputsParallel(analyzer: Analyzer, plan: InputPlan, options: ParallelOptions, report: RunReport, pool: FileTaskRunner): Promise<void> {
  report.inputErrors.push(...plan.errors);
  const queue = pool.workers > 0 ? batches(plan.files) : [plan.files];
  // A worker that dies (say, at its memory limit) loses nothing: its partial state was never
  // merged, so its files are scanned again here, where the heap is not capped.
  const retry: SourceInput[] = [];
  const contentJson = JSON.stringify({ detections: options.detections, correlations: options.correlations });
  const shared = { contentJson, contentKey: createHash('sha256').update(contentJson).digest('hex') };
  const runRemote = (batch: SourceInput[]) =>
    runTask(pool, batch, options, shared).then(
      (result) => mergeResult(analyzer, report, result),
      () => retry.push(...batch),
    );
  const workerLanes = Array.from({ length: pool.workers }, () => workerLane(queue, runRemote));
  const scanHere = async (inputs: SourceInput[]) => {
    for (const input of inputs) await scanInput(input, analyzer, options, report);
  };
  await scanHere(plan.local);
  for (let batch = queue.shift(); batch; batch = queue.shift()) await scanHere(batch);
  await Promise.all(workerLanes);
  await scanHere(retry);
  report.files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Feeds one worker from the shared queue, keeping a second batch queued behind the one it runs:
 * while this thread scans, it answers a finished task only when it next yields, and the worker
 * must not wait for that.
 */
async function workerLane(queue: SourceInput[][], run: (batch: SourceInput[]) => Promise<unknown>): Promise<void> {
  const inFlight: Array<Promise<unknown>> = [];
  const submit = () => {
    const batch = queue.shift();
    if (batch) inFlight.push(run(batch));
  };
  submit();
  submit();
  while (inFlight.length > 0) {
    await inFlight.shift();
    submit();
  }
}

/**
 * Files grouped into tasks of at least BATCH_BYTES (a task's fixed cost would dominate a small
 * file), largest first so the pool's queue balances the threads (longest-processing-time order).
 */
function batches(files: SourceInput[]): SourceInput[][] {
  const bySize = [...files].sort((a, b) => (b.size ?? 0) - (a.size ?? 0));
  const out: SourceInput[][] = [];
  let current: SourceInput[] = [];
  let bytes = 0;
  for (const file of bySize) {
    current.push(file);
    bytes += file.size ?? 0;
    if (bytes >= BATCH_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

async function runTask(
  pool: FileTaskRunner,
  batch: SourceInput[],
  options: ParallelOptions,
  content: Pick<FileTask, 'contentJson' | 'contentKey'>,
): Promise<FileResult> {
  for (const input of batch) options.onInputStart?.(input);
  const task: FileTask = {
    paths: batch.map((input) => input.name),
    ...content,
    format: options.format,
    maxRecordBytes: options.maxRecordBytes,
    maxGroups: options.maxGroups,
    prefilter: options.prefilter !== undefined,
    timeRange: options.timeRange,
  };
  const result = await pool.run(task);
  for (const input of batch) options.onProgress?.(input, input.size ?? 0);
  return result;
}

function mergeResult(analyzer: Analyzer, report: RunReport, result: FileResult): void {
  analyzer.merge(result.partials);
  report.merge(result.report);
}
