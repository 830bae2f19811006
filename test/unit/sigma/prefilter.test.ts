import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { test } from 'node:test';
import { RunReport } from '../../../src/diagnostics/run-report.js';
import { Detector } from '../../../src/engine/detector.js';
import { compilePredicate } from '../../../src/engine/predicate.js';
import { buildPrefilter, prefilterNeedles } from '../../../src/engine/prefilter.js';
import { renderFinding } from '../../../src/engine/render.js';
import { scanInputs, type EventObserver } from '../../../src/pipeline/scan.js';
import type { Detection } from '../../../src/rules/detection.js';
import { loadRules } from '../../../src/rules/rule-languages.js';
import type { RecordPrefilter } from '../../../src/sources/source.js';
import { examplesDir, sharedData, sharedDataMissing } from '../../helpers/paths.js';

const categories = ['windows/process_creation', 'windows/dns_query', 'windows/network_connection', 'windows/image_load', 'linux/process_creation'];

async function scan(detections: Detection[], inputs: string[], prefilter: RecordPrefilter | undefined) {
  const detector = new Detector(detections);
  const report = new RunReport();
  await scanInputs(detector, inputs, { maxRecordBytes: 1 << 20, prefilter }, report);
  return { findings: detector.findings().map((f) => JSON.stringify(renderFinding(f))).sort(), report };
}

test('SigmaHQ rules: findings with the prefilter equal findings without it, and some records are never parsed', { skip: sharedDataMissing }, async (t) => {
  const loaded = await loadRules(categories.map((c) => path.join(sharedData, 'sigma-rules', 'rules', c)));
  const { uncovered } = prefilterNeedles(loaded.detections);
  // rules without a witness (no literal every match contains) disable the prefilter: the rest are compared
  const witnessed = loaded.detections.filter((d) => !uncovered.includes(d));
  t.diagnostic(`${uncovered.length} of ${loaded.detections.length} rule/log source detections have no witness: ${[...new Set(uncovered.map((d) => path.basename(d.file)))].join(', ')}`);
  assert.ok(uncovered.length / loaded.detections.length < 0.02, `${uncovered.length} detections without a witness`);
  const prefilter = buildPrefilter(witnessed);
  assert.ok(prefilter);
  // attack samples, where most records are what the rules look for: the test is equality, not the rate
  const inputs = ['tunnel', 'evtx-sysmon', 'linux-sysmon', 'examples'].map((d) => path.join(sharedData, d));
  const withFilter = await scan(witnessed, inputs, prefilter);
  const without = await scan(witnessed, inputs, undefined);
  assert.deepEqual(withFilter.findings, without.findings);
  assert.ok(without.findings.length > 50, `only ${without.findings.length} findings: the comparison proves little`);
  assert.ok(withFilter.report.prefiltered > 0, `no record was prefiltered (${withFilter.report.events} parsed)`);
});

test('every SigmaHQ rule, those without a witness included: findings on JSON lines with the prefilter equal findings without it, and records of other kinds are never parsed', { skip: sharedDataMissing }, async (t) => {
  const loaded = await loadRules(categories.map((c) => path.join(sharedData, 'sigma-rules', 'rules', c)));
  assert.ok(prefilterNeedles(loaded.detections).uncovered.length > 0, 'the point is the rules without a witness');
  const prefilter = buildPrefilter(loaded.detections);
  assert.ok(prefilter?.usesKind, 'with rules without a witness the prefilter decides by kind');
  // a sample of each real OTRF capture (every Sysmon kind, Security, PowerShell...) and the tunnel events
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-sigma-kinds-'));
  try {
    const inputs = ['otrf-empire-dcom-shellwindows', 'otrf-covenant-dcom-iertutil', 'otrf-lsass05-sharpdump'].map((name) => {
      const file = path.join(dir, `${name}.jsonl`);
      const lines = gunzipSync(readFileSync(path.join(sharedData, 'json-sysmon', `${name}.jsonl.gz`))).toString('utf8').split('\n');
      // the first 4,000 lines, then every 10th: the kinds and DLL loads of the whole capture, not only its start
      writeFileSync(file, lines.filter((line, i) => line !== '' && (i < 4000 || i % 10 === 0)).join('\n') + '\n');
      return file;
    });
    // and every format of attack data, where records of unknown kind must all be parsed
    inputs.push(path.join(examplesDir, 'sysmon-nxlog.jsonl'), ...['tunnel', 'examples'].map((d) => path.join(sharedData, d)));
    const withFilter = await scan(loaded.detections, inputs, prefilter);
    const without = await scan(loaded.detections, inputs, undefined);
    assert.deepEqual(withFilter.findings, without.findings);
    t.diagnostic(`${without.findings.length} findings; ${withFilter.report.prefiltered} of ${without.report.events} records ruled out unparsed`);
    assert.ok(without.findings.length >= 10, `only ${without.findings.length} findings: the comparison proves little`);
    assert.ok(withFilter.report.prefiltered > 10_000, `only ${withFilter.report.prefiltered} records ruled out`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SigmaHQ rules: the detector, which tests each event only against its candidate rules, counts the same matches as testing every rule', { skip: sharedDataMissing }, async () => {
  const loaded = await loadRules(categories.map((c) => path.join(sharedData, 'sigma-rules', 'rules', c)));
  const naive = new Map<string, number>();
  const compiled = loaded.detections.map((d) => ({ d, matches: compilePredicate(d.plan.where) }));
  const everyRule: EventObserver = {
    datasets: new Set(loaded.detections.map((d) => d.plan.dataset)),
    observe(event) {
      for (const { d, matches } of compiled) if (d.plan.dataset === event.dataset && matches(event.fields)) naive.set(d.id, (naive.get(d.id) ?? 0) + 1);
    },
  };
  const inputs = ['tunnel', 'evtx-sysmon', 'linux-sysmon', 'examples', 'sigma-regression'].map((d) => path.join(sharedData, d));
  await scanInputs(everyRule, inputs, { maxRecordBytes: 1 << 20 }, new RunReport());
  const detector = new Detector(loaded.detections);
  await scanInputs(detector, inputs, { maxRecordBytes: 1 << 20 }, new RunReport());
  const indexed = new Map<string, number>();
  for (const f of detector.findings()) indexed.set(f.detection.id, (indexed.get(f.detection.id) ?? 0) + f.count);
  assert.deepEqual([...indexed].sort(), [...naive].sort());
  assert.ok(naive.size > 100, `only ${naive.size} rules matched: the comparison proves little`);
});
