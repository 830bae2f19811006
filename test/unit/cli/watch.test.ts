import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { runBatch } from '../../../src/pipeline/batch.js';
import { parsePipelineConfig } from '../../../src/pipeline/config.js';
import { planInputs } from '../../../src/pipeline/parallel.js';
import { isSetupProblem, preparePipeline } from '../../../src/pipeline/setup.js';
import { cliPath, contentDir, examplesDir } from './run-cli.js';
import { sharedData } from '../../helpers/paths.js';

const DAY = 86_400;
const sampleLines = readFileSync(path.join(examplesDir, 'sysmon-nxlog.jsonl'), 'utf8').split('\n').filter(Boolean);
/** real OTRF Sysmon lines between the tunnel events, when the shared corpus is there: most lines of a real log match nothing */
const otrf = path.join(sharedData, 'json-sysmon', 'otrf-covenant-dcom-iertutil.jsonl.gz');
const noise = existsSync(otrf) ? gunzipSync(readFileSync(otrf)).toString('utf8').split('\n').filter(Boolean).slice(0, 3000) : [];

/** the sample's lines with a slice of real noise before each, cut into `parts` */
function parts(count: number): string[][] {
  const lines = sampleLines.flatMap((line, i) => [...noise.slice(i * 200, i * 200 + 200), line]);
  const size = Math.ceil(lines.length / count);
  return Array.from({ length: count }, (_, i) => lines.slice(i * size, (i + 1) * size));
}

function startWatch(dir: string, stateDir: string, out: string): ChildProcess {
  return spawn(process.execPath, [cliPath, 'watch', dir, '--state-dir', stateDir, '-o', out, '--checkpoint-every', '0.2s', '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** waits until the saved state says every file in `files` was read to its end (the watcher caught up and committed) */
async function caughtUp(stateDir: string, files: string[], timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  const stateFile = path.join(stateDir, 'state.json');
  while (Date.now() - started < timeoutMs) {
    if (existsSync(stateFile)) {
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { checkpoint: { positions: Array<{ path: string; offset: number }> } };
      const read = new Map(state.checkpoint.positions.map((p) => [p.path, p.offset]));
      if (files.every((f) => read.get(f) === statSync(f).size)) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the watcher did not catch up with ${files.join(', ')} in ${timeoutMs} ms`);
}

async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** every watcher a test started: killed when the tests end, passed or not */
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

/** per finding id, the upsert with the highest revision: what a consumer holds */
function finalFindings(out: string): Map<string, Record<string, unknown>> {
  const held = new Map<string, Record<string, unknown>>();
  for (const line of readFileSync(out, 'utf8').split('\n').filter(Boolean)) {
    const u = JSON.parse(line) as Record<string, unknown>;
    if (u.kind !== 'finding') continue;
    const id = u.finding_id as string;
    const before = held.get(id);
    if (!before || (before.revision as number) < (u.revision as number)) held.set(id, u);
  }
  for (const [id, u] of held) if (u.status === 'retracted') held.delete(id);
  return held;
}

/** the same lines scanned as one batch with the same 24 h windows */
async function expectedFindings(lines: string[]): Promise<Map<string, { count: unknown; firstTime: unknown; lastTime: unknown }>> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'tw-expected-')), 'all.log');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const parsed = parsePipelineConfig({ rules: [path.join(contentDir, 'detections')], findings: { windowSeconds: DAY } });
  assert.ok('config' in parsed);
  const setup = await preparePipeline(parsed.config, { contentRoot: contentDir });
  assert.ok(!isSetupProblem(setup));
  const { results } = await runBatch(setup, await planInputs([file]), { workers: 0, run: () => Promise.reject(new Error('no threads')) });
  return new Map(results.tuned.kept.map((f) => [f.id, { count: f.count, firstTime: renderTime(f.firstTime), lastTime: renderTime(f.lastTime) }]));
}

/** a directory with app.log holding `lines`, watched until the watcher has read it all */
async function watchedLog(name: string, lines: string[]) {
  const dir = mkdtempSync(path.join(tmpdir(), `tw-watch-${name}-`));
  const stateDir = path.join(dir, '.state');
  const out = path.join(mkdtempSync(path.join(tmpdir(), `tw-watch-${name}-out-`)), 'upserts.jsonl');
  const log = path.join(dir, 'app.log');
  writeFileSync(log, `${lines.join('\n')}\n`);
  const watch = startWatch(dir, stateDir, out);
  children.push(watch);
  await caughtUp(stateDir, [log]);
  return { dir, stateDir, out, log, watch };
}

/** stops the watcher cleanly, then checks its final findings against the batch result over `lines` */
async function stopAndCompare(watch: ChildProcess, out: string, lines: string[]): Promise<void> {
  watch.kill('SIGTERM');
  assert.equal(await exited(watch), 0, 'a clean stop on SIGTERM');
  const expected = await expectedFindings(lines);
  const actual = new Map([...finalFindings(out)].map(([id, u]) => [id, { count: u.count, firstTime: u.firstTime, lastTime: u.lastTime }]));
  assert.deepEqual(actual, expected);
}

const renderTime = (t: number | undefined) => (t === undefined ? undefined : new Date(Math.floor(t) * 1000).toISOString().slice(0, 19));

test('watch: appended, rotated, SIGKILLed and restarted, it ends with exactly the batch findings (count, times) and nothing else', { timeout: 120_000 }, async () => {
  const [first, second, third, fourth] = parts(4);
  const started = await watchedLog('kill', first);
  const { dir, stateDir, out, log } = started;
  let watch = started.watch;
  // appended while followed
  appendFileSync(log, `${second.join('\n')}\n`);
  await caughtUp(stateDir, [log]);
  // rotated by rename, a new file takes the name; then killed before a clean stop
  renameSync(log, `${log}.1`);
  writeFileSync(log, `${third.slice(0, 5).join('\n')}\n`);
  appendFileSync(log, `${third.slice(5).join('\n')}\n`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  watch.kill('SIGKILL');
  await exited(watch);
  // written while nobody watched: the restart must read exactly this, once
  appendFileSync(log, `${fourth.join('\n')}\n`);

  watch = startWatch(dir, stateDir, out);
  children.push(watch);
  await caughtUp(stateDir, [log, `${log}.1`]);
  const all = [...first, ...second, ...third, ...fourth];
  assert.ok((await expectedFindings(all)).size >= 5, 'the sample should raise several findings');
  await stopAndCompare(watch, out, all);
});

test('watch: a rotated .gz of a file already read is not read again; a new .gz is read once', { timeout: 60_000 }, async () => {
  const [first, second] = parts(2);
  const { dir, stateDir, out, log, watch } = await watchedLog('gz', first);
  // logrotate with compress: the file read so far becomes app.log.1.gz
  writeFileSync(`${log}.1.gz`, gzipSync(readFileSync(log)));
  await new Promise((resolve) => setTimeout(resolve, 300));
  // an archive nobody read before, dropped into the directory
  writeFileSync(path.join(dir, 'older.log.gz'), gzipSync(`${second.join('\n')}\n`));
  await waitFor(() => existsSync(path.join(stateDir, 'state.json')) && readFileSync(path.join(stateDir, 'state.json'), 'utf8').includes('older.log.gz'));
  await new Promise((resolve) => setTimeout(resolve, 500));
  await stopAndCompare(watch, out, [...first, ...second]);
});

test('watch: a file truncated in place (copytruncate) is read again from its start, and only its new lines', { timeout: 60_000 }, async () => {
  const [first, second] = parts(2);
  const { stateDir, out, log, watch } = await watchedLog('trunc', first);
  // copytruncate: the content moved elsewhere, the file emptied and written again (shorter than before)
  writeFileSync(log, '');
  await new Promise((resolve) => setTimeout(resolve, 300));
  writeFileSync(log, `${second.slice(0, 50).join('\n')}\n`);
  await caughtUp(stateDir, [log]);
  await stopAndCompare(watch, out, [...first, ...second.slice(0, 50)]);
});
