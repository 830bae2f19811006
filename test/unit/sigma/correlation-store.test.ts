import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Analyzer } from '../../../src/engine/analyzer.js';
import { PartialStore } from '../../../src/store/partials.js';
import { boundFrom, correlationFile, proc } from './correlation-helpers.js';

const body = `    type: temporal_ordered\n    rules: [rule_a, rule_b]\n    group-by: [Computer]\n    timespan: 30s`;

test('Sigma correlation groups split over bus messages, stored as partial rows (SQLite) and merged on read, give the findings of one pass', async () => {
  const correlations = boundFrom(correlationFile(body));
  // per host: a at 0, b at 20 (in order); a group's events land in different messages
  const events = ['h1', 'h2', 'h3'].flatMap((h, i) => [proc(100 * i, 'a.exe', h), proc(100 * i + 20, 'b.exe', h), proc(100 * i + 25, 'c.exe', h)]);
  const one = new Analyzer([], correlations);
  events.forEach((e) => one.observe(e));
  assert.equal(one.findings().length, 3);

  const dir = mkdtempSync(path.join(tmpdir(), 'sigma-store-'));
  const store = await PartialStore.open(path.join(dir, 'partials.db'));
  try {
    const worker = new Analyzer([], correlations);
    const messages = [0, 1, 2].map((m) => {
      events.filter((_, i) => i % 3 === m).forEach((e) => worker.observe(e));
      return { id: `m${m}`, source: 'test', events: 3, partials: worker.drain(), storedAt: Date.now() };
    });
    await store.commit(messages, 'w1');
    // a redelivered message inserts nothing
    await store.commit([messages[0]], 'w2');
    const merged = new Analyzer([], correlations);
    for await (const page of store.partials()) merged.merge(page);
    assert.deepEqual(merged.findings(), one.findings());
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
