import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frameLines, frameStream, LineFramer, type Line } from '../../../src/sources/framing/lines.js';
import { bufferInput, collectingContext } from './helpers.js';

async function frame(bytes: Buffer | string, chunkSize = 0, maxRecordBytes = 1 << 20) {
  const ctx = collectingContext({ maxRecordBytes });
  const lines: Line[] = [];
  for await (const batch of frameLines(bufferInput(bytes, 'f', chunkSize).open(), 'f', ctx)) lines.push(...batch);
  return { lines, skips: ctx.skips };
}

test('lines carry 1-based numbers and byte offsets, with CR stripped and a last line without newline', async () => {
  const { lines } = await frame('a\r\nbé\n\nlast');
  assert.deepEqual(lines, [
    { text: 'a', line: 1, offset: 0 },
    { text: 'bé', line: 2, offset: 3 },
    { text: '', line: 3, offset: 7 },
    { text: 'last', line: 4, offset: 8 },
  ]);
});

test('lines split across every possible chunk boundary come out identical', async () => {
  const input = 'first line\nsecond ü line\r\n\nthird\n';
  const whole = (await frame(input)).lines;
  for (let size = 1; size <= input.length; size++) {
    assert.deepEqual((await frame(input, size)).lines, whole, `chunk size ${size}`);
  }
});

test('a UTF-8 BOM is removed from the first line only', async () => {
  const { lines } = await frame(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('x\ny')]), 2);
  assert.deepEqual(lines.map((l) => [l.text, l.offset]), [['x', 3], ['y', 5]]);
});

test('an over-long line is skipped with its location and size, and the next line survives', async () => {
  const long = 'x'.repeat(100);
  const { lines, skips } = await frame(`ok\n${long}\nafter\n`, 7, 50);
  assert.deepEqual(lines.map((l) => l.text), ['ok', 'after']);
  assert.equal(skips.length, 1);
  assert.equal(skips[0].code, 'line-too-long');
  assert.deepEqual(skips[0].location, { file: 'f', line: 2, offset: 3 });
  assert.equal(skips[0].bytes, 100);
  assert.equal(lines[1].line, 3);
});

test('an over-long last line without newline is reported', async () => {
  const { lines, skips } = await frame(`ok\n${'y'.repeat(80)}`, 16, 50);
  assert.deepEqual(lines.map((l) => l.text), ['ok']);
  assert.deepEqual(skipsSummary(skips), [['line-too-long', 2, 80]]);
});

test('invalid UTF-8 skips only the damaged line', async () => {
  const bytes = Buffer.concat([Buffer.from('good\nba'), Buffer.from([0xff, 0xc3]), Buffer.from('d\nalso good\n')]);
  for (const size of [0, 3]) {
    const { lines, skips } = await frame(bytes, size);
    assert.deepEqual(lines.map((l) => l.text), ['good', 'also good']);
    assert.deepEqual(skipsSummary(skips), [['invalid-utf8', 2, 5]]);
  }
});

test('a multi-byte character split across chunks is not mistaken for invalid UTF-8', async () => {
  const { lines, skips } = await frame('ab€cd\n€\n', 3);
  assert.deepEqual(lines.map((l) => l.text), ['ab€cd', '€']);
  assert.equal(skips.length, 0);
});

test('a stream error ends the input with a located skip and keeps earlier lines', async () => {
  const { Readable } = await import('node:stream');
  const stream = new Readable({
    read() {
      this.push(Buffer.from('one\ntwo\n'));
      this.destroy(Object.assign(new Error('unexpected end of file'), { code: 'Z_BUF_ERROR' }));
    },
  });
  const ctx = collectingContext();
  const lines: Line[] = [];
  for await (const batch of frameLines(stream, 'g.gz', ctx)) lines.push(...batch);
  assert.deepEqual(lines.map((l) => l.text), ['one', 'two']);
  assert.equal(ctx.skips[0].code, 'decompress-error');
  assert.equal(ctx.skips[0].location.offset, 8);
});

function skipsSummary(skips: { code: string; location: { line?: number }; bytes?: number }[]) {
  return skips.map((s) => [s.code, s.location.line, s.bytes]);
}

/** frames `piece` of `bytes` as a thread reading that piece alone would */
async function framePiece(bytes: Buffer, piece: { start: number; end: number }, chunkSize: number, maxRecordBytes: number) {
  const ctx = collectingContext({ maxRecordBytes });
  let pieceLines = -1;
  ctx.pieceLines = (n) => (pieceLines = n);
  const lines: Line[] = [];
  const from = bufferInput(bytes.subarray(Math.max(0, piece.start - 1)), 'f', chunkSize).open();
  for await (const batch of frameStream(from, new LineFramer('f', ctx, piece), 'f', ctx)) lines.push(...batch);
  return { lines, skips: ctx.skips, pieceLines };
}

/** how many lines start at an offset in [start, end): the first byte, and every byte after a LF */
function lineStartsIn(bytes: Buffer, start: number, end: number): number {
  let starts = 0;
  for (let p = start; p < end; p++) if (p === 0 || bytes[p - 1] === 0x0a) starts++;
  return starts;
}

test('pieces cut anywhere frame every line exactly once; line numbers add up from the pieces before', async () => {
  let seed = 11;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  for (let round = 0; round < 60; round++) {
    const text = Array.from({ length: 1 + random(40) }, () => (random(9) === 0 ? 'y'.repeat(30) : 'x'.repeat(random(12)))).join(random(2) ? '\n' : '\r\n');
    const bytes = Buffer.from(random(3) === 0 ? text : `${text}\n`);
    const maxRecordBytes = 20;
    const whole = await frame(bytes, 0, maxRecordBytes);
    const cuts = [...new Set(Array.from({ length: random(6) }, () => random(bytes.length)))].sort((a, b) => a - b);
    const bounds = [0, ...cuts.filter((c) => c > 0), bytes.length];
    const lines: Line[] = [];
    const skips: Array<{ line?: number; offset?: number }> = [];
    let before = 0;
    for (let k = 0; k + 1 < bounds.length; k++) {
      const piece = await framePiece(bytes, { start: bounds[k], end: bounds[k + 1] }, 1 + random(8), maxRecordBytes);
      lines.push(...piece.lines.map((l) => ({ ...l, line: l.line + before })));
      skips.push(...piece.skips.map((s) => ({ line: s.location.line! + before, offset: s.location.offset })));
      if (k + 2 < bounds.length) {
        assert.equal(piece.pieceLines, lineStartsIn(bytes, bounds[k], bounds[k + 1]), 'a piece that stopped before the end says how many lines started in it');
        before += piece.pieceLines;
      }
    }
    const context = `${JSON.stringify(bytes.toString())} cut at ${cuts}`;
    assert.deepEqual(lines, whole.lines, context);
    assert.deepEqual(skips, whole.skips.map((s) => ({ line: s.location.line, offset: s.location.offset })), context);
  }
});
