import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { Analyzer } from '../../../src/engine/analyzer.js';
import { renderFinding } from '../../../src/engine/render.js';
import { RunReport } from '../../../src/diagnostics/run-report.js';
import { keepsWorkers, planInputs, PREFILTER_MIN_BYTES, prefilterPays, ScanPool, scanInputsParallel, threadsFor, type ParallelOptions, type ShareRunner } from '../../../src/pipeline/parallel.js';
import { withFileLines } from '../../../src/pipeline/batch.js';
import { WorkQueue } from '../../../src/pipeline/work-queue.js';
import { loadContent } from '../../../src/rules/content.js';
import { contentDir, repoRoot, sharedData as dataDir, sharedDataMissing as noData } from '../../helpers/paths.js';

const examples = path.join(repoRoot, 'examples');
const content = await loadContent([path.join(contentDir, 'detections')], [path.join(contentDir, 'correlations')]);
const options: ParallelOptions = { detections: content.detections, correlations: content.correlations, maxGroups: 1000, maxRecordBytes: 1 << 20 };

async function scanWith(runner: ShareRunner, inputs = [examples], pieceBytes?: number) {
  const analyzer = new Analyzer(content.detections, content.correlations);
  const report = new RunReport();
  await scanInputsParallel(analyzer, await planInputs(inputs, { pieceBytes }), options, report, runner);
  return { findings: withFileLines(analyzer.findings(), report).map(renderFinding), report };
}

const sequentialRunner: ShareRunner = { workers: 0, run: () => Promise.reject(new Error('unused')) };

test('the pieces a worker took before it died are scanned again in the main thread: no finding is lost or doubled, and the report says which thread stopped and why', async () => {
  const sequential = await scanWith(sequentialRunner);
  let taken = 0;
  const dying: ShareRunner = {
    workers: 1,
    run: (task) => {
      // take pieces as a real worker would, then die before answering
      const queue = new WorkQueue(task.items, task.shared);
      for (let k = 0; k < 2 && queue.take(task.thread) >= 0; k++) taken++;
      return Promise.reject(new Error('ERR_WORKER_OUT_OF_MEMORY'));
    },
  };
  const recovered = await scanWith(dying);
  assert.equal(taken, 2, 'the dying worker took pieces first');
  assert.ok(sequential.findings.length > 0);
  assert.deepEqual(recovered.findings, sequential.findings);
  assert.equal(recovered.report.events, sequential.report.events);
  assert.deepEqual(recovered.report.files, sequential.report.files);
  assert.deepEqual(recovered.report.threadFailures, ['scan thread 1 stopped: ERR_WORKER_OUT_OF_MEMORY']);
  assert.deepEqual(sequential.report.threadFailures, []);
});


test('two real threads sharing the pieces of EVTX files find what one thread finds, with the same per-file counts', { skip: noData }, async () => {
  const inputs = [path.join(dataDir, 'evtx-security'), path.join(dataDir, 'evtx-sysmon'), examples];
  const sequential = await scanWith(sequentialRunner, inputs);
  const pool = await ScanPool.start(2);
  try {
    // pieces of 64 KiB cut even the small fixture into several
    const shared = await scanWith(pool, inputs, 64 * 1024);
    assert.ok(sequential.findings.length > 0);
    assert.deepEqual(shared.findings, sequential.findings);
    assert.deepEqual(shared.report.files, sequential.report.files);
    assert.deepEqual(shared.report.skips, sequential.report.skips);
    assert.equal(shared.report.events, sequential.report.events);
    assert.equal(shared.report.prefiltered, sequential.report.prefiltered);
  } finally {
    await pool.close();
  }
});

/**
 * `bytes` written to a file, scanned by one thread and by two sharing its 16 KiB pieces: the same
 * findings, per-file counts and skips; the shared scan's findings, for checks of their evidence.
 */
async function sharedEqualsSequential(t: TestContext, name: string, bytes: Buffer | string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-pieces-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  const sequential = await scanWith(sequentialRunner, [file]);
  const pool = await ScanPool.start(2);
  try {
    const shared = await scanWith(pool, [file], 16 * 1024);
    assert.ok(sequential.findings.length > 0, 'the tunnel tools were found');
    assert.deepEqual(shared.findings, sequential.findings);
    assert.deepEqual(shared.report.files, sequential.report.files);
    assert.deepEqual(shared.report.skips, sequential.report.skips, 'the same skips, located on the same lines');
    return shared;
  } finally {
    await pool.close();
  }
}

test('two threads sharing the pieces of one large JSON-lines file find what one thread finds, and skips and evidence keep the file\'s line numbers', async (t) => {
  const lines = Array.from({ length: 4000 }, (_, i) => {
    if (i % 997 === 5) return '{"broken": ';
    const image = i % 500 === 7 ? 'C:\\Users\\bob\\ngrok.exe' : `C:\\Windows\\System32\\svc${i % 13}.exe`;
    return JSON.stringify({ EventID: 1, SourceName: 'Microsoft-Windows-Sysmon', Channel: 'Microsoft-Windows-Sysmon/Operational', Hostname: `wks-${i % 7}`, EventTime: '2024-01-02 03:04:05', Image: image, CommandLine: `"${image}" tcp 3389 ${'a'.repeat(i % 3)}`, Company: 'x'.repeat(i % 300) });
  });
  const shared = await sharedEqualsSequential(t, 'events.jsonl', `${lines.join('\n')}\n`);
  assert.ok((shared.report.skips.get('invalid-json')?.count ?? 0) > 1, 'broken lines were skipped');
  const evidence = shared.findings.flatMap((f) => f.evidence);
  assert.ok(evidence.some((e) => (e.line ?? 0) > 1000), 'evidence from later pieces of the file');
  const lineStarts = lines.reduce<number[]>((starts, line) => [...starts, starts[starts.length - 1] + Buffer.byteLength(line) + 1], [0]);
  for (const e of evidence) assert.equal(lineStarts[(e.line as number) - 1], e.offset, `evidence line ${e.line} is the file's line that starts at byte ${e.offset}`);
});

test('two threads sharing the pieces of one large Windows XML file find what one thread finds, with the same skips, lines and offsets', async (t) => {
  // one event per line (Splunk), pretty-printed wevtutil documents, text between events and a truncated event
  const oneLine = readFileSync(path.join(examples, 'windows-sysmon.xml'), 'utf8');
  const pretty = readFileSync(path.join(examples, 'security-4688-wevtutil.xml'), 'utf8');
  const parts = Array.from({ length: 30 }, (_, i) => [oneLine, pretty, i % 7 === 3 ? 'not an event\n' : '', i % 11 === 5 ? '<Event><System><EventID>1</EventID>\n' : ''].join(''));
  const bytes = Buffer.from(parts.join(''));
  const shared = await sharedEqualsSequential(t, 'events.xml', bytes);
  assert.ok((shared.report.skips.get('garbage')?.count ?? 0) > 1, 'text between events was reported');
  const evidence = shared.findings.flatMap((f) => f.evidence);
  assert.ok(evidence.some((e) => (e.offset ?? 0) > 16 * 1024 * 4), 'evidence from later pieces of the file');
  for (const e of evidence) {
    const at = e.offset as number;
    assert.equal(bytes.toString('latin1', at, at + 6), '<Event', `evidence offset ${at} is an event start`);
    assert.equal(e.line, bytes.subarray(0, at).toString('latin1').split('\n').length, `evidence at byte ${at} is on the file's line ${e.line}`);
  }
});

test('the work queue hands every item out once, to takers from both ends, and remembers who took it', () => {
  const items = Array.from({ length: 50 }, (_, i) => ({ name: `f${i}`, size: 50 - i, gzip: false }));
  const front = new WorkQueue(items);
  const other = new WorkQueue(items, front.shared);
  const seen: number[] = [];
  // in turn: the back taker, and two front takers in different threads' views of the queue
  for (let round = 0; ; round++) {
    const who = round % 3;
    const i = who === 0 ? front.takeLast(0) : (who === 1 ? front : other).take(who);
    if (i >= 0) seen.push(i);
    else if (who !== 0) break;
  }
  assert.deepEqual([...seen].sort((a, b) => a - b), items.map((_, i) => i), 'every item once');
  assert.equal(front.takenBy(0).length + front.takenBy(1).length + front.takenBy(2).length, items.length);
  assert.ok(front.takenBy(0).every((item) => item.size <= 17), 'the back taker got the small end');
});

test('automatic threads start workers only once the input holds enough bytes to pay for them', async () => {
  const small = await planInputs([examples]);
  assert.equal(threadsFor(small), 1);
  const big = { ...small, pieces: small.pieces.map((p) => ({ ...p, size: 256 << 20 })) };
  assert.equal(threadsFor(big), Math.min(availableParallelism(), big.pieces.length));
  // never more workers than pieces: one large file that cannot be cut is scanned in one thread
  assert.equal(threadsFor({ ...big, pieces: big.pieces.slice(0, 1) }), 1);
});

test('the prefilter runs once the files hold PREFILTER_MIN_BYTES, and always for stdin or compressed files, whose size says too little', async () => {
  const one = await planInputs([path.join(examples, 'sysmon-nxlog.jsonl')]);
  assert.ok(one.pieces[0].size < PREFILTER_MIN_BYTES);
  assert.equal(prefilterPays(one), false);
  assert.equal(prefilterPays(await planInputs([examples])), true, 'the examples together hold more');
  assert.equal(prefilterPays({ ...one, pieces: one.pieces.map((p) => ({ ...p, size: PREFILTER_MIN_BYTES })) }), true);
  assert.equal(prefilterPays({ ...one, pieces: one.pieces.map((p) => ({ ...p, gzip: true })) }), true, 'compressed');
  assert.equal(prefilterPays({ ...one, pieces: [], files: [], local: [{ name: '-', open: () => process.stdin }] }), true, 'stdin');
});

test('a large EVTX file is cut into pieces that threads share; other files stay whole', { skip: noData }, async () => {
  const evtx = path.join(dataDir, 'evtx-security/omerbenamram-security.evtx');
  const plan = await planInputs([evtx, examples], { pieceBytes: 64 * 1024 });
  const pieces = plan.pieces.filter((p) => p.name === evtx);
  assert.ok(pieces.length > 2, `${pieces.length} pieces`);
  const ranges = pieces.map((p) => p.range!).sort((a, b) => a.start - b.start);
  assert.equal(ranges[0].start, 0);
  ranges.slice(1).forEach((r, i) => assert.equal(r.start, ranges[i].end, 'pieces are contiguous'));
  assert.equal(ranges.at(-1)!.end, plan.files.find((f) => f.name === evtx)!.size);
  assert.ok(plan.pieces.filter((p) => p.name !== evtx).every((p) => p.range === undefined));
});

test('an explicit thread count is obeyed, but never more threads than pieces', async () => {
  const plan = await planInputs([examples]);
  assert.ok(plan.pieces.length >= 2);
  assert.equal(threadsFor(plan, 2), 2);
  assert.equal(threadsFor(plan, 64), plan.pieces.length);
  assert.equal(threadsFor(plan, 1), 1);
});

test('automatic threads give way to one once a large rule set is loaded (each thread would hold its own copy); an explicit count is kept', () => {
  assert.equal(keepsWorkers(undefined, content.detections.length), true, 'the shipped content');
  assert.equal(keepsWorkers(undefined, 3475), false, "SigmaHQ's five categories");
  assert.equal(keepsWorkers(2, 3475), true, '-t 2');
});

test('a pool without workers stops the workers it had and scans in this thread; closing the first pool again is harmless', async () => {
  const pool = await ScanPool.start(2);
  assert.equal(pool.workers, 2);
  const alone = await pool.withoutWorkers();
  assert.equal(alone.workers, 0);
  const sequential = await scanWith(sequentialRunner);
  const found = await scanWith(alone);
  assert.deepEqual(found.findings, sequential.findings);
  await pool.close();
  await alone.close();
});
