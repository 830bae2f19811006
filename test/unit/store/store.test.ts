import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FindingRecord } from '../../../src/engine/render.js';
import type { RiskEvent, RiskIncident } from '../../../src/engine/risk.js';
import { migrate } from '../../../src/store/migrations.js';
import { openStore, stores } from '../../../src/store/registry.js';
import { SqlFindingStore } from '../../../src/store/sql-store.js';
import { StoreInputError, type FindingUpsert } from '../../../src/store/store.js';
import { describeEachStore, dropSchema, postgresBaseUrl, postgresUnavailable, storeBackends, uniqueSchema } from '../../helpers/stores.js';

function record(id: string, overrides: Partial<FindingRecord> = {}): FindingRecord {
  return {
    finding_id: id,
    search_name: 'Ngrok Agent Tunnel Execution',
    detection_id: 'det-ngrok',
    detection_version: 1,
    detection_type: 'Anomaly',
    analytic_story: ['Reverse Network Proxy'],
    mitre_attack_id: ['T1572', 'T1090.002'],
    count: 1,
    firstTime: '2026-03-09T10:47:10',
    lastTime: '2026-03-09T10:47:10',
    dest: 'wks-01',
    user: 'ACME\\alice',
    process: 'ngrok.exe tcp 22',
    risk_message: 'ngrok on wks-01',
    risk_objects: [
      { risk_object: 'ACME\\alice', risk_object_type: 'user', risk_score: 30 },
      { risk_object: 'wks-01', risk_object_type: 'system', risk_score: 30 },
    ],
    threat_objects: [{ threat_object: 'ngrok.exe', threat_object_type: 'process_name' }],
    evidence_count: 1,
    evidence: [{ source: 'sysmon.evtx', record: 7, offset: 4096, time: '2026-03-09T10:47:10.000Z', event_code: '1', channel: 'Microsoft-Windows-Sysmon/Operational' }],
    ...overrides,
  };
}

function upsert(r: FindingRecord, revision: number, lastTime = 1_773_053_230): FindingUpsert {
  return { record: r, revision, firstTime: lastTime - 10, lastTime };
}

function riskEvent(findingId: string, object: string, score: number, time: number, tactic = 'command-and-control'): RiskEvent {
  return {
    _time: time,
    risk_object: object,
    risk_object_type: 'system',
    risk_score: score,
    risk_message: 'm',
    search_name: `search ${findingId}`,
    detection_id: 'det',
    analytic_story: ['Reverse Network Proxy'],
    annotations: { mitre_attack: ['T1572'], mitre_tactic: [tactic] },
    threat_object: [],
    threat_object_type: [],
    finding_id: findingId,
  };
}

await describeEachStore('store contract', (opened) => {
  test('an upsert is replaced only by a higher revision: redelivered and stale upserts change nothing', async () => {
    await opened.store.commit({ findings: [upsert(record('rev', { count: 1 }), 1)] });
    await opened.store.commit({ findings: [upsert(record('rev', { count: 5 }), 3)] });
    await opened.store.commit({ findings: [upsert(record('rev', { count: 2 }), 2)] });
    await opened.store.commit({ findings: [upsert(record('rev', { count: 9 }), 3)] });
    const found = await opened.store.getFinding('rev');
    assert.equal(found?.revision, 3);
    assert.equal(found?.record.count, 5);
    assert.deepEqual(found?.record, record('rev', { count: 5 }), 'the record reads back exactly as written');
  });

  test('a commit is atomic: when one statement fails, no finding and no checkpoint of it is kept', async () => {
    const bad = { ...upsert(record('atomic-bad'), 1), revision: Number.NaN };
    await assert.rejects(opened.store.commit({ findings: [upsert(record('atomic-good'), 1), bad], checkpoint: { consumer: 'atomic', position: 42, state: '{}' } }));
    assert.equal(await opened.store.getFinding('atomic-good'), undefined);
    assert.equal(await opened.store.checkpoint('atomic'), undefined);
  });

  test('a final state is kept beside its finding until a newer one replaces it; upserts without one keep it', async () => {
    const { store } = opened;
    await store.commit({ findings: [{ ...upsert(record('state-1'), 1), state: '{"count":1,"slots":[]}' }, upsert(record('state-none'), 1)] });
    await store.commit({ findings: [upsert(record('state-1', { count: 2 }), 2)] });
    assert.deepEqual(await store.findingStates(['state-1', 'state-none', 'state-absent']), new Map([['state-1', '{"count":1,"slots":[]}']]));
    await store.commit({ findings: [{ ...upsert(record('state-1', { count: 3 }), 3), state: '{"count":3,"slots":[]}' }] });
    assert.equal((await store.findingStates(['state-1'])).get('state-1'), '{"count":3,"slots":[]}');
  });

  test('retracted findings lose their risk events but keep their triage; incident changes upsert by id and retracted ones leave', async () => {
    const { store } = opened;
    await store.commit({ findings: [upsert(record('gone'), 1)], riskEvents: [{ findingId: 'gone', events: [riskEvent('gone', 'host-gone', 10, 1)] }] });
    await store.triage({ ids: ['gone'] }, { status: 'closed' }, 'alice');
    await store.commit({ findings: [], retracted: ['gone'] });
    assert.equal((await store.getFinding('gone'))?.triage.status, 'closed');
    assert.deepEqual(await store.riskEventsOf('host-gone'), []);
    const incident = (score: number): RiskIncident => ({ risk_object: 'inc-host', risk_object_type: 'system', risk_score: score, firstTime: 1, lastTime: 2 }) as unknown as RiskIncident;
    await store.commit({ findings: [], incidentChanges: [{ id: 'i1', status: 'open', incident: incident(120) }, { id: 'i2', status: 'open', incident: incident(130) }] });
    await store.commit({ findings: [], incidentChanges: [{ id: 'i1', status: 'closed', incident: incident(150) }, { id: 'i2', status: 'retracted', incident: incident(130) }] });
    const mine = (await store.incidents()).filter((i) => i.risk_object === 'inc-host');
    assert.deepEqual(mine.map((i) => i.risk_score), [150]);
  });

  test('checkpoints round-trip and move with the commit that carries them', async () => {
    await opened.store.commit({ findings: [], checkpoint: { consumer: 'journal', position: 10, state: '{"a":1}' } });
    await opened.store.commit({ findings: [], checkpoint: { consumer: 'journal', position: 2 ** 40, state: '{"a":2}' } });
    assert.deepEqual(await opened.store.checkpoint('journal'), { consumer: 'journal', position: 2 ** 40, state: '{"a":2}' });
    assert.equal(await opened.store.checkpoint('other'), undefined);
  });

  test('triage survives pipeline upserts, and every changed field lands in the append-only history', async () => {
    await opened.store.commit({ findings: [upsert(record('tri'), 1)] });
    assert.equal(await opened.store.triage({ ids: ['tri'] }, { status: 'in_progress', owner: 'bob', comment: 'looking' }, 'alice'), 1);
    // unchanged owner is not a history entry; the new status is
    await opened.store.triage({ ids: ['tri'] }, { status: 'closed', owner: 'bob', disposition: 'true_positive' }, 'bob');
    await opened.store.triage({ ids: ['tri'] }, { comment: 'done' }, 'bob');
    await opened.store.commit({ findings: [upsert(record('tri', { count: 7 }), 2)] });
    const found = await opened.store.getFinding('tri');
    assert.deepEqual(found?.triage, { status: 'closed', owner: 'bob', urgency: 'low', disposition: 'true_positive' });
    assert.equal(found?.record.count, 7);
    assert.deepEqual(
      found?.history.map((h) => [h.actor, h.field, h.oldValue, h.newValue, h.comment]),
      [
        ['alice', 'status', 'new', 'in_progress', 'looking'],
        ['alice', 'owner', null, 'bob', 'looking'],
        ['bob', 'status', 'in_progress', 'closed', null],
        ['bob', 'disposition', null, 'true_positive', null],
        ['bob', 'comment', null, null, 'done'],
      ],
    );
  });

  test('bulk triage of "all matching" changes exactly the findings the filter matches', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `bulk-${String(i).padStart(2, '0')}`);
    await opened.store.commit({
      findings: ids.map((id, i) => upsert(record(id, { dest: i % 3 === 0 ? 'srv-bulk' : 'wks-bulk', risk_objects: [{ risk_object: i % 3 === 0 ? 'srv-bulk' : 'wks-bulk', risk_object_type: 'system', risk_score: 10 }] }), 1)),
    });
    const matched = await opened.store.triage({ host: 'SRV-BULK' }, { status: 'closed', disposition: 'false_positive', comment: 'lab host' }, 'carol');
    assert.equal(matched, 10);
    const closed = await opened.store.listFindings({ status: ['closed'], host: 'srv-bulk', limit: 100 });
    assert.equal(closed.total, 10);
    const open = await opened.store.listFindings({ host: 'wks-bulk', status: ['new'], limit: 100 });
    assert.equal(open.total, 20);
    const detail = await opened.store.getFinding('bulk-03');
    assert.deepEqual(detail?.history.map((h) => h.field), ['status', 'disposition']);
  });

  test('bulk triage writes a history row per changed field for every matching finding, with its own old value, and none where a value stays', async () => {
    const ids = Array.from({ length: 600 }, (_, i) => `hist-${String(i).padStart(4, '0')}`);
    await opened.store.commit({ findings: ids.map((id) => upsert(record(id, { search_name: 'History Bulk', detection_id: 'det-hist' }), 1)) });
    // a few already have the owner the bulk change sets, one already has a different status
    await opened.store.triage({ ids: ids.slice(0, 5) }, { owner: 'dave' }, 'dave');
    await opened.store.triage({ ids: [ids[7]] }, { status: 'pending' }, 'dave');
    const matched = await opened.store.triage({ detection: ['History Bulk'] }, { status: 'closed', owner: 'dave', disposition: 'benign_positive', comment: 'lab' }, 'erin');
    assert.equal(matched, ids.length);
    assert.equal((await opened.store.listFindings({ detection: ['det-hist'], status: ['closed'], owner: 'dave', disposition: ['benign_positive'], limit: 0 })).total, ids.length);
    for (const id of ids) {
      const history = (await opened.store.getFinding(id))!.history.filter((h) => h.actor === 'erin');
      const expected = [
        ['status', id === ids[7] ? 'pending' : 'new', 'closed', 'lab'],
        ...(ids.indexOf(id) < 5 ? [] : [['owner', null, 'dave', 'lab']]),
        ['disposition', null, 'benign_positive', 'lab'],
      ];
      assert.deepEqual(history.map((h) => [h.field, h.oldValue, h.newValue, h.comment]), expected, id);
    }
    // a comment alone is one history row per matching finding
    assert.equal(await opened.store.triage({ detection: ['det-hist'] }, { comment: 'reviewed' }, 'erin'), ids.length);
    for (const id of [ids[0], ids[7], ids.at(-1)!]) {
      const last = (await opened.store.getFinding(id))!.history.at(-1)!;
      assert.deepEqual([last.actor, last.field, last.oldValue, last.newValue, last.comment], ['erin', 'comment', null, null, 'reviewed']);
    }
  });

  test('listing pages, sorts and filters by detection, technique, story, user, owner, disposition and full text', async () => {
    await opened.store.commit({
      findings: [
        upsert(record('list-a', { search_name: 'Cloudflared Tunnel', detection_id: 'det-cf', process: 'cloudflared.exe tunnel run 100%_sure', mitre_attack_id: ['T1572'] }), 1, 2000),
        upsert(record('list-b', { user: 'bob', risk_objects: [{ risk_object: 'bob', risk_object_type: 'user', risk_score: 90 }] }), 1, 3000),
        upsert(record('list-c', { analytic_story: ['Other Story'] }), 1, 1000),
      ],
    });
    const byTime = await opened.store.listFindings({ ids: ['list-a', 'list-b', 'list-c'], sort: 'last_time' });
    assert.deepEqual(byTime.items.map((i) => i.record.finding_id), ['list-b', 'list-a', 'list-c']);
    const page = await opened.store.listFindings({ ids: ['list-a', 'list-b', 'list-c'], sort: 'last_time', descending: false, limit: 1, offset: 1 });
    assert.deepEqual([page.total, page.items.map((i) => i.record.finding_id)], [3, ['list-a']]);
    assert.deepEqual((await opened.store.listFindings({ detection: ['Cloudflared Tunnel'] })).items.map((i) => i.record.finding_id), ['list-a']);
    assert.deepEqual((await opened.store.listFindings({ detection: ['det-cf'] })).items.map((i) => i.record.finding_id), ['list-a']);
    assert.equal((await opened.store.listFindings({ ids: ['list-a', 'list-b'], technique: 'T1090' })).total, 1, 'T1090 matches T1090.002 only');
    assert.equal((await opened.store.listFindings({ ids: ['list-a', 'list-b', 'list-c'], story: 'reverse network proxy' })).total, 2);
    assert.equal((await opened.store.listFindings({ ids: ['list-a', 'list-b', 'list-c'], user: 'BOB' })).total, 1);
    assert.equal((await opened.store.listFindings({ ids: ['list-a', 'list-b', 'list-c'], owner: null })).total, 3);
    assert.equal((await opened.store.listFindings({ ids: ['list-a', 'list-b', 'list-c'], disposition: [null] })).total, 3);
    assert.deepEqual((await opened.store.listFindings({ text: 'CLOUDFLARED.EXE' })).items.map((i) => i.record.finding_id), ['list-a']);
    // LIKE wildcards in the search text are literal characters
    assert.deepEqual((await opened.store.listFindings({ text: '100%_sure' })).items.map((i) => i.record.finding_id), ['list-a']);
    assert.equal((await opened.store.listFindings({ text: '100%_surf' })).total, 0);
    assert.equal((await opened.store.listFindings({ ids: ['list-a', 'list-b', 'list-c'], from: 1500, to: 2500 })).total, 1);
    const urgent = await opened.store.listFindings({ ids: ['list-a', 'list-b', 'list-c'], sort: 'urgency' });
    assert.equal(urgent.items[0].record.finding_id, 'list-b', 'risk score 90 starts as critical');
    assert.equal(urgent.items[0].triage.urgency, 'critical');
  });

  test('bad triage values and filters are refused with a StoreInputError, before anything changes', async () => {
    await assert.rejects(opened.store.triage({ ids: ['list-a'] }, { status: 'done' as never }, 'x'), StoreInputError);
    await assert.rejects(opened.store.triage({ ids: ['list-a'] }, {}, 'x'), StoreInputError);
    await assert.rejects(opened.store.listFindings({ urgency: ['urgent' as never] }), StoreInputError);
    await assert.rejects(opened.store.listFindings({ sort: 'nope' as never }), StoreInputError);
    assert.equal((await opened.store.getFinding('list-a'))?.history.length, 0);
  });

  test('event references are kept once per finding and reference, with their origin', async () => {
    await opened.store.commit({ findings: [upsert(record('ev'), 1)], eventRefs: [{ findingId: 'ev', ref: 'journal:0:1', origin: { channel: 'c1', sourcetype: 'XmlWinEventLog', host: 'h' } }] });
    await opened.store.commit({ findings: [], eventRefs: [{ findingId: 'ev', ref: 'journal:0:1', origin: { channel: 'c1' } }, { findingId: 'ev', ref: 'journal:9:2', origin: { file: 'x.log', line: 2 } }] });
    const detail = await opened.store.getFinding('ev');
    assert.deepEqual(detail?.events, [
      { ref: 'journal:0:1', origin: { channel: 'c1', sourcetype: 'XmlWinEventLog', host: 'h' } },
      { ref: 'journal:9:2', origin: { file: 'x.log', line: 2 } },
    ]);
  });

  test('the host and user filters fold spellings to one entity: SRV-APP-02 finds srv-app-02.acme.example, S-1-5-18 finds NT AUTHORITY\\SYSTEM', async () => {
    const fqdn = record('fqdn', {
      dest: 'srv-app-02.acme.example', user: 'NT AUTHORITY\\SYSTEM',
      risk_objects: [{ risk_object: 'srv-app-02.acme.example', risk_object_type: 'system', risk_score: 30 }, { risk_object: 'NT AUTHORITY\\SYSTEM', risk_object_type: 'user', risk_score: 30 }],
    });
    await opened.store.commit({ findings: [upsert(fqdn, 1)] });
    const ids = async (filter: { host?: string; user?: string }) => (await opened.store.listFindings(filter)).items.map((i) => i.record.finding_id);
    for (const host of ['SRV-APP-02', 'srv-app-02', 'SRV-APP-02.ACME.EXAMPLE']) assert.deepEqual(await ids({ host }), ['fqdn'], host);
    assert.deepEqual(await ids({ host: 'srv-app-03' }), []);
    assert.deepEqual(await ids({ user: 'S-1-5-18' }), ['fqdn']);
  });

  test('evidence is stored per finding: a pivot from a file and record or line finds it, and only the winning revision replaces it', async () => {
    const first = { source: 'logs/a.jsonl', line: 12, offset: 900, time: '2026-03-09T10:47:10.000Z', event_code: '1' };
    const later = { source: 'logs/b.evtx', record: 4242, offset: 69632, time: '2026-03-09T10:50:00.000Z', event_code: '3', channel: 'Microsoft-Windows-Sysmon/Operational' };
    await opened.store.commit({ findings: [upsert(record('evi', { evidence_count: 1, evidence: [first] }), 1)] });
    const byLine = await opened.store.listFindings({ evidence: { source: 'logs/a.jsonl', line: 12 } });
    assert.deepEqual(byLine.items.map((i) => i.record.finding_id), ['evi']);
    assert.equal((await opened.store.listFindings({ evidence: { source: 'logs/a.jsonl', line: 13 } })).total, 0);

    await opened.store.commit({ findings: [upsert(record('evi', { evidence_count: 2, evidence: [first, later] }), 2)] });
    // a stale redelivery of revision 1 must not put back the old evidence rows
    await opened.store.commit({ findings: [upsert(record('evi', { evidence_count: 1, evidence: [first] }), 1)] });
    const byRecord = await opened.store.listFindings({ evidence: { source: 'logs/b.evtx', record: 4242 } });
    assert.deepEqual(byRecord.items.map((i) => i.record.finding_id), ['evi']);
    assert.deepEqual(byRecord.items[0].record.evidence, [first, later]);
    assert.equal(byRecord.items[0].record.evidence_count, 2);
    assert.equal((await opened.store.listFindings({ evidence: { source: 'logs/b.evtx' } })).total, 1);
    assert.equal((await opened.store.listFindings({ evidence: { source: 'logs/c.evtx' } })).total, 0);
  });

  test('risk events replace per finding; risk objects sum scores, list detections and tactics and flag incidents', async () => {
    await opened.store.commit({ findings: [upsert(record('r1'), 1), upsert(record('r2'), 1)], riskEvents: [{ findingId: 'r1', events: [riskEvent('r1', 'host-x', 10, 100)] }] });
    const incident: RiskIncident = {
      kind: 'risk_incident', risk_object: 'host-x', risk_object_type: 'system', risk_score: 120, reasons: ['score'], firstTime: 'a', lastTime: 'b',
      risk_event_count: 2, search_names: [], mitre_tactics: [], finding_ids: ['r1', 'r2'],
    };
    await opened.store.commit({
      findings: [],
      riskEvents: [
        { findingId: 'r1', events: [riskEvent('r1', 'host-x', 50, 100)] },
        { findingId: 'r2', events: [riskEvent('r2', 'host-x', 70, 200, 'defense-evasion'), riskEvent('r2', 'host-y', 5, 300)] },
      ],
      incidents: [incident],
    });
    const objects = await opened.store.riskObjects({});
    const x = objects.items.find((o) => o.risk_object === 'host-x');
    assert.deepEqual(x, {
      risk_object: 'host-x', risk_object_type: 'system', risk_score: 120, risk_event_count: 2, detections: ['search r1', 'search r2'],
      tactics: ['command-and-control', 'defense-evasion'], incident: true, firstTime: 100, lastTime: 200,
    });
    assert.equal(objects.items.find((o) => o.risk_object === 'host-y')?.incident, false);
    assert.deepEqual((await opened.store.riskEventsOf('host-x')).map((e) => e.risk_score), [50, 70]);
    assert.deepEqual(await opened.store.incidents(), [incident]);
    await opened.store.commit({ findings: [], incidents: [] });
    assert.deepEqual(await opened.store.incidents(), []);
  });
});

for (const backend of await storeBackends()) {
  describe(`store durability on ${backend.name}`, { skip: backend.skip }, () => {
    after(() => backend.cleanup());
    test('a reopened store has every committed finding, triage and checkpoint; migrating twice is harmless', async () => {
      const location = backend.location();
      const first = await openStore(location);
      await first.commit({ findings: [upsert(record('keep'), 4)], checkpoint: { consumer: 'c', position: 7, state: 's' } });
      await first.triage({ ids: ['keep'] }, { owner: 'dave' }, 'dave');
      await first.close();
      const second = await openStore(location);
      try {
        const found = await second.getFinding('keep');
        assert.equal(found?.revision, 4);
        assert.equal(found?.triage.owner, 'dave');
        assert.deepEqual(await second.checkpoint('c'), { consumer: 'c', position: 7, state: 's' });
      } finally {
        await second.close();
      }
    });

    test('a store made before triage had its own table (schema step 3) keeps every finding\'s triage and history when step 4 moves it', async () => {
      const location = backend.location();
      const db = await stores[backend.name].driver(location);
      await migrate(db, 3);
      const text = JSON.stringify(record('old'));
      await db.run(
        `INSERT INTO findings (id, revision, detection_id, search_name, first_time, last_time, count, risk_score, hosts, users, stories, techniques, record,
           search_text, created_at, updated_at, status, owner, urgency, urgency_rank, disposition)
         VALUES ('old', 1, 'det-ngrok', 'Ngrok Agent Tunnel Execution', 1, 2, 1, 30, '|wks-01|', '|acme\\alice|', '', '', ?, ?, 'x', 'x', 'closed', 'erin', 'high', 3, 'true_positive')`,
        [text, text.toLowerCase()],
      );
      await db.run(`INSERT INTO finding_history (finding_id, at, actor, field, old_value, new_value, comment) VALUES ('old', 'x', 'erin', 'status', 'new', 'closed', 'seen')`);
      const store = await SqlFindingStore.open(db);
      try {
        const found = await store.getFinding('old');
        assert.deepEqual(found?.triage, { status: 'closed', owner: 'erin', urgency: 'high', disposition: 'true_positive' });
        assert.deepEqual(found?.history.map((h) => [h.field, h.newValue, h.comment]), [['status', 'closed', 'seen']]);
        assert.equal((await store.listFindings({ status: ['closed'], urgency: ['high'], owner: 'erin' })).total, 1);
        await store.commit({ findings: [upsert(record('old', { count: 5 }), 2)] });
        assert.equal((await store.getFinding('old'))?.triage.status, 'closed', 'a newer revision keeps the migrated triage');
      } finally {
        await store.close();
      }
    });
  });
}

describe('opening a fresh store from several processes at once', () => {
  test('eight PostgreSQL opens of one new schema at the same moment all succeed and migrate it once (two workers started together)', async (t) => {
    const skip = await postgresUnavailable();
    if (skip) return t.skip(skip);
    const schema = uniqueSchema();
    const location = `${postgresBaseUrl}?schema=${schema}`;
    try {
      const opened = await Promise.allSettled(Array.from({ length: 8 }, () => openStore(location)));
      const failures = opened.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => String(o.reason));
      assert.deepEqual(failures, []);
      const db = await stores.postgres.driver(location);
      const versions = await db.all<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(versions.map((v) => Number(v.version)), versions.map((_, i) => i + 1), 'each step recorded once, in order');
      assert.ok(versions.length >= 4);
      await db.close();
      for (const o of opened) if (o.status === 'fulfilled') await o.value.close();
    } finally {
      await dropSchema(schema);
    }
  });
});
