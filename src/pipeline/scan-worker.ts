import { Analyzer, type AnalyzerPartials } from '../engine/analyzer.js';
import { buildPrefilter } from '../engine/prefilter.js';
import { RunReport, type RunReportData } from '../diagnostics/run-report.js';
import type { BoundCorrelation } from '../rules/correlation.js';
import type { Content } from '../rules/content.js';
import { decodeEntry } from '../rules/content-entry.js';
import type { Detection } from '../rules/detection.js';
import type { SourceName } from '../sources/registry.js';
import type { RecordPrefilter } from '../sources/source.js';
import type { TableStore } from '../engine/saved-tables.js';
import { scanInput } from './scan.js';
import { inputOf, WorkQueue, type WorkItem } from './work-queue.js';

/** One worker's share of a scan: it takes pieces from the shared queue until none is left. */
export interface ShareTask {
  items: WorkItem[];
  /** the queue's shared memory */
  shared: SharedArrayBuffer;
  /** this worker's number in the queue (1, 2, ...; 0 is the main thread) */
  thread: number;
  /**
   * the compiled content as a content entry's bytes (content-entry.ts), shared by every thread:
   * bytes cross to a thread far cheaper than an object graph, and each rule's search and details
   * are parsed only where used
   */
  contentEntry: SharedArrayBuffer;
  /** hash of contentEntry: each thread decodes a given content once */
  contentKey: string;
  format?: SourceName;
  maxRecordBytes: number;
  maxGroups: number;
  evidenceCap?: number;
  windowSeconds?: number;
  prefilter: boolean;
  /** the prefilter's tests by kind (decided for the whole scan) */
  kindTests: boolean;
  /** the main thread's saved prefilter and candidate-index tables (saved-tables.ts), when it has them */
  prefilterTables?: Uint8Array;
  indexTables?: Uint8Array;
  timeRange?: { from?: number; to?: number };
}

export interface ShareResult {
  partials: AnalyzerPartials;
  report: RunReportData;
}

interface PreparedContent {
  detections: Detection[];
  correlations: BoundCorrelation[];
  prefilter?: RecordPrefilter;
}

/** per thread: the content of the current scan, parsed once and reused while the pool lives */
const prepared = new Map<string, PreparedContent>();

function prepare(task: ShareTask): PreparedContent {
  let content = prepared.get(task.contentKey);
  if (!content) {
    const decoded = decodeEntry<Content>(Buffer.from(task.contentEntry), 'handed to a scan thread');
    if (!decoded) throw new Error('a scan thread was handed content it cannot decode');
    const { detections, correlations } = decoded;
    const steps = correlations.flatMap((c) => c.steps.flatMap((s) => s.detections));
    content = { detections, correlations, prefilter: task.prefilter ? buildPrefilter([...detections, ...steps], undefined, readOnly(task.prefilterTables)) : undefined };
    prepared.clear();
    prepared.set(task.contentKey, content);
  }
  return content;
}

/** Tables to restore from, never to save to (without them a worker builds its own, lazily) */
function readOnly(bytes: Uint8Array | undefined): TableStore | undefined {
  return bytes && { read: () => bytes, write: () => undefined };
}

/** Scans pieces in a worker thread until the queue is empty and returns their mergeable partial state. */
export default async function scanShare(task: ShareTask): Promise<ShareResult> {
  const { detections, correlations, prefilter } = prepare(task);
  const analyzer = new Analyzer(detections, correlations, {
    maxGroupsPerDetection: task.maxGroups,
    windowSeconds: task.windowSeconds,
    evidenceCap: task.evidenceCap,
    guardHeap: false,
    indexTables: readOnly(task.indexTables),
  });
  const report = new RunReport();
  const queue = new WorkQueue(task.items, task.shared);
  queue.start();
  const options = { format: task.format, maxRecordBytes: task.maxRecordBytes, prefilter, kindTests: task.kindTests, timeRange: task.timeRange };
  for (let i = queue.take(task.thread); i >= 0; i = queue.take(task.thread)) {
    await scanInput(inputOf(queue.items[i]), analyzer, options, report);
    queue.finish(i);
  }
  // one share per worker and scan: merged once, even if a result were delivered twice
  return { partials: analyzer.partials({ producer: `thread-${task.thread}`, sequence: 0 }), report: report.toData() };
}
