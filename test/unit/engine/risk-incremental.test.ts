import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IncrementalRisk } from '../../../src/engine/risk-incremental.js';
import { defaultIncidentOptions, riskIncidents, type RiskEvent } from '../../../src/engine/risk.js';

const HOUR = 3600;
const tactics = ['command-and-control', 'persistence', 'initial-access', 'execution'];

function riskEvent(findingId: string, object: string, time: number, score: number, tactic: string): RiskEvent {
  return {
    _time: time, risk_object: object, risk_object_type: 'system', risk_score: score, risk_message: 'm', search_name: `s-${tactic}`,
    detection_id: 'd', analytic_story: [], annotations: { mitre_attack: [], mitre_tactic: [tactic] }, threat_object: [], threat_object_type: [],
    finding_id: findingId,
  };
}

/** a finding's successive versions: each replaces its risk events (its lastTime moves on, its objects change) */
const updateArb = fc.record({
  finding: fc.constantFrom('f1', 'f2', 'f3', 'f4', 'f5'),
  objects: fc.subarray(['h1', 'h2', 'alice'], { minLength: 0 }),
  time: fc.integer({ min: 0, max: 72 * HOUR }),
  score: fc.constantFrom(10, 25, 50, 80),
  tactic: fc.constantFrom(...tactics),
});

test('property: incidents kept up to date finding by finding equal the batch computation over the final risk events', () => {
  fc.assert(
    fc.property(fc.array(updateArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 8 }), (updates, every) => {
      const incremental = new IncrementalRisk(defaultIncidentOptions);
      const current = new Map<string, RiskEvent[]>();
      const reported = new Map<string, unknown>();
      updates.forEach((u, i) => {
        const events = u.objects.map((o) => riskEvent(u.finding, o, u.time, u.score, u.tactic));
        current.set(u.finding, events);
        incremental.update(u.finding, events);
        if (i % every === 0) for (const c of incremental.changes()) reported.set(c.incident_id, c.status === 'retracted' ? undefined : c.incident);
      });
      for (const c of incremental.changes()) reported.set(c.incident_id, c.status === 'retracted' ? undefined : c.incident);
      const batch = riskIncidents([...current.values()].flat());
      assert.deepEqual(incremental.incidents(), batch);
      // what a consumer holds after applying every reported upsert and retraction
      const held = [...reported.values()].filter((x) => x !== undefined);
      assert.deepEqual(new Set(held.map((x) => JSON.stringify(x))), new Set(batch.map((x) => JSON.stringify(x))));
    }),
    { numRuns: 200 },
  );
});

test('an object a whole risk window behind the watermark reports its incidents final and leaves memory', () => {
  const risk = new IncrementalRisk(defaultIncidentOptions);
  risk.update('f1', [riskEvent('f1', 'h1', 0, 80, 'execution'), riskEvent('f1', 'h2', 0, 10, 'execution')]);
  risk.update('f2', [riskEvent('f2', 'h1', HOUR, 80, 'persistence')]);
  assert.deepEqual(risk.changes(2 * HOUR).map((c) => c.status), ['open']);
  const closing = risk.changes(26 * HOUR);
  assert.deepEqual(closing.map((c) => [c.incident.risk_object, c.status]), [['h1', 'closed']]);
  assert.deepEqual(risk.incidents(), []);
  assert.deepEqual(risk.toData().events, []);
});

test('a checkpoint of the incremental state restores the same incidents and reports no change', () => {
  const risk = new IncrementalRisk(defaultIncidentOptions);
  risk.update('f1', [riskEvent('f1', 'h1', 0, 80, 'execution')]);
  risk.update('f2', [riskEvent('f2', 'h1', HOUR, 80, 'persistence')]);
  risk.changes();
  const restored = IncrementalRisk.fromData(JSON.parse(JSON.stringify(risk.toData())), defaultIncidentOptions);
  assert.deepEqual(restored.incidents(), risk.incidents());
  restored.update('f2', [riskEvent('f2', 'h1', HOUR, 80, 'persistence')]);
  assert.deepEqual(restored.changes(), [], 'the same events again change nothing');
});
