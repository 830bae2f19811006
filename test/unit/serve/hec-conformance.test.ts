import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { parseHecTime } from '../../../src/ingest/hec-events.js';
import type { ServeRuntime } from '../../../src/serve/server.js';
import type { TokenConfig } from '../../../src/serve/config.js';
import { eventually, startServe, TOKEN } from '../../helpers/serve.js';
import { ngrokEvent } from '../../helpers/events.js';

const token = (t: Partial<TokenConfig> & { token: string }): TokenConfig => ({ name: t.token, ack: false, disabled: false, api: false, ...t });
const ACK_TOKEN = 'ack-token-0123456789';
const tokens = [
  token({ token: ACK_TOKEN, ack: true }),
  token({ token: 'disabled-token-0123', disabled: true }),
  token({ token: 'main-only-token-0123', indexes: ['main'] }),
];

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

describe('HEC conformance (real HTTP, Splunk\'s answers)', () => {
  let serve: ServeRuntime;
  let base: string;
  const post = async (path: string, body: string | Buffer, headers: Record<string, string> = { authorization: `Splunk ${TOKEN}` }, method = 'POST'): Promise<Answer> => {
    const res = await fetch(`${base}${path}`, { method, headers, body: method === 'GET' ? undefined : body });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
  };
  /** the events carrying `marker` raise several detections' findings: each must have counted them exactly `n` times */
  const countOf = async (marker: string): Promise<number> => {
    const res = await fetch(`${base}/api/findings?q=${encodeURIComponent(marker)}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const page = (await res.json()) as { items: Array<{ count: number }> };
    const counts = new Set(page.items.map((i) => i.count));
    assert.ok(page.items.length > 0 && counts.size === 1, `findings for ${marker} disagree: ${[...counts].join(', ')}`);
    return [...counts][0];
  };
  const settled = () => eventually(async () => serve.processor.lag === 0, 30_000, 'the processor to catch up');

  before(async () => {
    serve = await startServe({ tokens });
    base = `http://${serve.address}`;
  });
  after(() => serve.close());

  test('health answers 200 code 17 without a token; other methods on it are 405', async () => {
    assert.deepEqual(await post('/services/collector/health', '', {}, 'GET').then((a) => [a.status, a.body]), [200, { text: 'HEC is healthy', code: 17 }]);
    assert.deepEqual(await post('/services/collector/health/1.0', '', {}, 'GET').then((a) => [a.status, a.body.code]), [200, 17]);
    assert.equal((await post('/services/collector/health', '{}', {})).status, 405);
  });

  test('auth matrix: missing 401/2, malformed 401/3, unknown 403/4, disabled 403/1, query string 400/16, Basic with the token as password 200', async () => {
    const event = '{"event":"hello"}';
    const cases: Array<[Record<string, string>, string, number, number]> = [
      [{}, '', 401, 2],
      [{ authorization: 'Bearer x' }, '', 401, 3],
      [{ authorization: 'Splunk' }, '', 401, 3],
      [{ authorization: `${TOKEN}` }, '', 401, 3],
      [{ authorization: 'Splunk not-a-known-token' }, '', 403, 4],
      [{ authorization: 'Splunk disabled-token-0123' }, '', 403, 1],
      [{}, `?token=${TOKEN}`, 400, 16],
      [{ authorization: `Basic ${Buffer.from(`anyone:${TOKEN}`).toString('base64')}` }, '', 200, 0],
      [{ authorization: `Splunk ${TOKEN}` }, '', 200, 0],
    ];
    for (const [headers, query, status, code] of cases) {
      const a = await post(`/services/collector/event${query}`, event, headers);
      assert.deepEqual([a.status, a.body.code], [status, code], `${JSON.stringify(headers)} ${query}`);
      assert.equal(typeof a.body.text, 'string');
    }
  });

  test('empty and whitespace-only bodies are 400 code 5 (No data), on /event and /raw', async () => {
    for (const [path, body] of [['/services/collector/event', ''], ['/services/collector', ' \n\t '], ['/services/collector/raw', ''], ['/services/collector/raw', '\n\n']]) {
      assert.deepEqual(await post(path, body).then((a) => [a.status, a.body]), [400, { text: 'No data', code: 5 }], `${path} ${JSON.stringify(body)}`);
    }
  });

  test('single and batched envelopes (concatenated, whitespace between, no array) are taken and counted', async () => {
    const marker = `batch${randomUUID().slice(0, 8)}`;
    const one = await post('/services/collector/event', JSON.stringify({ event: ngrokEvent(marker, 1), sourcetype: 'XmlWinEventLog' }));
    assert.deepEqual([one.status, one.body], [200, { text: 'Success', code: 0 }]);
    const batch = [2, 3, 4].map((i) => JSON.stringify({ event: ngrokEvent(marker, i), sourcetype: 'XmlWinEventLog', time: 1773043330 + i })).join('\n  \r\n');
    assert.equal((await post('/services/collector/event/1.0', batch)).status, 200);
    await settled();
    assert.equal(await countOf(marker), 4);
  });

  test('missing, null, blank and non-text events are 400 with codes 12, 13 and 6 and the invalid-event-number counted from 0', async () => {
    const good = '{"event":"ok"}';
    const cases: Array<[string, number]> = [
      ['{"time":1}', 12],
      ['{"event":null}', 12],
      ['{"event":""}', 13],
      ['{"event":{}}', 13],
      ['{"event":"x","host":7}', 6],
      ['{"event":"x","time":"yesterday"}', 6],
      ['{"event":"x","time":-5}', 6],
      ['{"event":"x","fields":{"a":{"nested":1}}}', 15],
      ['{"event":"x","fields":"flat"}', 15],
      ['{"event": "unterminated', 6],
      ['[{"event":"x"}]', 6],
    ];
    for (const [bad, code] of cases) {
      const a = await post('/services/collector/event', `${good}${good}${bad}${good}`);
      assert.deepEqual([a.status, a.body.code, a.body['invalid-event-number']], [400, code, 2], bad);
    }
    assert.equal((await post('/services/collector/event', '{"event":"x","fields":{"a":"b","n":[1,"two"]}}')).status, 200, 'flat fields and arrays of scalars are indexed fields Splunk takes');
  });

  test('prefix commit: the events before the first bad one are kept, and resending the whole corrected batch does not count them twice', async () => {
    const marker = `prefix${randomUUID().slice(0, 8)}`;
    const envelopes = [0, 1, 2, 3].map((i) => ({ event: ngrokEvent(marker, 100 + i), sourcetype: 'XmlWinEventLog' }));
    const broken = [envelopes[0], envelopes[1], { sourcetype: 'XmlWinEventLog' }, envelopes[3]].map((e) => JSON.stringify(e)).join('');
    const first = await post('/services/collector/event', broken);
    assert.deepEqual([first.status, first.body.code, first.body['invalid-event-number']], [400, 12, 2]);
    await settled();
    assert.equal(await countOf(marker), 2, 'the two events before the bad one were committed');
    const resend = await post('/services/collector/event', envelopes.map((e) => JSON.stringify(e)).join('\n'));
    assert.equal(resend.status, 200);
    await settled();
    assert.equal(await countOf(marker), 4, 'each event counted once');
    assert.ok(serve.hecStats.duplicates >= 2);
  });

  test('no metadata is carried from one envelope to the next: each has its own or the token\'s defaults', async () => {
    const before = serve.journal.end;
    const body = [
      { event: 'first', sourcetype: 'XmlWinEventLog', host: 'host-a', source: 'src-a', index: 'main' },
      { event: { second: true } },
    ].map((e) => JSON.stringify(e)).join('');
    assert.equal((await post('/services/collector/event', body)).status, 200);
    const records = serve.journal.read(before, 1 << 20);
    assert.deepEqual(records.map((r) => [r.header.sourcetype, r.header.host, r.header.source, r.header.index, r.body.toString()]), [
      ['XmlWinEventLog', 'host-a', 'src-a', 'main', 'first\n'],
      [undefined, undefined, undefined, undefined, '{"second":true}\n'],
    ]);
  });

  test('time as Splunk reads it: seconds with decimals, numeric strings, 13-digit milliseconds, 16-digit microseconds, 19-digit nanoseconds', () => {
    const cases: Array<[unknown, number | undefined]> = [
      [1773043330, 1773043330],
      [1773043330.25, 1773043330.25],
      ['1773043330.5', 1773043330.5],
      ['1773043330', 1773043330],
      [1773043330123, 1773043330.123],
      ['1773043330123', 1773043330.123],
      [1773043330123456, 1773043330.123456],
      ['1773043330123456789', 1773043330.1234567],
      [0, 0],
      [-1, undefined],
      ['1e9', undefined],
      ['12:00', undefined],
      ['', undefined],
      [true, undefined],
    ];
    for (const [input, expected] of cases) {
      const got = parseHecTime(input);
      if (expected === undefined) assert.equal(got, undefined, String(input));
      else assert.ok(got !== undefined && Math.abs(got - expected) < 1e-6, `${input} -> ${got}`);
    }
  });

  test('an index the token may not write is 400 code 7; an allowed one is taken', async () => {
    const headers = { authorization: 'Splunk main-only-token-0123' };
    assert.deepEqual(await post('/services/collector/event', '{"event":"x","index":"secret"}', headers).then((a) => [a.status, a.body.code]), [400, 7]);
    assert.deepEqual(await post('/services/collector/event', '{"event":"x","index":"Bad Name"}').then((a) => [a.status, a.body.code]), [400, 7]);
    assert.equal((await post('/services/collector/event', '{"event":"x","index":"main"}', headers)).status, 200);
    assert.deepEqual(await post('/services/collector/raw?index=secret', 'x', headers).then((a) => [a.status, a.body.code]), [400, 7]);
  });

  test('gzip bodies are read; other encodings are 415; broken gzip is 400', async () => {
    const marker = `gzip${randomUUID().slice(0, 8)}`;
    const body = gzipSync(JSON.stringify({ event: ngrokEvent(marker, 1), sourcetype: 'XmlWinEventLog' }));
    const ok = await post('/services/collector/event', body, { authorization: `Splunk ${TOKEN}`, 'content-encoding': 'gzip' });
    assert.equal(ok.status, 200);
    await settled();
    assert.equal(await countOf(marker), 1);
    assert.equal((await post('/services/collector/event', body, { authorization: `Splunk ${TOKEN}`, 'content-encoding': 'br' })).status, 415);
    assert.equal((await post('/services/collector/event', Buffer.from('not gzip at all'), { authorization: `Splunk ${TOKEN}`, 'content-encoding': 'gzip' })).status, 400);
  });

  test('/raw breaks events per sourcetype: the journal record names the source that frames it', async () => {
    const cases: Array<[string, string | undefined]> = [
      ['XmlWinEventLog', 'windows-xml'],
      ['XmlWinEventLog:Microsoft-Windows-Sysmon/Operational', 'windows-xml'],
      ['sysmon:linux', 'syslog'],
      ['crowdstrike:events:sensor', 'jsonl'],
      ['_json', 'jsonl'],
      ['mystery', undefined],
    ];
    for (const [sourcetype, format] of cases) {
      const before = serve.journal.end;
      assert.equal((await post(`/services/collector/raw?sourcetype=${encodeURIComponent(sourcetype)}&host=h1`, `line ${sourcetype} ${randomUUID()}\n`)).status, 200);
      const [record] = serve.journal.read(before, 1 << 20);
      assert.deepEqual([record.header.sourcetype, record.header.format, record.header.host], [sourcetype, format, 'h1']);
    }
  });

  test('channels and acks: required and GUID-shaped for an ack token, ids per channel from 0, true once durable, forgotten once reported', async () => {
    const headers = (channel?: string) => ({ authorization: `Splunk ${ACK_TOKEN}`, ...(channel && { 'x-splunk-request-channel': channel }) });
    assert.deepEqual(await post('/services/collector/event', '{"event":"x"}', headers()).then((a) => [a.status, a.body.code]), [400, 10]);
    assert.deepEqual(await post('/services/collector/event', '{"event":"x"}', headers('not-a-guid')).then((a) => [a.status, a.body.code]), [400, 11]);
    const channel = randomUUID();
    const other = randomUUID();
    assert.deepEqual((await post('/services/collector/event', '{"event":"a"}', headers(channel))).body, { text: 'Success', code: 0, ackId: 0 });
    assert.deepEqual((await post('/services/collector/raw', 'b', headers(channel))).body, { text: 'Success', code: 0, ackId: 1 });
    assert.deepEqual((await post(`/services/collector/event?channel=${other}`, '{"event":"c"}', headers())).body.ackId, 0, 'ids count per channel');
    const acks = await post('/services/collector/ack', JSON.stringify({ acks: [0, 1, 7] }), headers(channel));
    assert.deepEqual([acks.status, acks.body], [200, { acks: { '0': true, '1': true, '7': false } }]);
    assert.deepEqual((await post('/services/collector/ack', JSON.stringify({ acks: [0] }), headers(channel))).body, { acks: { '0': false } });
    assert.deepEqual(await post('/services/collector/ack', '{"acks":"zero"}', headers(channel)).then((a) => [a.status, a.body.code]), [400, 6]);
    assert.deepEqual(await post('/services/collector/ack', '{"acks":[0]}', headers()).then((a) => [a.status, a.body.code]), [400, 10]);
    assert.deepEqual(await post('/services/collector/ack', '{"acks":[0]}').then((a) => [a.status, a.body.code]), [400, 14], 'ack disabled for this token');
    assert.deepEqual(await post('/services/collector/event', '{"event":"x"}', { authorization: `Splunk ${TOKEN}`, 'x-splunk-request-channel': 'nope' }).then((a) => [a.status, a.body.code]), [400, 11]);
  });

  test('unknown paths are 404, wrong methods 405, and malformed requests never stop the server', async () => {
    assert.equal((await post('/services/collector/nonsense', '{}')).status, 404);
    assert.equal((await post('/services/collector/event', '', {}, 'GET')).status, 405);
    assert.equal((await post('/services/collector/raw', 'x', { authorization: `Splunk ${TOKEN}` }, 'PUT')).status, 405);
    assert.deepEqual(await post('/services/collector/event', '\u0000\u0001{{{').then((a) => [a.status, a.body.code]), [400, 6]);
    assert.equal((await post('/services/collector/health', '', {}, 'GET')).status, 200);
  });
});

describe('HEC limits and overload', () => {
  test('a body past the cap is 413, a gzip bomb past the decompressed cap is 413, and the server stays healthy', async () => {
    const serve = await startServe({ maxBodyBytes: 1024 * 1024, maxDecompressedBytes: 2 * 1024 * 1024 });
    try {
      const base = `http://${serve.address}`;
      const auth = { authorization: `Splunk ${TOKEN}` };
      const big = await fetch(`${base}/services/collector/raw`, { method: 'POST', headers: auth, body: Buffer.alloc(3 * 1024 * 1024, 0x61) });
      assert.equal(big.status, 413);
      const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
      assert.ok(bomb.length < 1024 * 1024, 'the bomb itself fits under the wire cap');
      const exploded = await fetch(`${base}/services/collector/raw`, { method: 'POST', headers: { ...auth, 'content-encoding': 'gzip' }, body: bomb });
      assert.equal(exploded.status, 413);
      assert.equal(serve.journal.end, 0, 'nothing of either was journaled');
      const health = await fetch(`${base}/services/collector/health`);
      assert.equal(health.status, 200);
    } finally {
      await serve.close();
    }
  });

  test('past the lag limit HEC answers 503 code 9 with Retry-After and health 503 code 18: refused, never silently dropped', async () => {
    const serve = await startServe({ maxLagBytes: -1 });
    try {
      const base = `http://${serve.address}`;
      const res = await fetch(`${base}/services/collector/event`, { method: 'POST', headers: { authorization: `Splunk ${TOKEN}` }, body: '{"event":"x"}' });
      assert.deepEqual([res.status, await res.json(), res.headers.get('retry-after')], [503, { text: 'Server is busy', code: 9 }, '1']);
      const health = await fetch(`${base}/services/collector/health`);
      assert.deepEqual([health.status, ((await health.json()) as { code: number }).code], [503, 18]);
      assert.equal(serve.journal.end, 0);
    } finally {
      await serve.close();
    }
  });

  test('past --max-lag-seconds (acknowledged events waiting too long for detection) HEC answers 503 code 9 and health 18, however few bytes wait; once processed, events are taken again', async () => {
    const serve = await startServe({ maxLagSeconds: 0.3 });
    try {
      const base = `http://${serve.address}`;
      const send = () => fetch(`${base}/services/collector/event`, { method: 'POST', headers: { authorization: `Splunk ${TOKEN}` }, body: '{"event":"x"}' });
      // detection stalls (the processor stops): the one event taken waits
      serve.processor.stop();
      assert.equal((await send()).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const res = await send();
      assert.deepEqual([res.status, await res.json(), res.headers.get('retry-after')], [503, { text: 'Server is busy', code: 9 }, '1']);
      const health = await fetch(`${base}/services/collector/health`);
      assert.deepEqual([health.status, ((await health.json()) as { code: number }).code], [503, 18]);
      assert.ok(serve.processor.lag < 1024, `only ${serve.processor.lag} bytes wait: the byte limit is far`);
      // the waiting event is processed: nothing waits, the next event is taken
      assert.equal(await serve.processor.step(), true);
      assert.equal((await send()).status, 200);
    } finally {
      await serve.close();
    }
  });
});
