import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CapTally } from '../../../src/diagnostics/cap-tally.js';
import { Correlator } from '../../../src/engine/correlator.js';
import { bindCorrelations, parseCorrelation } from '../../../src/rules/correlation.js';
import { cimEvent, detectionWith } from '../../helpers/detections.js';

const start = detectionWith({ where: { kind: 'compare', field: 'process_name', op: '=', pattern: 'ngrok*' } }, { id: '00000000-0000-4000-8000-00000000000a', name: 'Start' });
const beacon = detectionWith(
  { dataset: 'Network_Resolution.DNS', where: { kind: 'compare', field: 'query', op: '=', pattern: '*.ngrok-free.app' } },
  { id: '00000000-0000-4000-8000-00000000000b', name: 'Beacon' },
);

const yaml = `name: Confirmed
id: 00000000-0000-4000-8000-0000000000cc
version: 1
type: Correlation
description: test
correlation:
  window: 5m
  key: [[dest, process_guid], [dest, process_id]]
  fields: { Network_Traffic.All_Traffic: { dest: dvc } }
  steps:
    - { name: start, detection: Start }
    - { name: beacon, any_of: [00000000-0000-4000-8000-00000000000b] }
  carry: { start: [process_name], beacon: [query] }
rba:
  message: tunnel on $dest$ by $process_name$
  risk_objects: [{ field: dest, type: system, score: 80 }]
tags: { analytic_story: [Reverse Network Proxy] }
`;

function bound() {
  const parsed = parseCorrelation('c.yml', yaml);
  assert.deepEqual(parsed.errors, []);
  const b = bindCorrelations(parsed.correlations, [start, beacon]);
  assert.deepEqual(b.errors, []);
  return b.correlations;
}
const proc = (t: number, guid = 'G1', host = 'h1') => cimEvent({ dest: host, process_guid: guid, process_name: 'ngrok.exe' }, t);
const dns = (t: number, guid = 'G1', host = 'h1') => cimEvent({ dest: host, process_guid: guid, query: 'a.ngrok-free.app' }, t, 'Network_Resolution.DNS');

test('a start and a beacon of the same process within the window give one confirmed finding', () => {
  const c = new Correlator(bound());
  c.observe(proc(100));
  c.observe(dns(130));
  const rows = c.findings();
  assert.equal(rows.length, 1);
  assert.deepEqual(Object.fromEntries(rows[0].by), { dest: 'h1', process_guid: 'g1', process_id: 'null' });
  assert.equal(rows[0].count, 2);
});

test('a beacon that arrives (and happened) before its start still correlates', () => {
  const c = new Correlator(bound());
  c.observe(dns(100));
  c.observe(proc(160));
  assert.equal(c.findings().length, 1);
});

test('steps further apart than the window, or on different processes, do not correlate', () => {
  const c = new Correlator(bound());
  c.observe(proc(100));
  c.observe(dns(100 + 301));
  c.observe(dns(110, 'G2'));
  c.observe(dns(110, 'G1', 'h2'));
  assert.deepEqual(c.findings(), []);
});

test('the key falls back to host + process id when an event has no process guid', () => {
  const c = new Correlator(bound());
  c.observe(cimEvent({ dest: 'h1', process_id: '42', process_name: 'ngrok' }, 10));
  c.observe(cimEvent({ dest: 'h1', process_id: '42', query: 'x.ngrok-free.app' }, 20, 'Network_Resolution.DNS'));
  assert.deepEqual(Object.fromEntries(c.findings()[0].by), { dest: 'h1', process_guid: 'null', process_id: '42' });
});

test('state is bounded: the max-keys cap evicts and counts, expiry drops stale incomplete keys', () => {
  const caps = new CapTally();
  const capped = new Correlator(bound(), { maxKeys: 2, caps });
  capped.observe(proc(1, 'A'));
  capped.observe(proc(2, 'B'));
  capped.observe(proc(3, 'C'));
  capped.observe(dns(4, 'A'));
  assert.equal(capped.stats().get('Confirmed')?.evicted, 2);
  // both evicted keys were unconfirmed: their steps are lost, and the summary is told so
  assert.deepEqual(caps.overflows(), [{ state: 'correlation keys', owner: 'Confirmed', cause: 'cap', count: 2 }]);
  const expiring = new Correlator(bound(), { expiry: 'watermark' });
  expiring.observe(proc(0, 'A'));
  expiring.observe(proc(10_000, 'B'));
  expiring.observe(dns(10_001, 'A'));
  assert.equal(expiring.stats().get('Confirmed')?.expired, 1);
  assert.deepEqual(expiring.findings(), []);
});

test('with cap expiry (a scan) a key survives events of another era arriving in between', () => {
  const c = new Correlator(bound(), { expiry: 'cap' });
  c.observe(proc(0, 'A'));
  c.observe(proc(10_000_000, 'B'));
  c.observe(dns(10, 'A'));
  assert.equal(c.stats().get('Confirmed')?.expired, 0);
  assert.equal(c.findings().length, 1);
});

test('partial states from two correlators merge into the same findings as one correlator', () => {
  const a = new Correlator(bound());
  const b = new Correlator(bound());
  a.observe(proc(100));
  b.observe(dns(120));
  assert.deepEqual(a.findings(), []);
  a.merge(b.partials());
  const whole = new Correlator(bound());
  whole.observe(proc(100));
  whole.observe(dns(120));
  assert.deepEqual(a.findings().map((f) => [f.id, f.count, f.aggregates]), whole.findings().map((f) => [f.id, f.count, f.aggregates]));
});

test('partials that went through JSON (the bus store) with a step one side never saw merge to the same first and last times as one pass', () => {
  const a = new Correlator(bound());
  const b = new Correlator(bound());
  a.observe(proc(100));
  b.observe(proc(90));
  b.observe(dns(120));
  const throughJson = JSON.parse(JSON.stringify(a.partials()));
  assert.equal(throughJson[0].steps[1].minTime, null, 'an unseen step has no time: JSON writes null');
  b.merge(throughJson);
  const whole = new Correlator(bound());
  [proc(100), proc(90), dns(120)].forEach((e) => whole.observe(e));
  assert.deepEqual(b.findings().map((f) => [f.count, f.aggregates]), whole.findings().map((f) => [f.count, f.aggregates]));
  assert.ok(b.findings()[0].aggregates.some(([, v]) => v === 90), 'firstTime is the first event, not 1970');
});

test('a correlation finding carries the evidence of each step, and a merge carries the same evidence as one pass', () => {
  const at = (e: ReturnType<typeof proc>, file: string, line: number) => ({ ...e, location: { file, line, offset: line * 10 } });
  const events = [at(proc(100), 'p.jsonl', 1), at(dns(130), 'd.jsonl', 4), at(proc(110), 'p.jsonl', 2), at(dns(120), 'd.jsonl', 3)];
  const whole = new Correlator(bound(), { evidenceCap: 1 });
  events.forEach((e) => whole.observe(e));
  const [finding] = whole.findings();
  assert.equal(finding.evidenceCount, 4);
  assert.deepEqual(
    finding.evidence.map((e) => [e.step, e.source, e.line, e.time]),
    [['start', 'p.jsonl', 1, 100], ['beacon', 'd.jsonl', 3, 120]],
    'each step keeps its own first event',
  );
  const a = new Correlator(bound(), { evidenceCap: 1 });
  const b = new Correlator(bound(), { evidenceCap: 1 });
  [events[1], events[2]].forEach((e) => a.observe(e));
  [events[0], events[3]].forEach((e) => b.observe(e));
  a.merge(JSON.parse(JSON.stringify(b.partials())));
  assert.deepEqual(a.findings(), whole.findings());
});

test('load errors are located: unknown step reference, risk field that is no output column', () => {
  const parsed = parseCorrelation('c.yml', yaml.replace('message: tunnel on $dest$', 'message: tunnel on $nope$'));
  assert.equal(parsed.errors.length, 1);
  assert.match(parsed.errors[0].message, /nope/);
  assert.equal(parsed.errors[0].line, 15);
  const ok = parseCorrelation('c.yml', yaml.replace('detection: Start', 'detection: Missing'));
  const b = bindCorrelations(ok.correlations, [start, beacon]);
  assert.equal(b.errors.length, 1);
  assert.match(b.errors[0].message, /Missing/);
  assert.equal(b.errors[0].line, 11);
});

test('a step detection\'s tuning filter applies to the correlation: an event it suppresses is no step', () => {
  // the start detection's output has the column its filter names
  const startByProcess = detectionWith(
    { where: { kind: 'compare', field: 'process_name', op: '=', pattern: 'ngrok*' }, by: [{ field: 'dest', as: 'dest' }, { field: 'process_name', as: 'process_name' }] },
    { id: start.id, name: 'Start' },
  );
  const [correlation] = bindCorrelations(parseCorrelation('c.yml', yaml).correlations, [startByProcess, beacon]).correlations;
  const tuned = { ...correlation, stepFilters: { [start.id]: { kind: 'not' as const, term: { kind: 'compare' as const, field: 'process_name', op: '=' as const, pattern: 'ngrok.exe' } } } };
  const suppressed = new Correlator([tuned]);
  suppressed.observe(proc(100));
  suppressed.observe(dns(120));
  assert.deepEqual(suppressed.findings(), [], 'the suppressed start event does not confirm the tunnel');
  const other = new Correlator([tuned]);
  other.observe(cimEvent({ dest: 'h1', process_guid: 'G1', process_name: 'ngrok-x.exe' }, 100));
  other.observe(dns(120));
  assert.equal(other.findings().length, 1, 'an event the filter keeps still counts');
});
