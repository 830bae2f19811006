import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Detector } from '../../../src/engine/detector.js';
import { renderFinding } from '../../../src/engine/render.js';
import { riskEventsOf, riskIncidents, type RiskEvent } from '../../../src/engine/risk.js';
import { TacticTable } from '../../../src/rules/mitre.js';
import { by, cimEvent, detectionWith } from '../../helpers/detections.js';

const tactics = new TacticTable(new Map([['T1572', ['command-and-control']], ['T1133', ['persistence', 'initial-access']]]));
const risk = {
  message: 'tunnel on $dest$ by $user$',
  riskObjects: [{ field: 'user', type: 'user', score: 20 }, { field: 'dest', type: 'system', score: 20 }],
  threatObjects: [{ field: 'process_name', type: 'process_name' }],
};

function eventsOf(type: 'Anomaly' | 'Hunting') {
  const d = detectionWith({ by: by('user', 'dest', 'process_name') }, { risk, type, mitreAttackIds: ['T1572', 'T1133.001'] });
  const detector = new Detector([d]);
  detector.observe(cimEvent({ user: 'alice', dest: 'h1', process_name: 'ngrok.exe' }, 100));
  detector.observe(cimEvent({ user: 'alice', dest: 'h1', process_name: 'ngrok.exe' }, 160));
  return detector.findings().flatMap((f) => riskEventsOf(f, renderFinding(f), tactics));
}

test('one risk event per finding and risk object, as ES writes it', () => {
  const events = eventsOf('Anomaly');
  assert.equal(events.length, 2);
  assert.deepEqual(
    events.map((e) => [e.risk_object, e.risk_object_type, e.risk_score, e._time]),
    [['alice', 'user', 20, 160], ['h1', 'system', 20, 160]],
  );
  assert.equal(events[0].risk_message, 'tunnel on h1 by alice');
  assert.equal(events[0].search_name, 'Test Detection');
  assert.deepEqual(events[0].annotations, { mitre_attack: ['T1572', 'T1133.001'], mitre_tactic: ['command-and-control', 'initial-access', 'persistence'] });
  assert.deepEqual(events[0].threat_object, ['ngrok.exe']);
  assert.deepEqual(events[0].threat_object_type, ['process_name']);
  assert.equal(typeof events[0].finding_id, 'string');
});

test('Hunting detections make findings but no risk events', () => {
  assert.deepEqual(eventsOf('Hunting'), []);
});

const event = (object: string, time: number, score: number, tactic = 'command-and-control'): RiskEvent => ({
  _time: time, risk_object: object, risk_object_type: 'system', risk_score: score, risk_message: 'm', search_name: `s-${tactic}`,
  detection_id: 'd', analytic_story: [], annotations: { mitre_attack: [], mitre_tactic: [tactic] }, threat_object: [], threat_object_type: [],
  finding_id: `${object}-${time}`,
});

test('an incident needs a window total strictly greater than the threshold (ES: risk_score > 100)', () => {
  const exactly100 = [event('h1', 0, 50), event('h1', 60, 50)];
  assert.deepEqual(riskIncidents(exactly100), []);
  const over = [...exactly100, event('h1', 120, 20)];
  const [incident] = riskIncidents(over);
  assert.equal(incident.risk_object, 'h1');
  assert.equal(incident.risk_score, 120);
  assert.deepEqual(incident.reasons, ['score']);
  assert.equal(incident.risk_event_count, 3);
});

test('events further apart than the window do not add up', () => {
  const day = 24 * 3600;
  const spread = [event('h1', 0, 60), event('h1', day + 1, 60)];
  assert.deepEqual(riskIncidents(spread), []);
  assert.equal(riskIncidents(spread, { windowSeconds: 2 * day, threshold: 100, minTactics: 3 }).length, 1);
});

test('overlapping firing windows form one incident; risk objects are kept apart', () => {
  const events = [event('h1', 0, 60), event('h1', 10, 60), event('h1', 20, 60), event('h2', 0, 60)];
  const incidents = riskIncidents(events);
  assert.equal(incidents.length, 1);
  assert.equal(incidents[0].risk_event_count, 3);
  assert.equal(incidents[0].risk_score, 180);
});

test('three distinct ATT&CK tactics in a window make an incident whatever the score', () => {
  const events = [event('h1', 0, 5, 'command-and-control'), event('h1', 10, 5, 'persistence'), event('h1', 20, 5, 'lateral-movement')];
  const [incident] = riskIncidents(events);
  assert.deepEqual(incident.reasons, ['tactics']);
  assert.deepEqual(incident.mitre_tactics, ['command-and-control', 'lateral-movement', 'persistence']);
  assert.deepEqual(riskIncidents(events.slice(0, 2)), []);
});

test('risk incidents are linear in the events of one object: 20k events for one user in bounded time (was quadratic: 45 s)', () => {
  const base = eventsOf('Anomaly')[0];
  const n = 20_000;
  const events: RiskEvent[] = Array.from({ length: n }, (_, i) => ({ ...base, _time: 1_700_000_000 + i * 60, finding_id: `f${i % 1000}` }));
  const started = performance.now();
  const incidents = riskIncidents(events);
  const took = performance.now() - started;
  // one burst: every window of 24 h holds 1440 events of 20 points
  assert.equal(incidents.length, 1);
  assert.equal(incidents[0].risk_event_count, n);
  assert.equal(incidents[0].risk_score, 1441 * 20);
  assert.ok(took < 3000, `${took.toFixed(0)} ms`);
});
