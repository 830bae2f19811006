import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { Analyzer } from '../engine/analyzer.js';
import type { RunReport } from '../diagnostics/run-report.js';
import { expandInputs } from '../sources/inputs.js';
import type { SourceInput } from '../sources/source.js';
import { scanInput, type ScanOptions } from './scan.js';
import type { FileResult, FileTask } from './scan-worker.js';

export interface ParallelOptions extends ScanOptions {
  /** worker threads; 1 scans in this thread */
  threads: number;
  /** where workers load content from, and which detections and correlations to run */
  rules: string[];
  correlationDirs: string[];
  selectedIds: string[];
  maxGroups: number;
}

/** Below this much input a worker's start-up costs more than it saves. */
const MIN_PARALLEL_BYTES = 4 * 1024 * 1024;

export function defaultThreads(): number {
  return availableParallelism();
}

/**
 * Scans files in worker threads, one file per task, and merges their partial findings and
 * reports: the same result as a sequential scan because finding states merge order-free.
 * stdin is always read here.
 */
export async function scanInputsParallel(detector: Analyzer, options: ParallelOptions, report: RunReport): Promise<void> {
  const files: SourceInput[] = [];
  const local: SourceInput[] = [];
  for await (const item of expandInputs(options.inputs)) {
    if (!('open' in item)) report.inputErrors.push({ path: item.path, message: item.message });
    else (item.name !== '-' ? files : local).push(item);
  }
  const totalBytes = files.reduce((sum, f) => sum + (f.size ?? 0), 0);
  if (options.threads <= 1 || files.length < 2 || totalBytes < MIN_PARALLEL_BYTES) {
    local.unshift(...files);
    files.length = 0;
  }
  const pool = files.length > 0 ? newPool(options.threads) : undefined;
  try {
    const tasks = files.map((input) => runTask(pool!, input, options).then((result) => mergeResult(detector, report, result)));
    for (const input of local) await scanInput(input, detector, options, report);
    await Promise.all(tasks);
  } finally {
    await pool?.destroy();
  }
  report.files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function newPool(threads: number): Piscina {
  return new Piscina({ filename: new URL('./scan-worker.js', import.meta.url).href, maxThreads: threads, minThreads: 1, idleTimeout: 1000 });
}

async function runTask(pool: Piscina, input: SourceInput, options: ParallelOptions): Promise<FileResult> {
  options.onInputStart?.(input);
  const task: FileTask = {
    path: input.name,
    rules: options.rules,
    correlationDirs: options.correlationDirs,
    selectedIds: options.selectedIds,
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

function mergeResult(detector: Analyzer, report: RunReport, result: FileResult): void {
  detector.merge(result.partials);
  report.merge(result.report);
}
