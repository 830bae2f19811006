import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Detector } from '../../../src/engine/detector.js';
import { buildPrefilter, prefilterNeedles } from '../../../src/engine/prefilter.js';
import { renderFinding } from '../../../src/engine/render.js';
import { RunReport } from '../../../src/diagnostics/run-report.js';
import { scanInputs } from '../../../src/pipeline/scan.js';
import { loadDetections } from '../../../src/rules/escu.js';
import type { Detection } from '../../../src/rules/detection.js';
import type { RecordPrefilter } from '../../../src/sources/source.js';

import { repoRoot as repo, sharedData as dataDir, sharedDataMissing as noData } from '../../helpers/paths.js';

const { detections: shipped, errors } = await loadDetections([path.join(repo, 'content/detections')]);
// Every shipped detection when the prefilter can run at all; otherwise the ones it can cover, so the
// equality still exercises the prefilter (and the test below reports which detections disable it).
const { uncovered } = prefilterNeedles(shipped);
const detections: Detection[] = uncovered.length === 0 ? shipped : shipped.filter((d) => !uncovered.includes(d));
const prefilter = buildPrefilter(detections);

async function scan(inputs: string[], filter: RecordPrefilter | undefined): Promise<{ findings: string[]; report: RunReport }> {
  const detector = new Detector(detections);
  const report = new RunReport();
  await scanInputs(detector, inputs, { maxRecordBytes: 1024 * 1024, prefilter: filter }, report);
  const findings = detector.findings().map((f) => JSON.stringify(renderFinding(f)));
  return { findings: findings.sort(), report };
}

function sets(): Array<[string, string]> {
  const out: Array<[string, string]> = [['examples/', path.join(repo, 'examples')], ['content/tests/', path.join(repo, 'content/tests')]];
  if (!noData) for (const d of readdirSync(dataDir).sort()) out.push([`../shared/data/${d}`, path.join(dataDir, d)]);
  return out;
}

test('shipped detections load without content errors', () => {
  assert.deepEqual(errors, []);
  assert.ok(shipped.length > 0);
});

test('every shipped detection has a required literal, so the prefilter is on for the shipped set', () => {
  assert.deepEqual(
    uncovered.map((d) => d.name),
    [],
    'these detections have no literal of 3+ characters on a verbatim field that every match must contain',
  );
});

for (const [name, dir] of sets()) {
  test(`findings with the prefilter equal findings without it: ${name}`, { skip: existsSync(dir) ? undefined : `${dir} absent` }, async () => {
    assert.ok(prefilter, 'no prefilter could be built from the covered detections');
    const withFilter = await scan([dir], prefilter);
    const without = await scan([dir], undefined);
    assert.deepEqual(withFilter.findings, without.findings);
    assert.equal(without.report.prefiltered, 0);
  });
}

test('the shipped examples produce findings (the equality above is not between two empty lists)', async () => {
  const { findings } = await scan([path.join(repo, 'examples')], prefilter);
  assert.ok(findings.length > 0);
});

test('the prefilter rules out json-sysmon records without parsing them', { skip: noData }, async () => {
  const { report } = await scan([path.join(dataDir, 'json-sysmon')], prefilter);
  assert.ok(report.prefiltered > 0, `no record was prefiltered (${report.events} parsed)`);
});
