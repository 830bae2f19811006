import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addEvidence, compareEvidence, evidenceOf, evidencePlace, mergeEvidence, renderEvidence, type Evidence } from '../../../src/engine/evidence.js';
import { normalize } from '../../../src/families/registry.js';
import type { RawEvent } from '../../../src/sources/source.js';

const evidenceArb = fc.record(
  {
    source: fc.constantFrom('a.evtx', 'b.jsonl'),
    offset: fc.nat(1000),
    time: fc.integer({ min: 0, max: 20 }),
  },
  { requiredKeys: ['source', 'offset'] },
);

test('property: a capped list built event by event, or merged from any split, keeps the first events in evidence order', () => {
  fc.assert(
    fc.property(fc.array(evidenceArb, { maxLength: 40 }), fc.array(fc.boolean(), { maxLength: 40 }), fc.integer({ min: 0, max: 6 }), (events, sides, cap) => {
      const expected = [...events].sort(compareEvidence).slice(0, cap);
      const one: Evidence[] = [];
      const left: Evidence[] = [];
      const right: Evidence[] = [];
      events.forEach((e, i) => {
        addEvidence(one, e, cap);
        addEvidence(sides[i] ? left : right, e, cap);
      });
      assert.deepEqual(one, expected);
      assert.deepEqual(mergeEvidence(left, right, cap), expected);
      assert.deepEqual(mergeEvidence(right, left, cap), expected);
    }),
  );
});

test('untimed events sort after timed ones; ties are broken by place, so the order never depends on arrival', () => {
  const list: Evidence[] = [];
  for (const e of [{ source: 'x', offset: 5 }, { source: 'x', offset: 9, time: 3 }, { source: 'x', offset: 1, time: 3 }]) addEvidence(list, e, 10);
  assert.deepEqual(list.map((e) => e.offset), [1, 9, 5]);
});

test('the evidence of a normalized Windows event names its record id, event code and channel; output times are ISO-8601 UTC', () => {
  const raw: RawEvent = {
    family: 'windows',
    system: { EventID: '1', EventRecordID: '4242', Channel: 'Microsoft-Windows-Sysmon/Operational', TimeCreated: '2024-05-01T10:00:00.123Z', Provider: 'Microsoft-Windows-Sysmon', Computer: 'wks' },
    data: { Image: 'C:\\ngrok.exe', CommandLine: 'ngrok tcp 3389', ProcessGuid: '{g}', ProcessId: '4' },
    location: { file: 'sysmon.evtx', offset: 69632 },
  };
  const [event] = normalize(raw);
  const e = evidenceOf(event);
  assert.deepEqual(renderEvidence(e), { source: 'sysmon.evtx', record: 4242, offset: 69632, time: '2024-05-01T10:00:00.123Z', event_code: '1', channel: 'Microsoft-Windows-Sysmon/Operational' });
  assert.equal(evidencePlace(e), 'sysmon.evtx#4242');
  assert.equal(evidencePlace({ source: 'a.jsonl', line: 7, offset: 300 }), 'a.jsonl:7');
});

test('a CrowdStrike event is coded by its event_simpleName', () => {
  const raw: RawEvent = {
    family: 'crowdstrike',
    system: {},
    data: { event_simpleName: 'ProcessRollup2', timestamp: '1714557600000', ComputerName: 'wks', ImageFileName: '\\Device\\ngrok.exe', CommandLine: 'ngrok tcp 22', aid: 'a1', TargetProcessId: '9' },
    location: { file: 'fdr.json', line: 3, offset: 200 },
  };
  const events = normalize(raw);
  assert.ok(events.length > 0, 'the CrowdStrike process event normalizes');
  assert.deepEqual(renderEvidence(evidenceOf(events[0])), { source: 'fdr.json', line: 3, offset: 200, time: '2024-05-01T10:00:00.000Z', event_code: 'ProcessRollup2' });
});
