import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Analyzer } from '../../../src/engine/analyzer.js';
import { Detector } from '../../../src/engine/detector.js';
import { prefilterNeedles } from '../../../src/engine/prefilter.js';
import { findingColumns, type Finding } from '../../../src/engine/finding.js';
import { compileSearch } from '../../../src/rules/spl/compile.js';
import type { CimEvent } from '../../../src/cim/model.js';
import type { Detection } from '../../../src/rules/detection.js';
import { cimEvent, detectionWith } from '../../helpers/detections.js';

/**
 * SPL `join` as ESCU writes it: process rows joined to a second tstats over file writes. The
 * detection is compiled from SPL; events are the CIM events the normalizer makes of Sysmon 1 and 11.
 */
function joined(options: string, rows = 'by Processes.dest Processes.process_guid Processes.process_name', sub = 'count as writes from datamodel=Endpoint.Filesystem by Filesystem.process_guid Filesystem.file_name'): Detection {
  const spl = `| tstats \`security_content_summariesonly\` count from datamodel=Endpoint.Processes ${rows} | \`drop_dm_object_name(Processes)\`
    | join ${options} [| tstats \`security_content_summariesonly\` ${sub} | \`drop_dm_object_name(Filesystem)\`]`;
  const { plan, output, errors } = compileSearch(spl);
  assert.deepEqual(errors, []);
  return detectionWith({ ...plan!, ...output! });
}

const process = (dest: string, guid: string, name: string, time = 100): CimEvent => cimEvent({ dest, process_guid: guid, process_name: name }, time);
const write = (guid: string, file: string, time = 100, dest = 'ws1'): CimEvent => cimEvent({ dest, process_guid: guid, file_name: file }, time, 'Endpoint.Filesystem');

function rows(detection: Detection, events: CimEvent[], windowSeconds?: number): Array<Record<string, unknown>> {
  const detector = new Detector([detection], { windowSeconds });
  events.forEach((e) => detector.observe(e));
  return detector.findings().map(findingColumns);
}

test('inner join (the default): a row no subsearch row matches is dropped; a matched row gains the subsearch columns', () => {
  const events = [process('ws1', 'g1', 'winword.exe'), process('ws1', 'g2', 'excel.exe'), write('g1', 'a.exe')];
  const out = rows(joined('process_guid'), events);
  assert.deepEqual(out, [{ dest: 'ws1', process_guid: 'g1', process_name: 'winword.exe', count: 1, file_name: 'a.exe', writes: 1 }]);
  // the defaults written out change nothing
  assert.deepEqual(rows(joined('type=inner max=1 overwrite=t usetime=false earlier=true process_guid'), events), out);
});

test('max=1: a row takes the first matching subsearch row in tstats order (by its BY values), not the first to arrive', () => {
  const events = [process('ws1', 'g1', 'winword.exe'), write('g1', 'z.dll', 50), write('g1', 'b.exe', 60), write('g1', 'b.exe', 70)];
  assert.deepEqual(rows(joined('process_guid'), events).map((r) => [r.file_name, r.writes]), [['b.exe', 2]]);
  assert.deepEqual(rows(joined('process_guid'), events.reverse()).map((r) => [r.file_name, r.writes]), [['b.exe', 2]]);
});

test('type=outer and type=left keep a row with no match as it was; inner drops it', () => {
  const events = [process('ws1', 'g1', 'winword.exe'), process('ws1', 'g2', 'excel.exe'), write('g1', 'a.exe')];
  for (const type of ['outer', 'left']) {
    assert.deepEqual(rows(joined(`type=${type} process_guid`), events), [
      { dest: 'ws1', process_guid: 'g1', process_name: 'winword.exe', count: 1, file_name: 'a.exe', writes: 1 },
      { dest: 'ws1', process_guid: 'g2', process_name: 'excel.exe', count: 1 },
    ]);
  }
  assert.equal(rows(joined('type=inner process_guid'), events).length, 1);
});

test('a column both sides have takes the subsearch value (overwrite=true, the default), the row keeps its own with overwrite=false', () => {
  // both sides count: the rows 2 process events, the subsearch 1 write; dest differs in case
  const events = [process('WS1', 'g1', 'winword.exe', 100), process('WS1', 'g1', 'winword.exe', 101), write('g1', 'a.exe', 100, 'ws1')];
  const sub = 'count from datamodel=Endpoint.Filesystem by Filesystem.process_guid Filesystem.dest Filesystem.file_name';
  assert.deepEqual(rows(joined('process_guid', undefined, sub), events).map((r) => [r.dest, r.count, r.file_name]), [['ws1', 1, 'a.exe']]);
  assert.deepEqual(rows(joined('overwrite=false process_guid', undefined, sub), events).map((r) => [r.dest, r.count, r.file_name]), [['WS1', 2, 'a.exe']]);
});

test('several join fields must all be equal (exactly: case counts), and without fields every column both sides have is one', () => {
  const sub = 'count as writes from datamodel=Endpoint.Filesystem by Filesystem.dest Filesystem.process_guid Filesystem.file_name';
  const events = [process('ws1', 'g1', 'winword.exe'), process('ws2', 'g1', 'winword.exe'), process('WS3', 'g1', 'winword.exe'), write('g1', 'a.exe', 100, 'ws1'), write('g1', 'b.exe', 100, 'ws3')];
  const byBoth = rows(joined('dest, process_guid', undefined, sub), events);
  assert.deepEqual(byBoth.map((r) => [r.dest, r.file_name]), [['ws1', 'a.exe']]);
  // dest and process_guid are the columns both sides have: the same join
  assert.deepEqual(rows(joined('', undefined, sub), events), byBoth);
  // on process_guid alone every row matches the first write (by dest: ws1)
  assert.deepEqual(rows(joined('process_guid', undefined, sub), events).map((r) => [r.dest, r.file_name]), [['ws1', 'a.exe'], ['ws1', 'a.exe'], ['ws1', 'a.exe']]);
});

test('no subsearch row at all: an inner join has no rows, a left join the rows unchanged', () => {
  const events = [process('ws1', 'g1', 'winword.exe')];
  assert.deepEqual(rows(joined('process_guid'), events), []);
  assert.deepEqual(rows(joined('type=left process_guid'), events), [{ dest: 'ws1', process_guid: 'g1', process_name: 'winword.exe', count: 1 }]);
});

test('with windows each window joins its own subsearch rows: a write in another window does not match', () => {
  const DAY = 86_400;
  const events = [process('ws1', 'g1', 'winword.exe', 10), process('ws1', 'g1', 'winword.exe', DAY + 10), write('g1', 'a.exe', DAY + 20)];
  const out = rows(joined('process_guid'), events, DAY);
  assert.deepEqual(out.map((r) => [r.process_guid, r.file_name]), [['g1', 'a.exe']]);
  assert.equal(rows(joined('process_guid'), events).length, 1, 'one window for the run: the write joins the one row');
});

test('a stream reports the joined row when the subsearch row arrives after the row it joins, and retracts nothing it showed', () => {
  const analyzer = new Analyzer([joined('process_guid')], [], { trackChanges: true });
  analyzer.observe(process('ws1', 'g1', 'winword.exe'));
  assert.deepEqual(analyzer.changes(), [], 'no write yet: the inner join has no row');
  analyzer.observe(write('g1', 'a.exe'));
  const changes = analyzer.changes();
  assert.deepEqual(changes.map((c) => [c.finding.row?.file_name, c.retracted]), [['a.exe', false]]);
});

test('partial states (the subsearch aggregation among them) merged from random splits equal one pass, in and out of windows', () => {
  const detection = joined('type=left process_guid');
  const events = Array.from({ length: 120 }, (_, i) =>
    i % 3 === 0 ? write(`g${i % 5}`, `f${i % 4}.exe`, (i * 7919) % 5000) : process(`ws${i % 2}`, `g${i % 7}`, `p${i % 3}.exe`, (i * 104729) % 5000));
  for (const windowSeconds of [undefined, 1000]) {
    const single = new Detector([detection], { windowSeconds });
    events.forEach((e) => single.observe(e));
    const expected = single.findings();
    assert.ok(expected.some((f) => f.row?.file_name !== undefined) && expected.some((f) => f.row?.file_name === undefined), 'both matched and unmatched rows');
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 5; round++) {
      const workers = [0, 1, 2].map(() => new Detector([detection], { windowSeconds }));
      events.forEach((e) => workers[Math.floor(random() * workers.length)].observe(e));
      const merged = new Detector([detection], { windowSeconds });
      for (const w of workers.sort(() => random() - 0.5)) merged.merge(JSON.parse(JSON.stringify(w.partials())));
      assert.deepEqual(merged.findings().map(comparable), expected.map(comparable));
    }
  }
});

/** what a finding says, without the detection object it points to */
function comparable(f: Finding): unknown {
  return { id: f.id, row: findingColumns(f), count: f.count, window: f.window, evidenceCount: f.evidenceCount };
}

test("the prefilter searches records for the subsearch's literals too: a file write names no process the rows look for", () => {
  const detection = joined('process_guid', 'where Processes.process_name=winword.exe by Processes.process_guid', 'count from datamodel=Endpoint.Filesystem where Filesystem.file_name="*.hta" by Filesystem.process_guid');
  const { needles, uncovered } = prefilterNeedles([detection]);
  assert.deepEqual(uncovered, []);
  assert.ok(needles.includes('winword.exe') && needles.includes('.hta'), needles.join(' '));
});

test("a subsearch's `fields` keeps its `_time` (Splunk's fields keeps internal fields), which then overwrites the row's; `table` does not keep it", () => {
  const rowsBy = 'by _time Processes.process_guid';
  const events = [process('ws1', 'g1', 'winword.exe', 100), write('g1', 'a.exe', 130)];
  const sub = (command: string) => `count from datamodel=Endpoint.Filesystem by _time Filesystem.process_guid Filesystem.file_name | \`drop_dm_object_name(Filesystem)\` | ${command}`;
  const compiled = (command: string): Detection => {
    const spl = `| tstats count from datamodel=Endpoint.Processes ${rowsBy} | \`drop_dm_object_name(Processes)\` | join process_guid [| tstats ${sub(command)}]`;
    const { plan, output, errors } = compileSearch(spl);
    assert.deepEqual(errors, []);
    return detectionWith({ ...plan!, ...output! });
  };
  assert.deepEqual(rows(compiled('fields process_guid file_name'), events).map((r) => [r._time, r.file_name]), [['130', 'a.exe']]);
  assert.deepEqual(rows(compiled('fields - _time'), events).map((r) => [r._time, r.file_name]), [['100', 'a.exe']]);
  assert.deepEqual(rows(compiled('table process_guid file_name'), events).map((r) => [r._time, r.file_name]), [['100', 'a.exe']]);
});

test('a closing window reports the joined row closed and frees the subsearch groups with the rows', () => {
  const DAY = 86_400;
  const analyzer = new Analyzer([joined('process_guid')], [], { windowSeconds: DAY, trackChanges: true });
  analyzer.observe(process('ws1', 'g1', 'winword.exe', 10 * DAY + 5));
  analyzer.observe(write('g1', 'a.exe', 10 * DAY + 6));
  analyzer.observe(write('g9', 'other.exe', 10 * DAY + 7));
  assert.deepEqual(analyzer.changes().map((c) => [c.finding.row?.file_name, c.status]), [['a.exe', 'open']]);
  assert.equal(analyzer.detector.groupCount, 3, 'one row group and two subsearch groups');
  analyzer.observe(process('ws1', 'g2', 'excel.exe', 12 * DAY));
  assert.deepEqual(analyzer.changes().map((c) => [c.finding.row?.file_name, c.status]), [['a.exe', 'closed']]);
  assert.equal(analyzer.detector.groupCount, 1, 'only the open window of day 12 is held');
});
