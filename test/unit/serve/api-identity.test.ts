import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startServe, TOKEN } from '../../helpers/serve.js';
import { ngrokEvent } from '../../helpers/events.js';

const ALICE = 'alice-token-0123456789';

test('a token stands for its named user: owner "me" assigns to and filters by the caller, sessions keep the name, history records it', async () => {
  const serve = await startServe({ tokens: [{ token: ALICE, name: 'alice', ack: false, disabled: false, api: true }] });
  try {
    const base = `http://${serve.address}`;
    const as = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    const sent = await fetch(`${base}/services/collector/event`, { method: 'POST', headers: { authorization: `Splunk ${TOKEN}` }, body: JSON.stringify({ event: ngrokEvent('mine', 1), sourcetype: 'XmlWinEventLog' }) });
    assert.equal(sent.status, 200);
    await eventually(async () => serve.processor.lag === 0);
    const list = (await (await fetch(`${base}/api/findings?q=mine`, { headers: as(ALICE) })).json()) as { items: Array<{ finding_id: string }> };
    const id = list.items[0].finding_id;

    const patched = await fetch(`${base}/api/findings/${id}`, { method: 'PATCH', headers: as(ALICE), body: JSON.stringify({ owner: 'me', comment: 'mine now' }) });
    assert.equal(patched.status, 200);
    const detail = (await patched.json()) as { triage: { owner: string }; history: Array<{ actor: string; field: string }> };
    assert.equal(detail.triage.owner, 'alice');
    assert.deepEqual(detail.history.map((h) => [h.actor, h.field]), [['alice', 'owner']]);

    const mineForAlice = (await (await fetch(`${base}/api/findings?owner=me`, { headers: as(ALICE) })).json()) as { items: Array<{ finding_id: string }> };
    assert.deepEqual(mineForAlice.items.map((f) => f.finding_id), [id]);
    const mineForPrimary = (await (await fetch(`${base}/api/findings?owner=me`, { headers: as(TOKEN) })).json()) as { total: number };
    assert.equal(mineForPrimary.total, 0, 'the primary token is another user');

    const session = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ALICE }) });
    const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0];
    assert.deepEqual(await (await fetch(`${base}/api/session`, { headers: { cookie } })).json(), { user: 'alice' });
  } finally {
    await serve.close();
  }
});
