import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { loadDetections } from '../../src/rules/escu.js';
import { contentDir, repoRoot, scanToRecords } from '../helpers/scan.js';

/**
 * Golden files: each detection's test data → the exact findings it must produce, committed
 * under test/golden/expected. Regenerate deliberately with UPDATE_GOLDEN=1 and review the diff.
 */
const goldenDir = path.join(repoRoot, 'test/golden/expected');
const update = process.env.UPDATE_GOLDEN === '1';

const { detections, errors } = await loadDetections([path.join(contentDir, 'detections')]);

test('every shipped detection loads without errors', () => {
  assert.deepEqual(errors, []);
  assert.ok(detections.length >= 7);
});

for (const detection of detections) {
  for (const [index, t] of detection.tests.entries()) {
    const slug = `${path.basename(detection.file, '.yml')}.${index}-${t.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
    test(`golden: ${detection.name} / ${t.name} gives exactly the committed findings`, async () => {
      const inputs = t.attackData.map((a) => path.join(contentDir, a.data));
      const { records, report } = await scanToRecords([detection], inputs);
      assert.equal(report.inputErrors.length, 0, JSON.stringify(report.inputErrors));
      const damaged = [...report.skips].filter(([code]) => code !== 'not-an-event');
      assert.deepEqual(damaged, [], 'test data should hold no damaged records');
      const actual = records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '');
      const file = path.join(goldenDir, `${slug}.jsonl`);
      if (update) {
        mkdirSync(goldenDir, { recursive: true });
        writeFileSync(file, actual);
      }
      assert.ok(existsSync(file), `missing golden file ${file}: run UPDATE_GOLDEN=1 npm test and review it`);
      assert.equal(actual, readFileSync(file, 'utf8'));
      if (t.expected) assert.equal(records.length, t.expected.findings, 'row count differs from the YAML test block');
    });
  }
}
