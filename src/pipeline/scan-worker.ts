import { Analyzer, type AnalyzerPartials } from '../engine/analyzer.js';
import { buildPrefilter } from '../engine/prefilter.js';
import { RunReport, type RunReportData } from '../diagnostics/run-report.js';
import { loadContent, type Content } from '../rules/content.js';
import { expandInputs } from '../sources/inputs.js';
import type { SourceName } from '../sources/registry.js';
import { scanInput } from './scan.js';

export interface FileTask {
  path: string;
  rules: string[];
  correlationDirs: string[];
  /** ids of the detections and correlations to run (the main thread did selection) */
  selectedIds: string[];
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

/** Content loaded once per worker thread and reused for every file it scans. */
const loaded = new Map<string, Promise<Content>>();

function contentFor(task: FileTask): Promise<Content> {
  const key = JSON.stringify([task.rules, task.correlationDirs]);
  if (!loaded.has(key)) loaded.set(key, loadContent(task.rules, task.correlationDirs));
  return loaded.get(key)!;
}

/** Scans one file in a worker thread and returns its mergeable partial state. */
export default async function scanFileTask(task: FileTask): Promise<FileResult> {
  const content = await contentFor(task);
  const selected = new Set(task.selectedIds);
  const detections = content.detections.filter((d) => selected.has(d.id));
  const correlations = content.correlations.filter((c) => selected.has(c.id));
  const analyzer = new Analyzer(detections, correlations, { maxGroupsPerDetection: task.maxGroups });
  const prefilter = task.prefilter ? buildPrefilter([...detections, ...correlations.flatMap((c) => c.steps.flatMap((s) => s.detections))]) : undefined;
  const report = new RunReport();
  for await (const input of expandInputs([task.path])) {
    if (!('open' in input)) {
      report.inputErrors.push(input);
      continue;
    }
    const options = { inputs: [task.path], format: task.format, maxRecordBytes: task.maxRecordBytes, prefilter, timeRange: task.timeRange };
    await scanInput(input, analyzer, options, report);
  }
  return { partials: analyzer.partials(), report: report.toData() };
}
