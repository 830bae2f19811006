import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { Detector } from '../../src/engine/detector.js';
import { renderFinding, type FindingRecord } from '../../src/engine/render.js';
import { RunReport } from '../../src/diagnostics/run-report.js';
import { scanInputs, type ScanOptions } from '../../src/pipeline/scan.js';
import type { Detection } from '../../src/rules/detection.js';

/** repository root (tests run from dist/test/...) */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const sharedData = path.resolve(repoRoot, '../shared/data');
export const sharedDataMissing = existsSync(sharedData) ? false : `../shared/data absent (${sharedData}): real-log tests need the shared corpus`;
export const contentDir = path.join(repoRoot, 'content');

/** Runs the real pipeline in-process: sources → normalize → detect → rendered findings. */
export async function scanToRecords(
  detections: Detection[],
  inputs: string[],
  options: Partial<ScanOptions> = {},
): Promise<{ records: FindingRecord[]; report: RunReport }> {
  const detector = new Detector(detections);
  const report = new RunReport();
  await scanInputs(detector, { inputs, maxRecordBytes: 1024 * 1024, ...options }, report);
  return { records: detector.findings().map(renderFinding), report };
}
