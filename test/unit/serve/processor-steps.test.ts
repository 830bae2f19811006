import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatOfSourcetype } from '../../../src/ingest/hec-events.js';
import { Journal } from '../../../src/ingest/journal.js';
import { JournalProcessor } from '../../../src/serve/processor.js';
import { openStore } from '../../../src/store/registry.js';
import type { FindingStore } from '../../../src/store/store.js';
import { defaultSetup, replaySourcetypes } from '../../helpers/serve.js';
import { repoRoot } from '../../helpers/paths.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** every example file as HEC requests of `perRecord` events each (one journal record per request), in file order */
function exampleRecords(perRecord: number): Array<{ sourcetype: string; body: Buffer }> {
  const out: Array<{ sourcetype: string; body: Buffer }> = [];
  for (const [file, sourcetype] of replaySourcetypes) {
    const lines = readFileSync(path.join(repoRoot, 'examples', file), 'utf8').split('\n').filter((l) => l.trim() !== '');
    for (let i = 0; i < lines.length; i += perRecord) out.push({ sourcetype, body: Buffer.from(`${lines.slice(i, i + perRecord).join('\n')}\n`) });
  }
  return out;
}

/** the store's findings (without revisions and update times), each with its contributing event references and risk events; the incidents */
async function contents(store: FindingStore) {
  const { items } = await store.listFindings({ limit: 10_000 });
  const findings = [];
  for (const f of items.sort((a, b) => a.record.finding_id.localeCompare(b.record.finding_id))) {
    const detail = (await store.getFinding(f.record.finding_id))!;
    findings.push({ record: f.record, firstTime: f.firstTime, lastTime: f.lastTime, events: detail.events.map((e) => e.ref).sort(), risk: detail.riskEvents.length });
  }
  const incidents = (await store.incidents()).sort((a, b) => `${a.risk_object}\u0000${a.firstTime}`.localeCompare(`${b.risk_object}\u0000${b.firstTime}`));
  return { findings, incidents };
}

/** the journal processed through a fresh store, `stepBytes` at a time; what the store then holds */
async function processed(records: Array<{ sourcetype: string; body: Buffer }>, stepBytes: number) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-steps-'));
  dirs.push(dir);
  const journal = Journal.open(path.join(dir, 'journal'));
  const store = await openStore(dir);
  try {
    for (const r of records) await journal.append({ origin: 'hec', sourcetype: r.sourcetype, format: formatOfSourcetype(r.sourcetype) }, r.body);
    const processor = await JournalProcessor.open({ store, journal, setup: await defaultSetup(), stepBytes, stepMs: 60_000 });
    let steps = 0;
    while (await processor.step()) steps++;
    return { steps, ...(await contents(store)) };
  } finally {
    journal.close();
    await store.close();
  }
}

test('a step of many journal records renders each changed finding once and stores exactly what one record per step stores: findings, evidence references per record, risk events, incidents', async () => {
  const records = exampleRecords(3);
  const perRecord = await processed(records, 1);
  const oneStep = await processed(records, 64 * 1024 * 1024);
  assert.equal(perRecord.steps, records.length);
  assert.equal(oneStep.steps, 1);
  assert.ok(perRecord.findings.length >= 7, `the examples raise the story's findings (${perRecord.findings.length})`);
  assert.ok(perRecord.findings.every((f) => f.events.length > 0));
  assert.deepEqual(oneStep.findings, perRecord.findings);
  assert.deepEqual(oneStep.incidents, perRecord.incidents);
});
