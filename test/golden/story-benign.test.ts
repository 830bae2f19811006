import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Analyzer } from '../../src/engine/analyzer.js';
import { RunReport } from '../../src/diagnostics/run-report.js';
import { scanInputs } from '../../src/pipeline/scan.js';
import { loadDetections } from '../../src/rules/escu.js';
import { contentDir, sharedData, sharedDataMissing } from '../helpers/paths.js';

/** The seven story detections sit directly in content/detections (tunnelwatch's own are in a subfolder). */
const storyFiles = readdirSync(path.join(contentDir, 'detections'))
  .filter((f) => f.endsWith('.yml'))
  .map((f) => path.join(contentDir, 'detections', f));

test('no story detection fires on the real benign logs (JSON Sysmon, Linux Sysmon, EVTX Sysmon and Security)', { skip: sharedDataMissing }, async () => {
  const { detections, errors } = await loadDetections(storyFiles);
  assert.deepEqual(errors, []);
  assert.equal(detections.length, 7);
  const analyzer = new Analyzer(detections, []);
  const report = new RunReport();
  const sets = ['json-sysmon', 'linux-sysmon', 'evtx-sysmon', 'evtx-security'].map((d) => path.join(sharedData, d));
  await scanInputs(analyzer, sets, { maxRecordBytes: 4 << 20 }, report);
  assert.ok(report.events > 130_000, `the benign sets were really read (${report.events} events)`);
  for (const source of ['Sysmon EventID 1', 'Sysmon EventID 22', 'Sysmon EventID 3', 'Sysmon EventID 7', 'Windows Event Log Security 4688', 'Sysmon for Linux EventID 1']) {
    assert.ok((report.eventsByDataSource.get(source) ?? 0) > 0, `the sets hold ${source} events, so the detections were exercised`);
  }
  assert.deepEqual(analyzer.findings().map((f) => f.detection.name), []);
});
