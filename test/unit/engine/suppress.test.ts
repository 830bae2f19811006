import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Detector } from '../../../src/engine/detector.js';
import { applyTuning, formatSuppressionSummary } from '../../../src/engine/suppress.js';
import { parseTuning } from '../../../src/rules/tuning.js';
import { by, cimEvent, detectionWith } from '../../helpers/detections.js';

const detection = detectionWith({ by: by('user', 'dest'), filterMacro: 'test_detection_filter' });

function findingsFor(events: Array<Record<string, string>>) {
  const detector = new Detector([detection]);
  events.forEach((e, i) => detector.observe(cimEvent(e, i)));
  return detector.findings();
}

test('a finding the filter rejects is suppressed and counted for its detection', () => {
  const { tuning } = parseTuning('t.yml', 'test_detection_filter: search NOT user IN ("CORP\\\\svc_*")\n', [detection]);
  const findings = findingsFor([{ user: 'corp\\SVC_build', dest: 'b1' }, { user: 'CORP\\alice', dest: 'w1' }]);
  const result = applyTuning(findings, tuning);
  assert.deepEqual(result.kept.map((f) => Object.fromEntries(f.by).user), ['CORP\\alice']);
  assert.deepEqual(result.suppressed.map((s) => [Object.fromEntries(s.finding.by).user, s.macro]), [['corp\\SVC_build', 'test_detection_filter']]);
  assert.deepEqual([...result.countsByDetection], [['Test Detection', 1]]);
  assert.match(formatSuppressionSummary(result, 't.yml'), /suppressed by tuning \(t\.yml\): 1\n {2}Test Detection: 1/);
});

test('AND / OR / NOT combine as in SPL; NOT f=v keeps rows where f is null-filled or absent', () => {
  const { tuning } = parseTuning('t.yml', 'test_detection_filter: search NOT (user="deploy" dest="build-*") OR dest="build-07"\n', [detection]);
  const findings = findingsFor([
    { user: 'deploy', dest: 'build-01' },
    { user: 'deploy', dest: 'build-07' },
    { user: 'deploy', dest: 'web-01' },
    { dest: 'build-02' },
  ]);
  const kept = applyTuning(findings, tuning).kept.map((f) => Object.fromEntries(f.by));
  assert.deepEqual(kept, [
    { user: 'deploy', dest: 'build-07' },
    { user: 'deploy', dest: 'web-01' },
    { user: 'null', dest: 'build-02' },
  ]);
});

test('detections without a tuning entry are untouched', () => {
  const findings = findingsFor([{ user: 'a', dest: 'b' }]);
  const result = applyTuning(findings, new Map());
  assert.equal(result.kept.length, 1);
  assert.equal(result.suppressed.length, 0);
});
