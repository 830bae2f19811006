import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Line } from '../../../src/sources/framing/lines.js';
import { frameXmlEvents } from '../../../src/sources/framing/xml-events.js';
import type { Skip } from '../../../src/sources/source.js';
import { bufferInput, collectingContext } from './helpers.js';

const MAX_RECORD_BYTES = 120;

/** frames `bytes` whole, or the events starting in `piece` as a thread reading that piece alone would */
async function frame(bytes: Buffer, chunkSize: number, piece?: { start: number; end: number }) {
  const ctx = collectingContext({ maxRecordBytes: MAX_RECORD_BYTES });
  let pieceLines = -1;
  ctx.pieceLines = (n) => (pieceLines = n);
  const recs: Line[] = [];
  const from = bufferInput(piece ? bytes.subarray(piece.start) : bytes, 'x', chunkSize).open();
  for await (const batch of frameXmlEvents(from, 'x', ctx, undefined, piece)) recs.push(...batch);
  return { recs, skips: ctx.skips, pieceLines };
}

function lineBreaksIn(bytes: Buffer, start: number, end: number): number {
  let n = 0;
  for (let p = start; p < end; p++) if (bytes[p] === 0x0a) n++;
  return n;
}

const summary = (skips: Skip[], before = 0) => skips.map((s) => [s.code, s.location.line! + before, s.location.offset, s.bytes]);

/** the kinds of text an event XML file holds, damaged ones included */
const PARTS = [
  () => '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>1</EventID><EventRecordID>7</EventRecordID></System><EventData><Data Name="a">x</Data></EventData></Event>',
  () => '<Event>\n  <System>\n    <EventID>4688</EventID>\n  </System>\n  <EventData/>\n</Event>',
  () => '<Event><System/></Event><Event><UserData/></Event>',
  () => '<Event><System><EventID>3</EventID>', // truncated: ends at the next event start
  () => `<Event>${'A'.repeat(150)}</Event>`, // longer than MAX_RECORD_BYTES
  () => `<Event>${'B'.repeat(150)}`, // over-long and never closed
  () => 'junk text\n',
  () => '<?xml version="1.0"?>\n<Events>\n',
  () => '</Events>\n',
  () => '<!-- a comment -->',
  () => '\n',
  () => '\r\n',
  () => '<Event\tName="tab"/>',
];

test('an event XML file cut anywhere into pieces frames every event exactly once, with the same skips and line numbers', async () => {
  let seed = 29;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  for (let round = 0; round < 150; round++) {
    const parts = Array.from({ length: 1 + random(14) }, () => PARTS[random(PARTS.length)]());
    const tail = random(4) === 0 ? Buffer.from([0xff, 0x3c, 0x2f, 0x45]) : Buffer.alloc(0);
    const bytes = Buffer.concat([Buffer.from((random(4) === 0 ? '\uFEFF' : '') + parts.join(random(2) ? '' : '\n')), tail]);
    const whole = await frame(bytes, 0);
    const cuts = [...new Set(Array.from({ length: 1 + random(6) }, () => 1 + random(bytes.length - 1)))].sort((a, b) => a - b);
    const bounds = [0, ...cuts, bytes.length];
    const recs: Line[] = [];
    const skips: unknown[] = [];
    let before = 0;
    for (let k = 0; k + 1 < bounds.length; k++) {
      const piece = await frame(bytes, 1 + random(40), { start: bounds[k], end: bounds[k + 1] });
      recs.push(...piece.recs.map((r) => ({ ...r, line: r.line + before })));
      skips.push(...summary(piece.skips, before));
      assert.equal(piece.pieceLines, lineBreaksIn(bytes, bounds[k], bounds[k + 1]), 'each piece counts the line breaks in its own bytes');
      before += piece.pieceLines;
    }
    const context = `${JSON.stringify(bytes.toString('latin1'))} cut at ${cuts}`;
    assert.deepEqual(recs, whole.recs, context);
    assert.deepEqual(skips, summary(whole.skips), context);
  }
});

test('a piece whose bytes all belong to an event of the piece before frames nothing', async () => {
  const event = `<Event><EventData><Data Name="a">${'x'.repeat(60)}</Data></EventData></Event>\n`;
  const bytes = Buffer.from(event + event);
  const inside = await frame(bytes, 7, { start: 10, end: 40 });
  assert.deepEqual(inside.recs, []);
  assert.deepEqual(inside.skips, []);
  const first = await frame(bytes, 7, { start: 0, end: 10 });
  assert.deepEqual(first.recs.map((r) => r.text), [event.trimEnd()], 'the piece an event starts in frames all of it');
  const rest = await frame(bytes, 7, { start: 40, end: bytes.length });
  // lines count from the piece's start: the line break that ends the first event is in this piece
  assert.deepEqual(rest.recs.map((r) => [r.text, r.line, r.offset]), [[event.trimEnd(), 2, event.length]]);
  assert.equal(rest.pieceLines, 2);
});
