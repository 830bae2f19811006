import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { renderFinding } from '../../src/engine/render.js';
import { RunReport } from '../../src/diagnostics/run-report.js';
import { testables } from '../../src/pipeline/content-test.js';
import { scanInputs } from '../../src/pipeline/scan.js';
import { loadContent } from '../../src/rules/content.js';
import { contentDir, repoRoot } from '../helpers/paths.js';

/**
 * Golden files: each detection's test data → the exact findings it must produce, committed
 * under test/golden/expected. Regenerate deliberately with UPDATE_GOLDEN=1 and review the diff.
 */
const goldenDir = path.join(repoRoot, 'test/golden/expected');
const update = process.env.UPDATE_GOLDEN === '1';

const { detections, correlations, errors } = await loadContent([path.join(contentDir, 'detections')], [path.join(contentDir, 'correlations')]);

test('every shipped detection and correlation loads without errors', () => {
  assert.deepEqual(errors, []);
  assert.ok(detections.length >= 7);
  assert.ok(correlations.length >= 1);
});

for (const { detection, analyzer } of testables(detections, correlations)) {
  for (const [index, t] of detection.tests.entries()) {
    const slug = `${path.basename(detection.file, '.yml')}.${index}-${t.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
    test(`golden: ${detection.name} / ${t.name} gives exactly the committed findings`, async () => {
      const inputs = t.attackData.map((a) => path.join(contentDir, a.data));
      const analysis = analyzer();
      const report = new RunReport();
      await scanInputs(analysis, inputs, { maxRecordBytes: 1024 * 1024 }, report);
      // evidence names the files as given (absolute here): kept relative to the repository, so goldens hold on any machine
      const records = analysis.findings().map(renderFinding).map((r) => ({ ...r, evidence: r.evidence.map((e) => ({ ...e, source: path.relative(repoRoot, e.source) })) }));
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
