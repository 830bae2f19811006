import { Analyzer, type AnalyzerPartials } from '../engine/analyzer.js';
import { buildPrefilter } from '../engine/prefilter.js';
import { RunReport, type RunReportData } from '../diagnostics/run-report.js';
import type { BoundCorrelation } from '../rules/correlation.js';
import type { Detection } from '../rules/detection.js';
import { expandInputs } from '../sources/inputs.js';
import type { SourceName } from '../sources/registry.js';
import { scanInput } from './scan.js';

export interface FileTask {
  path: string;
  /** compiled content, cloned from the main thread: workers never re-read YAML */
  detections: Detection[];
  correlations: BoundCorrelation[];
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

/** Scans one file in a worker thread and returns its mergeable partial state. */
export default async function scanFileTask(task: FileTask): Promise<FileResult> {
  const analyzer = new Analyzer(task.detections, task.correlations, { maxGroupsPerDetection: task.maxGroups });
  const steps = task.correlations.flatMap((c) => c.steps.flatMap((s) => s.detections));
  const prefilter = task.prefilter ? buildPrefilter([...task.detections, ...steps]) : undefined;
  const report = new RunReport();
  for await (const input of expandInputs([task.path])) {
    if (!('open' in input)) {
      report.inputErrors.push(input);
      continue;
    }
    const options = { format: task.format, maxRecordBytes: task.maxRecordBytes, prefilter, timeRange: task.timeRange };
    await scanInput(input, analyzer, options, report);
  }
  return { partials: analyzer.partials(), report: report.toData() };
}
