import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Line } from '../../../src/sources/framing/lines.js';
import { frameXmlEvents } from '../../../src/sources/framing/xml-events.js';
import { bufferInput, collectingContext } from './helpers.js';

async function frame(text: string | Buffer, chunkSize = 0, maxRecordBytes = 1 << 20) {
  const ctx = collectingContext({ maxRecordBytes });
  const recs: Line[] = [];
  for await (const batch of frameXmlEvents(bufferInput(text, 'x', chunkSize).open(), 'x', ctx)) recs.push(...batch);
  return { recs, skips: ctx.skips };
}

const DOC = `<?xml version="1.0" encoding="UTF-8"?>
<Events>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System><EventID>1</EventID></System>
  <EventData><Data Name="a">1</Data></EventData>
</Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>2</EventID></System></Event><Event><System><EventID>3</EventID></System></Event>
</Events>
`;

test('pretty-printed and same-line events are framed with their start line and offset', async () => {
  const { recs, skips } = await frame(DOC);
  assert.equal(skips.length, 0);
  assert.equal(recs.length, 3);
  assert.deepEqual(recs.map((r) => r.line), [3, 7, 7]);
  assert.deepEqual(recs.map((r) => r.offset), [DOC.indexOf('<Event '), DOC.indexOf('<Event xmlns', DOC.indexOf('<EventID>2') - 100), DOC.indexOf('<Event><System><EventID>3')]);
  assert.ok(recs[0].text.endsWith('</Event>') && recs[0].text.includes('<Data Name="a">1</Data>'));
});

test('framing does not depend on chunk boundaries', async () => {
  const whole = (await frame(DOC)).recs;
  for (const size of [1, 2, 5, 7, 64]) assert.deepEqual((await frame(DOC, size)).recs, whole, `chunk ${size}`);
});

test('text between events is one garbage skip per run, with its location', async () => {
  const text = '<Event><System/></Event>\nhello world\nmore junk\n<Event><System/></Event>\n';
  const { recs, skips } = await frame(text, 4);
  assert.equal(recs.length, 2);
  assert.equal(skips.length, 1);
  assert.equal(skips[0].code, 'garbage');
  assert.deepEqual(skips[0].location, { file: 'x', line: 2, offset: 25 });
});

test('an event without </Event> before the next one is handed out truncated', async () => {
  const { recs } = await frame('<Event><System><EventID>1</EventID>\n<Event><System/></Event>');
  assert.equal(recs.length, 2);
  assert.equal(recs[0].text, '<Event><System><EventID>1</EventID>\n');
  assert.equal(recs[1].line, 2);
});

test('an over-long event is skipped without being buffered and framing resumes', async () => {
  const big = `<Event>${'A'.repeat(5000)}</Event>`;
  const { recs, skips } = await frame(`<Event>a</Event>${big}<Event>b</Event>`, 100, 1000);
  assert.deepEqual(recs.map((r) => r.text), ['<Event>a</Event>', '<Event>b</Event>']);
  assert.equal(skips.length, 1);
  assert.equal(skips[0].code, 'line-too-long');
  assert.equal(skips[0].location.offset, 16);
  assert.equal(skips[0].bytes, big.length);
});

test('invalid UTF-8 inside an event skips that event only', async () => {
  const bytes = Buffer.concat([Buffer.from('<Event>a</Event><Event>'), Buffer.from([0xff]), Buffer.from('</Event><Event>c</Event>')]);
  const { recs, skips } = await frame(bytes, 3);
  assert.deepEqual(recs.map((r) => r.text), ['<Event>a</Event>', '<Event>c</Event>']);
  assert.deepEqual(skips.map((s) => s.code), ['invalid-utf8']);
});

test('<EventData> and <Events> are not mistaken for event starts; a BOM is not garbage', async () => {
  const { recs, skips } = await frame('\uFEFF<Events><Event><EventData/></Event></Events>');
  assert.equal(recs.length, 1);
  assert.equal(skips.length, 0);
});

/** A prefilter that records the byte ranges it is offered and fails the test if text is ever offered. */
function byteOnlyPrefilter(needle: string) {
  const seen: string[] = [];
  return {
    seen,
    mayMatchText(): boolean {
      throw new Error('the XML framer must test bytes, not decoded text');
    },
    mayMatchBytes(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
      const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
      seen.push(text);
      return text.includes(needle);
    },
    mayMatchUtf16: () => true,
    mayMatchUtf16Each: (_bytes: Uint8Array, ranges: ArrayLike<number>, passed: Uint8Array) => passed.fill(1, 0, ranges.length >> 1),
  };
}

test('the prefilter sees each framed event as bytes before decoding; damage is still reported', async () => {
  const prefilter = byteOnlyPrefilter('ngrok');
  const ctx = collectingContext({ prefilter });
  const bad = Buffer.concat([Buffer.from('<Event><System/>'), Buffer.from([0xff]), Buffer.from('</Event>\n')]);
  const input = Buffer.concat([Buffer.from(DOC.replace('<Data Name="a">1</Data>', '<Data Name="a">ngrok é</Data>')), bad]);
  for (const size of [0, 1, 7]) {
    const recs: Line[] = [];
    const c = collectingContext({ prefilter });
    for await (const batch of frameXmlEvents(bufferInput(input, 'x', size).open(), 'x', c)) recs.push(...batch);
    assert.equal(recs.length, 1, `chunk ${size}`);
    assert.ok(recs[0].text.includes('ngrok é') && recs[0].text.startsWith('<Event xmlns') && recs[0].text.endsWith('</Event>'));
    // invalid UTF-8 is reported even in an event the prefilter would drop (as for lines)
    assert.deepEqual(c.skips.map((s) => [s.code, s.location.line]), [['invalid-utf8', 9]]);
    assert.equal(c.prefilteredCount(), 2);
  }
  prefilter.seen.length = 0;
  for await (const batch of frameXmlEvents(bufferInput(input, 'x', 7).open(), 'x', ctx)) void batch;
  // one call per valid event, on that event's bytes (pretty-printed across lines included) from its
  // payload on: the System header before `<EventData>` holds no field a rule's literal comes from
  assert.equal(prefilter.seen.length, 3);
  assert.ok(prefilter.seen[0].startsWith('Data><Data Name="a">ngrok'), prefilter.seen[0]);
  assert.ok(prefilter.seen.slice(1).every((s) => s.startsWith('<Event') && !s.includes('Data')));
  assert.ok(prefilter.seen.every((s) => s.endsWith('</Event>')));
});

test('skips do not depend on chunk boundaries: garbage size, a BOM cut in two, an over-long truncated event', async () => {
  const truncated = '<Event><System><EventID>1</EventID></System>\n';
  const text = `\uFEFF<Event><System/></Event>\njunk  \n\n${truncated}<Event>b</Event>\n`;
  const whole = await frame(text, 0, 40);
  assert.deepEqual(whole.skips.map((s) => [s.code, s.location.offset, s.bytes]), [
    ['garbage', 28, 4],
    ['line-too-long', 36, truncated.length],
  ]);
  assert.deepEqual(whole.recs.map((r) => r.text), ['<Event><System/></Event>', '<Event>b</Event>']);
  for (const size of [1, 2, 3, 5, 8, 13]) assert.deepEqual(await frame(text, size, 40), whole, `chunk ${size}`);
});

test('an over-long event that is never closed ends at the next event, which is kept', async () => {
  const { recs, skips } = await frame(`<Event>${'x'.repeat(200)}<Event>ok</Event>`, 16, 100);
  assert.deepEqual(recs.map((r) => r.text), ['<Event>ok</Event>']);
  assert.deepEqual(skips.map((s) => [s.code, s.location.offset, s.bytes]), [['line-too-long', 0, 207]]);
});
