import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
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

/** Below this much input a worker's start-up costs more than it saves. */
const MIN_PARALLEL_BYTES = 16 * 1024 * 1024;

const WORKER_OLD_SPACE_MB = 48;
const WORKER_YOUNG_SPACE_MB = 16;

export function defaultThreads(): number {
  return availableParallelism();
}

/** What the parallel scan needs from a pool: whether it has threads, and a way to run a file task. */
export interface FileTaskRunner {
  readonly parallel: boolean;
  run(task: FileTask): Promise<FileResult>;
}

/**
 * Worker threads for a scan, started as early as possible so that their start-up overlaps the
 * main thread's own (loading and compiling content).
 */
export class ScanPool implements FileTaskRunner {
  private readonly piscina?: Piscina;

  constructor(readonly threads: number) {
    if (threads > 1) {
      const filename = new URL('./scan-worker.js', import.meta.url).href;
      // Capped heaps make each worker collect garbage early: peak memory stays flat however many files it reads.
      const resourceLimits = { maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB, maxYoungGenerationSizeMb: WORKER_YOUNG_SPACE_MB };
      this.piscina = new Piscina({ filename, minThreads: threads, maxThreads: threads, idleTimeout: 1000, resourceLimits });
    }
  }

  run(task: FileTask): Promise<FileResult> {
    if (!this.piscina) throw new Error('ScanPool has no threads');
    return this.piscina.run(task);
  }

  get parallel(): boolean {
    return this.piscina !== undefined;
  }

  async close(): Promise<void> {
    await this.piscina?.destroy();
  }
}

/**
 * Scans files in worker threads, one file per task, and merges their partial findings and
 * reports: the same result as a sequential scan because finding states merge order-free.
 * stdin is always read here.
 */
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

/** threads worth starting for this input: workers only pay off on several large files */
export function threadsFor(plan: InputPlan, maxThreads: number): number {
  const totalBytes = plan.files.reduce((sum, f) => sum + (f.size ?? 0), 0);
  return plan.files.length >= 2 && totalBytes >= MIN_PARALLEL_BYTES ? Math.min(maxThreads, plan.files.length) : 1;
}

/**
 * Scans the planned inputs, files in the pool's worker threads (one file per task) when it has
 * any, and merges their partial findings and reports: the same result as a sequential scan
 * because finding states merge order-free.
 */
export async function scanInputsParallel(analyzer: Analyzer, plan: InputPlan, options: ParallelOptions, report: RunReport, pool: FileTaskRunner): Promise<void> {
  report.inputErrors.push(...plan.errors);
  const remote = pool.parallel ? [...plan.files] : [];
  const local = pool.parallel ? plan.local : [...plan.files, ...plan.local];
  // largest first: the queue then balances the threads (longest-processing-time scheduling)
  remote.sort((a, b) => (b.size ?? 0) - (a.size ?? 0));
  // A worker that dies (say, at its memory limit) loses nothing: its partial state was never
  // merged, so the file is scanned again here, where the heap is not capped.
  const retry: SourceInput[] = [];
  const tasks = remote.map((input) =>
    runTask(pool, input, options).then(
      (result) => mergeResult(analyzer, report, result),
      () => retry.push(input),
    ),
  );
  for (const input of local) await scanInput(input, analyzer, options, report);
  await Promise.all(tasks);
  for (const input of retry) await scanInput(input, analyzer, options, report);
  report.files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function runTask(pool: FileTaskRunner, input: SourceInput, options: ParallelOptions): Promise<FileResult> {
  options.onInputStart?.(input);
  const task: FileTask = {
    path: input.name,
    detections: options.detections,
    correlations: options.correlations,
    format: options.format,
    maxRecordBytes: options.maxRecordBytes,
    maxGroups: options.maxGroups,
    prefilter: options.prefilter !== undefined,
    timeRange: options.timeRange,
  };
  const result: FileResult = await pool.run(task);
  options.onProgress?.(input, input.size ?? 0);
  return result;
}

function mergeResult(analyzer: Analyzer, report: RunReport, result: FileResult): void {
  analyzer.merge(result.partials);
  report.merge(result.report);
}
