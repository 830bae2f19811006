import { Detector, type PartialFinding } from '../engine/detector.js';
import { buildPrefilter } from '../engine/prefilter.js';
import { RunReport, type RunReportData } from '../diagnostics/run-report.js';
import { loadDetections } from '../rules/escu.js';
import type { Detection } from '../rules/detection.js';
import { expandInputs } from '../sources/inputs.js';
import type { SourceName } from '../sources/registry.js';
import { scanInput } from './scan.js';

export interface FileTask {
  path: string;
  rules: string[];
  /** ids of the detections to run (the main thread did selection) */
  detectionIds: string[];
  format?: SourceName;
  maxRecordBytes: number;
  maxGroups: number;
  prefilter: boolean;
  timeRange?: { from?: number; to?: number };
}

export interface FileResult {
  partials: PartialFinding[];
  report: RunReportData;
}

/** Detections loaded once per worker thread and reused for every file it scans. */
const loaded = new Map<string, Promise<Detection[]>>();

function detectionsFor(task: FileTask): Promise<Detection[]> {
  const key = task.rules.join('\u0000');
  if (!loaded.has(key)) loaded.set(key, loadDetections(task.rules).then((r) => r.detections));
  return loaded.get(key)!.then((all) => all.filter((d) => task.detectionIds.includes(d.id)));
}

/** Scans one file in a worker thread and returns its mergeable partial state. */
export default async function scanFileTask(task: FileTask): Promise<FileResult> {
  const detections = await detectionsFor(task);
  const detector = new Detector(detections, { maxGroupsPerDetection: task.maxGroups });
  const report = new RunReport();
  for await (const input of expandInputs([task.path])) {
    if (!('open' in input)) {
      report.inputErrors.push(input);
      continue;
    }
    await scanInput(
      input,
      detector,
      {
        inputs: [task.path],
        format: task.format,
        maxRecordBytes: task.maxRecordBytes,
        prefilter: task.prefilter ? buildPrefilter(detections) : undefined,
        timeRange: task.timeRange,
      },
      report,
    );
  }
  return { partials: detector.partials(), report: report.toData() };
}
