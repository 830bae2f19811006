import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frameChunk } from '../../../src/sources/evtx/chunk.js';
import { ChunkDecoder, decodeChunk, type DecodeMode } from '../../../src/sources/evtx/decode.js';
import type { EventFields } from '../../../src/sources/evtx/fields.js';
import { chunkBytes, nestedBinXml, recordBytes, resealChunk } from './crafted.js';
import { bufferInput, fixture, readAll, readBytes } from './helpers.js';

const MODES: DecodeMode[] = ['fields', 'json', 'xml'];

test('nested BinXML 30 levels deep that fails at every level decodes in bounded time, kept and reported (was exponential)', () => {
  const records = Array.from({ length: 40 }, (_, i) => recordBytes(i + 1, nestedBinXml(30)));
  const chunk = chunkBytes(records);
  const { records: framed } = frameChunk(chunk, 4096);
  assert.equal(framed.length / 2, 40);
  for (const mode of MODES) {
    const started = performance.now();
    const res = decodeChunk(chunk, 4096, framed, mode);
    const took = performance.now() - started;
    assert.ok(took < 1000, `${mode}: ${took.toFixed(0)} ms for one chunk`);
    assert.equal(res.records.length, 40, `${mode}: every record is kept`);
    assert.equal(res.issues.length, 40, `${mode}: every record is reported`);
    assert.ok(res.issues.every((i) => i.code === 'evtx-bad-binxml'));
  }
});

test('a whole chunk of maximally nested records stays within the per-record work budget', () => {
  // records as big as the depth bound allows, filling the chunk
  const one = recordBytes(1, nestedBinXml(31));
  const count = Math.floor((65536 - 512) / one.length);
  const chunk = chunkBytes(Array.from({ length: count }, (_, i) => recordBytes(i + 1, nestedBinXml(31))));
  const started = performance.now();
  const res = decodeChunk(chunk, 4096, frameChunk(chunk, 4096).records, 'xml');
  assert.equal(res.records.length, count);
  assert.ok(performance.now() - started < 2000);
});

/** The fixture's first chunk and its framed records. */
function firstChunk(): { file: Buffer; chunk: Buffer; records: number[] } {
  const file = Buffer.from(readBytes(fixture));
  const chunk = file.subarray(4096, 4096 + 65536);
  return { file, chunk, records: frameChunk(chunk, 4096).records };
}

test('a zeroed record header costs that record only: reading resumes at the next record signature, and the skipped range is reported', async () => {
  const { file, chunk, records } = firstChunk();
  assert.ok(records.length >= 8, 'fixture chunk holds several records');
  const clean = await readAll(bufferInput('clean.evtx', file));
  const [pos, size] = [records[4], records[5]];
  chunk.fill(0, pos, pos + 24);
  resealChunk(chunk);
  const { records: got, skips } = await readAll(bufferInput('zeroed.evtx', file));
  const bad = skips.filter((s) => s.code === 'evtx-bad-record');
  assert.equal(bad.length, 1);
  assert.deepEqual([bad[0].location.offset, bad[0].bytes], [4096 + pos, size]);
  assert.match(bad[0].reason, new RegExp(`resumes at the next record, offset ${4096 + pos + size}`));
  assert.deepEqual(got.map((r) => r.offset), clean.records.map((r) => r.offset).filter((o) => o !== 4096 + pos));
});

test('one flipped bit in a record size field loses nothing: the size comes from the trailing copy, and it is reported', async () => {
  const { file, chunk, records } = firstChunk();
  const clean = await readAll(bufferInput('clean.evtx', file));
  const pos = records[6];
  chunk[pos + 5] ^= 0x10;
  resealChunk(chunk);
  const { records: got, skips } = await readAll(bufferInput('flipped.evtx', file));
  assert.deepEqual(got.map((r) => r.out), clean.records.map((r) => r.out));
  const bad = skips.filter((s) => s.code === 'evtx-bad-record');
  assert.equal(bad.length, 1);
  assert.equal(bad[0].location.offset, 4096 + pos);
  assert.match(bad[0].reason, /taken from its trailing copy/);
});

test('zeros after the last record end the record area silently; garbage there is a reported skip', () => {
  const rec = recordBytes(1, nestedBinXml(1));
  const chunk = chunkBytes([rec, recordBytes(2, nestedBinXml(1))]);
  assert.deepEqual(frameChunk(chunk, 0).issues, []);
  // garbage in place of the second record, with the free-space offset still past it
  chunk.fill(0x41, 512 + rec.length, 512 + 2 * rec.length);
  const frame = frameChunk(resealChunk(chunk), 0);
  assert.equal(frame.records.length / 2, 1);
  assert.deepEqual(frame.issues.map((i) => [i.code, i.offset, i.bytes]), [['evtx-bad-record', 512 + rec.length, rec.length]]);
  assert.match(frame.issues[0].reason, /no record follows/);
});

test('decoders are independent: interleaving two files chunk by chunk gives what each gives alone', () => {
  const { chunk, records } = firstChunk();
  const nested = chunkBytes([recordBytes(1, nestedBinXml(3))]);
  const nestedRecords = frameChunk(nested, 0).records;
  for (const mode of MODES) {
    const alone = [new ChunkDecoder(mode).decode(chunk, 4096, records), new ChunkDecoder(mode).decode(nested, 0, nestedRecords)];
    const a = new ChunkDecoder(mode), b = new ChunkDecoder(mode);
    const mixed = [a.decode(chunk, 4096, records), b.decode(nested, 0, nestedRecords), a.decode(chunk, 4096, records)];
    assert.deepEqual(mixed[0], alone[0]);
    assert.deepEqual(mixed[1], alone[1]);
    assert.deepEqual(mixed[2], alone[0], `${mode}: a decoder's compiled lines give the same output the second time`);
  }
  const fields = new ChunkDecoder('fields').decode(chunk, 4096, records).records[0].out as EventFields;
  assert.ok(fields.system.EventID, 'the fixture record decodes to fields');
});
