import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Analyzer } from '../../../src/engine/analyzer.js';
import { Detector } from '../../../src/engine/detector.js';
import { by, cimEvent, detectionWith } from '../../helpers/detections.js';

const HOUR = 3600;
const DAY = 24 * HOUR;
const detection = detectionWith({ by: by('dest') });
const at = (day: number, hour: number) => day * DAY + hour * HOUR;

test('with windows, a finding is keyed by detection, BY values and its UTC-aligned window', () => {
  const detector = new Detector([detection], { windowSeconds: DAY });
  detector.observe(cimEvent({ dest: 'h1' }, at(10, 1)));
  detector.observe(cimEvent({ dest: 'h1' }, at(10, 23)));
  detector.observe(cimEvent({ dest: 'h1' }, at(11, 0)));
  const rows = detector.findings();
  assert.deepEqual(rows.map((f) => [f.count, f.window]), [[2, { start: at(10, 0), end: at(11, 0) }], [1, { start: at(11, 0), end: at(12, 0) }]]);
  assert.notEqual(rows[0].id, rows[1].id);
});

test('the watermark (newest event time − allowed lateness) closes a window: its finding is reported closed and its memory freed', () => {
  const analyzer = new Analyzer([detection], [], { windowSeconds: DAY, allowedLatenessSeconds: HOUR, trackChanges: true });
  analyzer.observe(cimEvent({ dest: 'h1' }, at(10, 5)));
  assert.deepEqual(analyzer.changes().map((c) => [c.finding.count, c.status]), [[1, 'open']]);
  // 00:30 the next day: within the allowed hour of lateness, the window stays open
  analyzer.observe(cimEvent({ dest: 'h2' }, at(11, 0.5)));
  assert.deepEqual(analyzer.changes().map((c) => [c.finding.by[0][1], c.status]), [['h2', 'open']]);
  assert.equal(analyzer.detector.groupCount, 2);
  analyzer.observe(cimEvent({ dest: 'h2' }, at(11, 1)));
  const closing = analyzer.changes();
  assert.deepEqual(closing.map((c) => [c.finding.by[0][1], c.finding.count, c.status]).sort(), [['h1', 1, 'closed'], ['h2', 2, 'open']]);
  assert.equal(analyzer.detector.groupCount, 1, 'the closed window left memory');
});

test('an event for a closed window is never dropped: it makes a late update of that finding, counted', () => {
  const analyzer = new Analyzer([detection], [], { windowSeconds: DAY, trackChanges: true });
  analyzer.observe(cimEvent({ dest: 'h1' }, at(10, 5)));
  const [first] = analyzer.changes();
  analyzer.observe(cimEvent({ dest: 'h1' }, at(12, 0)));
  analyzer.changes();
  analyzer.observe(cimEvent({ dest: 'h1' }, at(10, 7)));
  const [late] = analyzer.changes();
  assert.equal(late.finding.id, first.finding.id, 'the same finding');
  assert.equal(late.late, true);
  assert.equal(late.status, 'closed');
  assert.equal(late.finding.count, 1, 'the late update holds the late event');
  assert.equal(late.finding.lastTime, at(10, 7));
  assert.equal(analyzer.detector.lateEventCount, 1);
  assert.equal(analyzer.detector.groupCount, 1, 'only the open window of day 12 is held');
});

test('a finding a row filter stopped keeping is retracted once, then no longer reported', () => {
  const capped = detectionWith({ by: by('dest'), rowStages: [{ kind: 'filter', expr: { kind: 'compare', field: 'count', op: '=', pattern: '1' } }] });
  const analyzer = new Analyzer([capped], [], { trackChanges: true });
  analyzer.observe(cimEvent({ dest: 'h1' }, 1));
  assert.deepEqual(analyzer.changes().map((c) => c.retracted), [false]);
  analyzer.observe(cimEvent({ dest: 'h1' }, 2));
  assert.deepEqual(analyzer.changes().map((c) => c.retracted), [true]);
  analyzer.observe(cimEvent({ dest: 'h1' }, 3));
  assert.deepEqual(analyzer.changes(), []);
});

test('a checkpoint restores open windows, the watermark and late accounting exactly', () => {
  const options = { windowSeconds: DAY, allowedLatenessSeconds: HOUR, trackChanges: true };
  const events = [at(3, 1), at(3, 2), at(4, 3), at(3, 4), at(5, 0), at(4, 9), at(3, 5)].map((t, i) => cimEvent({ dest: `h${i % 2}` }, t));
  const latest = (changes: ReturnType<Analyzer['changes']>, into = new Map<string, unknown>()) => {
    for (const c of changes) into.set(`${c.finding.id}${c.late ? ' late' : ''}`, [c.finding.count, c.finding.firstTime, c.finding.lastTime, c.status]);
    return into;
  };
  const whole = new Analyzer([detection], [], options);
  const wholeState = new Map<string, unknown>();
  events.forEach((e, i) => {
    whole.observe(e);
    if (i === 2 || i === 4 || i === events.length - 1) latest(whole.changes(), wholeState);
  });
  const first = new Analyzer([detection], [], options);
  for (const e of events.slice(0, 3)) first.observe(e);
  const resumedState = latest(first.changes());
  const resumed = new Analyzer([detection], [], options);
  resumed.restore(JSON.parse(JSON.stringify(first.checkpoint())));
  assert.deepEqual(resumed.changes(), [], 'restoring reports nothing new');
  events.slice(3).forEach((e, i) => {
    resumed.observe(e);
    if (i === 1 || i === events.length - 4) latest(resumed.changes(), resumedState);
  });
  assert.deepEqual(resumedState, wholeState);
  assert.equal(resumed.detector.lateEventCount, whole.detector.lateEventCount);
  assert.equal(whole.detector.lateEventCount, 2, 'day 3 closed at the first changes(): its events at 04:00 and 05:00 came late');
});
