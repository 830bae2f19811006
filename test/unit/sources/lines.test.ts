import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frameLines, type Line } from '../../../src/sources/framing/lines.js';
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
