import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SyslogFramer } from '../../../src/ingest/syslog-framer.js';
import type { ServeRuntime } from '../../../src/serve/server.js';
import { repoRoot } from '../../helpers/paths.js';
import { cliPath, eventually, startServe, TOKEN, withoutEvidencePlaces } from '../../helpers/serve.js';

const examples = path.join(repoRoot, 'examples');
const lines = (file: string) => readFileSync(path.join(examples, file), 'utf8').split('\n').filter((l) => l.trim() !== '');
const octet = (message: string) => `${Buffer.byteLength(message)} ${message}`;

describe('RFC 6587 framing, detected per frame', () => {
  // (an LF-framed message cannot start with a digit: that is how octet counting is recognised; syslog messages start with `<`)
  const messages = ['<13>1 2026-03-12T09:22:31Z h app - - - first', 'second plain line', '12 digits then', '<Event><System></System></Event>', 'é multibyte ü'];
  // frames alternate between octet-counting and LF, on one stream
  const stream = Buffer.from(messages.map((m, i) => (i % 2 === 0 ? octet(m) : `${m}\n`)).join(''));

  test('mixed octet-counted and LF frames come out the same wherever the stream is cut', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      for (const second of [cut, Math.min(stream.length, cut + 7)]) {
        const framer = new SyslogFramer(1024);
        const frames = [...framer.push(stream.subarray(0, cut)), ...framer.push(stream.subarray(cut, second)), ...framer.push(stream.subarray(second)), ...framer.end()];
        assert.deepEqual(frames.map((f) => f.toString()), messages, `cut at ${cut}/${second}`);
      }
    }
  });

  test('oversize frames of either framing are skipped and counted; the frames after them survive; CRLF endings are trimmed', () => {
    const framer = new SyslogFramer(16);
    const big = 'x'.repeat(40);
    const frames = [...framer.push(Buffer.from(`${big}\nok one\r\n${octet(big)}${octet('ok two')}`)), ...framer.end()];
    assert.deepEqual(frames.map((f) => f.toString()), ['ok one', 'ok two']);
    assert.deepEqual(framer.counts, { frames: 2, oversize: 2, truncated: 0, malformed: 0 });
  });

  test('a stream that ends inside an octet-counted frame counts it truncated; an unterminated last LF frame is kept', () => {
    const truncated = new SyslogFramer(1024);
    assert.deepEqual(truncated.push(Buffer.from('50 only part of it')), []);
    assert.deepEqual(truncated.end(), []);
    assert.equal(truncated.counts.truncated, 1);
    const unterminated = new SyslogFramer(1024);
    assert.deepEqual([...unterminated.push(Buffer.from('a\nlast')), ...unterminated.end()].map(String), ['a', 'last']);
  });

  test('an octet count that is not digits then a space is malformed: skipped to the next LF', () => {
    const framer = new SyslogFramer(1024);
    const frames = [...framer.push(Buffer.from('12345678901234 nonsense\nfine\n')), ...framer.end()];
    assert.deepEqual(frames.map(String), ['fine']);
    assert.equal(framer.counts.malformed, 1);
  });
});

describe('syslog over real UDP and TCP sockets', () => {
  let serve: ServeRuntime;
  before(async () => {
    serve = await startServe({ syslog: { host: '127.0.0.1', port: 0, maxFrameBytes: 64 * 1024 } });
  });
  after(() => serve.close());

  const sendTcp = (payload: string | Buffer) =>
    new Promise<void>((resolve, reject) => {
      const socket = connect(serve.syslog!.port, '127.0.0.1', () => socket.end(payload));
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
  const sendUdp = async (messages: string[]) => {
    const socket = createSocket('udp4');
    for (const m of messages) await new Promise<void>((resolve, reject) => socket.send(m, serve.syslog!.port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
    socket.close();
  };
  const settled = () =>
    eventually(async () => serve.syslog!.pending === 0 && serve.processor.lag === 0 && serve.journal.queuedBytes === 0, 30_000, 'the journal to be processed');
  const stored = async () => {
    const res = await fetch(`http://${serve.address}/api/findings?limit=1000`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return ((await res.json()) as { items: Array<Record<string, unknown>> }).items;
  };

  test('examples replayed over TCP (both framings mixed on one connection) and UDP raise the findings scan gives for the same files', async () => {
    const files = ['linux-sysmon.log', 'windows-sysmon.xml'];
    for (const file of files) {
      const all = lines(file);
      const tcp = all.filter((_, i) => i % 3 !== 2);
      const udp = all.filter((_, i) => i % 3 === 2);
      await sendTcp(tcp.map((l, i) => (i % 2 === 0 ? octet(l) : `${l}\n`)).join(''));
      await sendUdp(udp);
    }
    await eventually(async () => serve.syslog!.stats.messages >= files.reduce((n, f) => n + lines(f).length, 0), 10_000, 'every message to arrive');
    await settled();
    const scan = spawnSync(process.execPath, [cliPath, 'scan', '-q', '--window', '24h', '-f', 'jsonl', ...files.map((f) => path.join(examples, f))], { encoding: 'utf8' });
    const expected = new Map(scan.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.kind === 'finding').map((r) => [r.finding_id, r]));
    const items = await stored();
    assert.equal(items.length, expected.size);
    for (const { triage: _t, revision: _r, updated_at: _u, ...record } of items) assert.deepEqual(withoutEvidencePlaces(record), withoutEvidencePlaces(expected.get(record.finding_id) ?? {}));
  });

  test('the peer address is the host of an event that names none', async () => {
    const line = lines('linux-sysmon.log').find((l) => l.includes('ngrok tcp 22'))!;
    const anonymous = line.slice(line.indexOf('<Event>')).replace(/<Computer>[^<]*<\/Computer>/, '').replace('ngrok tcp 22', 'ngrok tcp 2222');
    const before = serve.syslog!.stats.messages;
    await sendTcp(`${anonymous}\n`);
    await eventually(async () => serve.syslog!.stats.messages > before, 10_000, 'the message');
    await settled();
    const items = await stored();
    const found = items.find((i) => String(i.process).startsWith('ngrok tcp 2222 '));
    assert.ok(found, 'the event raised a finding');
    assert.equal(found?.dest, '127.0.0.1');
  });

  test('util-linux logger, a real syslog client, delivers over TCP with octet counting and over UDP', async (t) => {
    const probe = spawnSync('logger', ['--version'], { encoding: 'utf8' });
    if (probe.status !== 0) return t.skip('logger (util-linux) is not installed');
    const line = lines('linux-sysmon.log').find((l) => l.includes('ngrok config add-authtoken'))!;
    const event = line.slice(line.indexOf('<Event>'));
    const before = serve.syslog!.stats.messages;
    const port = String(serve.syslog!.port);
    for (const transport of [['-T', '--octet-count'], ['-d']]) {
      const run = spawnSync('logger', ['-n', '127.0.0.1', '-P', port, ...transport, '--rfc5424', '-t', 'sysmon', '--', event.replace('add-authtoken', `add-authtoken via${transport[0]}`)], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
    }
    await eventually(async () => serve.syslog!.stats.messages >= before + 2, 10_000, 'logger messages');
    await settled();
    const items = await stored();
    for (const via of ['via-T', 'via-d']) assert.ok(items.some((i) => String(i.process).includes(via)), `${via} arrived as a finding`);
  });

  test('oversize and truncated frames are counted and reported; the connection and the server go on', async () => {
    const small = await startServe({ syslog: { host: '127.0.0.1', port: 0, maxFrameBytes: 4096 } });
    try {
      const port = small.syslog!.port;
      const send = (payload: string) =>
        new Promise<void>((resolve) => {
          const s = connect(port, '127.0.0.1', () => s.end(payload));
          s.on('close', () => resolve());
        });
      await send(`${'x'.repeat(10_000)}\n${octet('y'.repeat(10_000))}${octet('<13>fine')}`);
      await send('300 <13>cut short');
      await eventually(async () => small.syslog!.stats.truncated === 1 && small.syslog!.stats.messages === 1, 10_000, 'the counts');
      const status = await fetch(`http://${small.address}/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.json() as Promise<{ syslog: Record<string, number> }>);
      assert.deepEqual([status.syslog.oversize, status.syslog.truncated, status.syslog.messages], [2, 1, 1]);
    } finally {
      await small.close();
    }
  });
});
