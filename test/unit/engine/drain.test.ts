import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Analyzer } from '../../../src/engine/analyzer.js';
import { renderFinding } from '../../../src/engine/render.js';
import { RunReport } from '../../../src/diagnostics/run-report.js';
import { scanInput } from '../../../src/pipeline/scan.js';
import { bufferInput } from '../../../src/pipeline/stream.js';
import { loadDetections } from '../../../src/rules/escu.js';
import { examplesDir, repoRoot } from '../../helpers/paths.js';

const { detections } = await loadDetections([path.join(repoRoot, 'content/detections')]);
const lines = readFileSync(path.join(examplesDir, 'sysmon-nxlog.jsonl'), 'utf8').split('\n').filter(Boolean);

/** lines [from, to) of the file, fed as a bus message holding them is (placed where they start in the file) */
async function feed(analyzer: Analyzer, from: number, to: number): Promise<void> {
  const before = Buffer.byteLength(lines.slice(0, from).map((l) => `${l}\n`).join(''));
  const input = { ...bufferInput('sysmon-nxlog.jsonl', Buffer.from(lines.slice(from, to).map((l) => `${l}\n`).join(''))), startsAt: { line: from + 1, offset: before } };
  await scanInput(input, analyzer, { maxRecordBytes: 1 << 20, format: 'jsonl' }, new RunReport());
}

function findingsOf(analyzer: Analyzer): string[] {
  return analyzer.findings().map((f) => JSON.stringify(renderFinding(f))).sort();
}

test('a drained batch ships only its own events: nothing of the batch before leaks into it, and an idle drain is empty', async () => {
  const worker = new Analyzer(detections, []);
  const middle = Math.floor(lines.length / 2);
  await feed(worker, 0, middle);
  const first = worker.drain();
  const idle = worker.drain();
  await feed(worker, middle, lines.length);
  const second = worker.drain();
  assert.ok(first.detections.length > 0 && second.detections.length > 0, 'both halves raise findings');
  assert.deepEqual(idle.detections, [], 'nothing observed, nothing shipped');

  // each batch's state is exactly what a fresh analyzer makes of that batch alone
  for (const [from, to, drained] of [[0, middle, first], [middle, lines.length, second]] as const) {
    const alone = new Analyzer(detections, []);
    await feed(alone, from, to);
    assert.deepEqual(drained.detections, alone.partials().detections);
  }

  // and the two merged are the whole file's findings
  const merged = new Analyzer(detections, []);
  merged.merge(first);
  merged.merge(second);
  const whole = new Analyzer(detections, []);
  await feed(whole, 0, lines.length);
  assert.deepEqual(findingsOf(merged), findingsOf(whole));
});
