import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RecordPrefilter } from '../../../src/sources/source.js';
import { syslogSource } from '../../../src/sources/syslog.js';
import { windowsXmlSource } from '../../../src/sources/windows-xml.js';
import { bufferInput, readAll } from './helpers.js';

const HIT = '<Event><System><Provider Name="Linux-Sysmon"/><EventID>1</EventID></System><EventData><Data Name="Image">/usr/bin/ngrok</Data></EventData></Event>';
const MISS = HIT.replace('ngrok', 'bash');

/** Tests raw bytes only: the sources must never decode a record just to prefilter it. */
function bytePrefilter(calls: { bytes: number }): RecordPrefilter {
  return {
    mayMatchText(): boolean {
      throw new Error('prefilter offered decoded text');
    },
    mayMatchBytes(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
      calls.bytes++;
      return Buffer.from(bytes.subarray(start, end)).includes('ngrok');
    },
    mayMatchUtf16: () => true,
    mayMatchUtf16Each: (_bytes: Uint8Array, ranges: ArrayLike<number>, passed: Uint8Array) => passed.fill(1, 0, ranges.length >> 1),
  };
}

test('windows-xml: one event per line is prefiltered on bytes, once per event, before any decoding', async () => {
  const calls = { bytes: 0 };
  const text = `${MISS}\n${HIT}\n${MISS}\n`;
  const { events, prefiltered, skips } = await readAll(windowsXmlSource, bufferInput(text, 'w.xml', 64), { prefilter: bytePrefilter(calls) });
  assert.deepEqual(events.map((e) => [e.data.Image, e.location.line]), [['/usr/bin/ngrok', 2]]);
  assert.equal(prefiltered, 2);
  assert.equal(calls.bytes, 3);
  assert.deepEqual(skips, []);
});

test('windows-xml: a pretty-printed event is prefiltered as a whole framed event', async () => {
  const calls = { bytes: 0 };
  const pretty = (xml: string) => xml.replaceAll('><', '>\n  <');
  const doc = `<Events>\n${pretty(MISS)}\n${pretty(HIT)}\n</Events>\n`;
  const { events, prefiltered } = await readAll(windowsXmlSource, bufferInput(doc, 'w.xml', 5), { prefilter: bytePrefilter(calls) });
  assert.deepEqual(events.map((e) => e.location.line), [2 + pretty(MISS).split('\n').length]);
  assert.equal(prefiltered, 1);
  assert.equal(calls.bytes, 2);
});

test('syslog: lines are prefiltered on bytes once; passing lines are not tested again as text', async () => {
  const calls = { bytes: 0 };
  const text = `Oct 24 17:05:38 h sysmon: ${MISS}\nOct 24 17:05:38 h sysmon: ${HIT}\n`;
  const { events, prefiltered } = await readAll(syslogSource, bufferInput(text, 's.log'), { prefilter: bytePrefilter(calls) });
  assert.equal(events.length, 1);
  assert.equal(prefiltered, 1);
  assert.equal(calls.bytes, 2);
});

test('windows-xml: an event the literals pass is tested again by its EventID, read from its bytes; events they rule out are never probed', async () => {
  const kinds: string[] = [];
  const prefilter: RecordPrefilter = {
    ...bytePrefilter({ bytes: 0 }),
    mayMatchKind(_bytes, _start, _end, kind) {
      kinds.push(kind.system.EventID);
      // the rules of EventID 1 only: a 4648 holding the literal is no match
      return kind.system.EventID === '1';
    },
  };
  const logon = HIT.replace('<EventID>1<', '<EventID>4648<');
  const { events, prefiltered } = await readAll(windowsXmlSource, bufferInput(`${MISS}\n${HIT}\n${logon}\n`, 'w.xml'), { prefilter });
  assert.deepEqual(events.map((e) => [e.system.EventID, e.location.line]), [['1', 2]]);
  assert.equal(prefiltered, 2);
  assert.deepEqual(kinds, ['1', '4648']);
});
