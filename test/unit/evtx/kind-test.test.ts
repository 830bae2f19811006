import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { RunReport } from '../../../src/diagnostics/run-report.js';
import { Detector } from '../../../src/engine/detector.js';
import { buildPrefilter, prefilterNeedles } from '../../../src/engine/prefilter.js';
import { renderFinding } from '../../../src/engine/render.js';
import { scanInputs } from '../../../src/pipeline/scan.js';
import type { Detection } from '../../../src/rules/detection.js';
import { loadDetections } from '../../../src/rules/escu.js';
import { loadRules } from '../../../src/rules/rule-languages.js';
import type { RecordPrefilter } from '../../../src/sources/source.js';
import { contentDir, sharedData, sharedDataMissing } from '../../helpers/paths.js';

/**
 * EVTX records the prefilter's literals pass are tested against the rules of their EventID once
 * that is decoded, before the rest of the record is: a Security 4648 logon holding `127.0.0.1` (the
 * RDP-through-a-loopback-tunnel rule's literal, not its event code) is dropped there.
 */
const evtxInputs = () => ['evtx-sysmon', 'evtx-security'].map((d) => path.join(sharedData, d));

async function scan(detections: Detection[], prefilter: RecordPrefilter | undefined, kindTests = true) {
  const detector = new Detector(detections);
  const report = new RunReport();
  await scanInputs(detector, evtxInputs(), { maxRecordBytes: 1 << 20, prefilter, kindTests }, report);
  return { findings: detector.findings().map((f) => JSON.stringify(renderFinding(f))).sort(), report };
}

test('EVTX: the shipped rules find the same with the test by EventID as with the literals alone and without any prefilter; 4648 logons and 4624 logons from loopback that are no RDP logons are not normalized', { skip: sharedDataMissing }, async () => {
  const { detections } = await loadDetections([path.join(contentDir, 'detections')]);
  const prefilter = buildPrefilter(detections);
  assert.ok(prefilter?.mayMatchKindUtf16, 'the shipped rules give a prefilter with tests by kind');
  const byKind = await scan(detections, prefilter);
  const literalsOnly = await scan(detections, prefilter, false);
  const unfiltered = await scan(detections, undefined);
  assert.ok(unfiltered.findings.length > 0, 'no findings: the comparison proves nothing');
  assert.deepEqual(byKind.findings, unfiltered.findings);
  assert.deepEqual(literalsOnly.findings, unfiltered.findings);
  const logons4648 = (r: RunReport) => r.eventsByDataSource.get('Windows Event Log Security 4648') ?? 0;
  assert.ok(logons4648(literalsOnly.report) > 0, 'the samples hold 4648 logons the literals pass');
  assert.equal(logons4648(byKind.report), 0);
  // a 4624 holding 127.0.0.1 meets the RDP rule's literal; its LogonType (decoded, not 10) vetoes it
  const logons4624 = (r: RunReport) => r.eventsByDataSource.get('Windows Event Log Security 4624') ?? 0;
  assert.ok(logons4624(literalsOnly.report) > 0, 'the samples hold 4624 logons the literals pass');
  assert.equal(logons4624(byKind.report), 0);
  assert.ok(byKind.report.events < literalsOnly.report.events, `${byKind.report.events} parsed by kind, ${literalsOnly.report.events} by literals`);
  // every record is either parsed or counted as ruled out, whichever test ruled it out
  assert.equal(byKind.report.events + byKind.report.prefiltered, unfiltered.report.events);
  assert.equal(literalsOnly.report.events + literalsOnly.report.prefiltered, unfiltered.report.events);
});

test('EVTX: with every SigmaHQ rule (some without a witness, so no literal test), records of kinds no rule reads are not decoded and the findings are those of no prefilter', { skip: sharedDataMissing }, async () => {
  const categories = ['windows/process_creation', 'windows/dns_query', 'windows/network_connection', 'windows/image_load'];
  const { detections } = await loadRules(categories.map((c) => path.join(sharedData, 'sigma-rules', 'rules', c)));
  assert.ok(prefilterNeedles(detections).uncovered.length > 0, 'the point is the rules without a witness');
  const prefilter = buildPrefilter(detections);
  assert.ok(prefilter?.usesKind, 'with rules without a witness the prefilter decides by kind');
  const byKind = await scan(detections, prefilter);
  const unfiltered = await scan(detections, undefined);
  assert.ok(unfiltered.findings.length >= 10, `only ${unfiltered.findings.length} findings: the comparison proves little`);
  assert.deepEqual(byKind.findings, unfiltered.findings);
  // the five categories read Sysmon 1, 3, 7, 22 and Security 4688: the samples' other records (4624 logons, Sysmon 10, 11, 13...) are ruled out
  assert.ok(byKind.report.prefiltered > 1000, `only ${byKind.report.prefiltered} records ruled out`);
  const unread = ['Windows Event Log Security 4624', 'Sysmon EventID 10', 'Sysmon EventID 11', 'Sysmon EventID 12', 'Sysmon EventID 13'];
  const count = (r: RunReport, source: string) => r.eventsByDataSource.get(source) ?? 0;
  assert.ok(unread.every((source) => count(unfiltered.report, source) > 0), 'the samples hold records of each of these kinds');
  for (const source of unread) assert.equal(count(byKind.report, source), 0, `${source} records decoded`);
  assert.equal(byKind.report.events + byKind.report.prefiltered, unfiltered.report.events);
});
