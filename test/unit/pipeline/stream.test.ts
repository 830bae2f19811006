import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { runBatch } from '../../../src/pipeline/batch.js';
import { parsePipelineConfig, type PipelineConfig } from '../../../src/pipeline/config.js';
import { planInputs } from '../../../src/pipeline/parallel.js';
import { isSetupProblem, preparePipeline, type PipelineSetup } from '../../../src/pipeline/setup.js';
import { bufferInput, StreamPipeline, type PipelineCheckpoint } from '../../../src/pipeline/stream.js';
import { renderFinding } from '../../../src/engine/render.js';
import type { StreamSink, Upsert } from '../../../src/sinks/stream-sink.js';
import { contentDir, repoRoot } from '../../helpers/paths.js';

const examples = readdirSync(path.join(repoRoot, 'examples')).filter((f) => !f.endsWith('.md')).sort().map((f) => path.join(repoRoot, 'examples', f));

async function setupFor(config: unknown): Promise<PipelineSetup> {
  const parsed = parsePipelineConfig(config);
  assert.ok('config' in parsed, JSON.stringify(parsed));
  const setup = await preparePipeline(parsed.config, { contentRoot: contentDir });
  assert.ok(!isSetupProblem(setup), JSON.stringify(setup));
  return setup;
}

/** a sink that keeps every upsert, for the test to read */
function memorySink(): StreamSink & { upserts: Upsert[] } {
  const upserts: Upsert[] = [];
  return { upserts, async open() {}, async write(batch) { upserts.push(...batch); }, async close() {} };
}

/** what a consumer holds after every upsert: per id, the highest revision, without retracted ones */
function heldState(upserts: Upsert[], kind: 'finding' | 'risk_incident'): Map<string, Record<string, unknown>> {
  const held = new Map<string, Record<string, unknown>>();
  for (const u of upserts) {
    if (u.kind !== kind) continue;
    const id = kind === 'finding' ? (u as { finding_id: string }).finding_id : (u as { incident_id: string }).incident_id;
    const { kind: _k, revision: _r, status, incident_id: _i, ...rest } = u as Record<string, unknown>;
    if (status === 'retracted') held.delete(id);
    else held.set(id, kind === 'finding' ? rest : { kind, ...rest });
  }
  return held;
}

test('config: zod validation reports each problem at its path, and fills defaults', () => {
  const bad = parsePipelineConfig({ rules: [], findings: { windowSeconds: -5 }, surplus: 1 });
  assert.ok('errors' in bad);
  assert.ok(bad.errors.some((e) => e.startsWith('rules:')), bad.errors.join('\n'));
  assert.ok(bad.errors.some((e) => e.startsWith('findings.windowSeconds:')), bad.errors.join('\n'));
  assert.ok(bad.errors.some((e) => e.includes('surplus')), bad.errors.join('\n'));
  const good = parsePipelineConfig({ rules: ['content/detections'] });
  assert.ok('config' in good);
  assert.equal(good.config.findings.maxGroups, 100_000);
  assert.equal(good.config.risk.windowSeconds, 86_400);
});

test('stream pipeline fed file by file ends with exactly the findings, risk events and incidents of the batch run', async () => {
  const config = { rules: [path.join(contentDir, 'detections')] } satisfies Partial<PipelineConfig>;
  const setup = await setupFor(config);
  const batch = await runBatch(setup, await planInputs(examples), { workers: 0, run: () => Promise.reject(new Error('no threads')) });
  assert.ok(batch.results.findings.length > 0, 'the examples hold findings');

  const sink = memorySink();
  const stream = await StreamPipeline.open(setup, { sinks: [sink] });
  for (const file of examples) {
    await stream.ingest(bufferInput(file, readFileSync(file)));
    await stream.commit({});
  }
  const findings = heldState(sink.upserts, 'finding');
  assert.deepEqual(new Map([...findings].map(([id, r]) => [id, JSON.stringify(r)])), new Map(batch.results.tuned.kept.map((f) => [f.id, JSON.stringify(renderFinding(f))])));
  // a finding's risk events come right after its upsert and replace those it had (a renamed entity leaves no stale one)
  const byFinding = new Map<string, Map<string, string>>();
  for (const u of sink.upserts) {
    if (u.kind === 'finding') byFinding.set(u.finding_id, new Map());
    if (u.kind === 'risk_event') byFinding.get(u.finding_id)?.set(`${u.finding_id} ${u.risk_object}`, JSON.stringify({ ...u, kind: undefined }));
  }
  const riskEvents = new Map([...byFinding.values()].flatMap((m) => [...m]));
  assert.deepEqual(riskEvents, new Map(batch.results.riskEvents.map((e) => [`${e.finding_id} ${e.risk_object}`, JSON.stringify(e)])));
  const incidents = [...heldState(sink.upserts, 'risk_incident').values()];
  assert.deepEqual(new Set(incidents.map((i) => JSON.stringify(i))), new Set(batch.results.incidents.map((i) => JSON.stringify(i))));
  const revisions = sink.upserts.flatMap((u) => ('revision' in u ? [u.revision] : []));
  assert.deepEqual(revisions, [...revisions].sort((a, b) => a - b), 'revisions only grow');
});

test('a batch whose origin was already ingested is refused: redelivery never double-counts', async () => {
  const setup = await setupFor({ rules: [path.join(contentDir, 'detections')] });
  const sink = memorySink();
  const stream = await StreamPipeline.open(setup, { sinks: [sink] });
  const bytes = readFileSync(examples[0]);
  assert.equal(await stream.ingest(bufferInput('a', bytes), { producer: 'hec', sequence: 0 }), true);
  assert.equal(await stream.ingest(bufferInput('a', bytes), { producer: 'hec', sequence: 0 }), false);
  await stream.commit(null);
  const once = await StreamPipeline.open(setup, { sinks: [memorySink()] });
  await once.ingest(bufferInput('a', bytes));
  assert.deepEqual(stream.analyzer.findings().map(renderFinding), once.analyzer.findings().map(renderFinding));
  assert.equal(stream.report.events, once.report.events);
});

test('restored from a checkpoint (as JSON), a pipeline goes on to the same final state as one that never stopped', async () => {
  const setup = await setupFor({ rules: [path.join(contentDir, 'detections')], findings: { windowSeconds: 3600, allowedLatenessSeconds: 600 } });
  const whole = memorySink();
  const uninterrupted = await StreamPipeline.open(setup, { sinks: [whole] });
  for (const file of examples) {
    await uninterrupted.ingest(bufferInput(file, readFileSync(file)));
    await uninterrupted.commit({});
  }
  const before = memorySink();
  const first = await StreamPipeline.open<{ next: number }>(setup, { sinks: [before] });
  const half = Math.ceil(examples.length / 2);
  let checkpoint: PipelineCheckpoint<{ next: number }> | undefined;
  for (const [i, file] of examples.slice(0, half).entries()) {
    await first.ingest(bufferInput(file, readFileSync(file)));
    checkpoint = await first.commit({ next: i + 1 });
  }
  const saved = JSON.parse(JSON.stringify(checkpoint)) as PipelineCheckpoint<{ next: number }>;
  const after = memorySink();
  const resumed = await StreamPipeline.open(setup, { sinks: [after], checkpoint: saved });
  for (const file of examples.slice(saved.positions.next)) {
    await resumed.ingest(bufferInput(file, readFileSync(file)));
    await resumed.commit({ next: 0 });
  }
  assert.deepEqual(heldState([...before.upserts, ...after.upserts], 'finding'), heldState(whole.upserts, 'finding'));
  assert.deepEqual(heldState([...before.upserts, ...after.upserts], 'risk_incident'), heldState(whole.upserts, 'risk_incident'));
});

test('batchResults over windowed findings: each window is its own finding, with its window columns', async () => {
  const setup = await setupFor({ rules: [path.join(contentDir, 'detections')], findings: { windowSeconds: 60 } });
  const batch = await runBatch(setup, await planInputs(examples), { workers: 0, run: () => Promise.reject(new Error('no threads')) });
  // correlations keep their own per-process window
  const records = batch.results.findings.filter((f) => setup.detections.includes(f.detection)).map(renderFinding);
  assert.ok(records.length > 0);
  let timed = 0;
  for (const r of records) {
    assert.equal(typeof r.window_start, 'string');
    if (r.firstTime === undefined) continue;
    timed++;
    assert.ok(r.firstTime >= (r.window_start as string) && r.firstTime < (r.window_end as string), JSON.stringify(r));
  }
  assert.ok(timed > 0, 'some finding has a firstTime to check against its window');
});
