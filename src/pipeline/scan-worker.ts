import { Analyzer, type AnalyzerPartials } from '../engine/analyzer.js';
import { buildPrefilter } from '../engine/prefilter.js';
import { RunReport, type RunReportData } from '../diagnostics/run-report.js';
import type { BoundCorrelation } from '../rules/correlation.js';
import type { Detection } from '../rules/detection.js';
import { expandInputs } from '../sources/inputs.js';
import type { SourceName } from '../sources/registry.js';
import type { RecordPrefilter } from '../sources/source.js';
import { scanInput } from './scan.js';

export interface FileTask {
  /** files scanned one after the other by this task (small files travel together) */
  paths: string[];
  /** the compiled content as JSON: a string crosses to a thread far cheaper than an object graph */
  contentJson: string;
  /** hash of contentJson: each thread parses a given content once */
  contentKey: string;
  format?: SourceName;
  maxRecordBytes: number;
  maxGroups: number;
  prefilter: boolean;
  timeRange?: { from?: number; to?: number };
}

export interface FileResult {
  partials: AnalyzerPartials;
  report: RunReportData;
}

interface PreparedContent {
  detections: Detection[];
  correlations: BoundCorrelation[];
  prefilter?: RecordPrefilter;
}

/** per thread: the content of the current scan, parsed once and reused for every file */
const prepared = new Map<string, PreparedContent>();

function prepare(task: FileTask): PreparedContent {
  let content = prepared.get(task.contentKey);
  if (!content) {
    const { detections, correlations } = JSON.parse(task.contentJson) as { detections: Detection[]; correlations: BoundCorrelation[] };
    const steps = correlations.flatMap((c) => c.steps.flatMap((s) => s.detections));
    content = { detections, correlations, prefilter: task.prefilter ? buildPrefilter([...detections, ...steps]) : undefined };
    prepared.clear();
    prepared.set(task.contentKey, content);
  }
  return content;
}

/** Scans a task's files in a worker thread and returns their mergeable partial state. */
export default async function scanFileTask(task: FileTask): Promise<FileResult> {
  const { detections, correlations, prefilter } = prepare(task);
  const analyzer = new Analyzer(detections, correlations, { maxGroupsPerDetection: task.maxGroups });
  const report = new RunReport();
  for await (const input of expandInputs(task.paths)) {
    if (!('open' in input)) {
      report.inputErrors.push(input);
      continue;
    }
    const options = { format: task.format, maxRecordBytes: task.maxRecordBytes, prefilter, timeRange: task.timeRange };
    await scanInput(input, analyzer, options, report);
  }
  return { partials: analyzer.partials(), report: report.toData() };
}
