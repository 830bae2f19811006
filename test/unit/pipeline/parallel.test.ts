import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Analyzer } from '../../../src/engine/analyzer.js';
import { renderFinding } from '../../../src/engine/render.js';
import { RunReport } from '../../../src/diagnostics/run-report.js';
import { planInputs, scanInputsParallel, threadsFor, type FileTaskRunner } from '../../../src/pipeline/parallel.js';
import { loadContent } from '../../../src/rules/content.js';
import { contentDir, repoRoot } from '../../helpers/paths.js';

const examples = path.join(repoRoot, 'examples');
const content = await loadContent([path.join(contentDir, 'detections')], [path.join(contentDir, 'correlations')]);
const options = { detections: content.detections, correlations: content.correlations, maxGroups: 1000, maxRecordBytes: 1 << 20 };

async function scanWith(runner: FileTaskRunner) {
  const analyzer = new Analyzer(content.detections, content.correlations);
  const report = new RunReport();
  await scanInputsParallel(analyzer, await planInputs([examples]), options, report, runner);
  return { findings: analyzer.findings().map(renderFinding), report };
}

test('a file whose worker dies is scanned again in the main thread: no finding is lost or doubled', async () => {
  const sequential = await scanWith({ workers: 0, run: () => Promise.reject(new Error('unused')) });
  let attempts = 0;
  const dying: FileTaskRunner = {
    workers: 1,
    run: () => {
      attempts++;
      return Promise.reject(new Error('ERR_WORKER_OUT_OF_MEMORY'));
    },
  };
  const recovered = await scanWith(dying);
  assert.ok(attempts > 0, 'the tasks went to the (dying) workers first');
  assert.ok(sequential.findings.length > 0);
  assert.deepEqual(recovered.findings, sequential.findings);
  assert.equal(recovered.report.events, sequential.report.events);
});

test('automatic threads start workers only for several files holding enough bytes to pay for them', async () => {
  const small = await planInputs([examples]);
  assert.equal(threadsFor(small), 1);
  const big = { ...small, files: small.files.map((f) => ({ ...f, size: 256 << 20 })) };
  assert.ok(threadsFor(big) >= 1);
  assert.equal(threadsFor({ ...big, files: big.files.slice(0, 1) }), 1);
});

test('an explicit thread count is obeyed, but never more threads than files', async () => {
  const plan = await planInputs([examples]);
  assert.ok(plan.files.length >= 2);
  assert.equal(threadsFor(plan, 2), 2);
  assert.equal(threadsFor(plan, 64), plan.files.length);
  assert.equal(threadsFor(plan, 1), 1);
});
