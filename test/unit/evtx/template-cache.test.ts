import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { frameChunk } from '../../../src/sources/evtx/chunk.js';
import { ChunkDecoder, type DecodeMode } from '../../../src/sources/evtx/decode.js';
import { CHUNK_SIZE, FILE_HEADER_SIZE } from '../../../src/sources/evtx/file-header.js';
import { TemplateCache } from '../../../src/sources/evtx/template-cache.js';
import { dataRoot, fixture, hasData, noData, readBytes } from './helpers.js';

/** every chunk of `file` that frames records: its bytes, file offset and records */
function chunksOf(file: string): Array<{ buf: Buffer; offset: number; records: number[] }> {
  const bytes = readBytes(file);
  const chunks = [];
  for (let at = FILE_HEADER_SIZE; at < bytes.length; at += CHUNK_SIZE) {
    const buf = bytes.subarray(at, Math.min(at + CHUNK_SIZE, bytes.length));
    const { records } = frameChunk(buf, at);
    if (records.length > 0) chunks.push({ buf, offset: at, records });
  }
  return chunks;
}

/** a chunk's decode as text: its records and the problems met */
function decoded(decoder: ChunkDecoder, chunk: { buf: Buffer; offset: number; records: number[] }): string {
  const res = decoder.decode(chunk.buf, chunk.offset, chunk.records);
  return JSON.stringify([res.records, res.issues]);
}

const sampleFiles = () =>
  ['evtx-sysmon', 'evtx-security', 'evtx-edgecases'].flatMap((d) => readdirSync(path.join(dataRoot, d)).filter((f) => f.endsWith('.evtx')).map((f) => path.join(dataRoot, d, f)));

test('every sample and edge-case chunk decodes the same with the template definitions of earlier chunks and files reused as without, fields and XML', { skip: hasData ? false : noData }, () => {
  for (const mode of ['fields', 'xml'] as DecodeMode[]) {
    const cache = new TemplateCache();
    const shared = new ChunkDecoder(mode, undefined, cache);
    for (const file of [fixture, ...sampleFiles()]) {
      for (const chunk of chunksOf(file)) {
        assert.equal(decoded(shared, chunk), decoded(new ChunkDecoder(mode, undefined, undefined), chunk), `${path.basename(file)} chunk at ${chunk.offset} (${mode})`);
      }
    }
    assert.ok(cache.reused > 500, `${mode}: only ${cache.reused} definitions reused`);
  }
});

test('a definition changed anywhere after an identical one was kept decodes as it would alone: a changed byte is never read from the cache', { skip: hasData ? false : noData }, () => {
  let seed = 5;
  const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const chunks = chunksOf(path.join(dataRoot, 'evtx-security', 'ID4688-Tchopper.evtx')).slice(0, 4);
  let reusedAfterChange = 0;
  for (let round = 0; round < 400; round++) {
    const chunk = chunks[random(chunks.length)];
    const cache = new TemplateCache();
    const decoder = new ChunkDecoder('fields', undefined, cache);
    decoded(decoder, chunk);
    // the bytes of the first records, where their templates are defined inline
    const buf = Buffer.from(chunk.buf);
    const at = 512 + random(Math.min(4000, chunk.records[chunk.records.length - 2] - 512));
    buf[at] ^= 1 << random(8);
    const changed = { ...chunk, buf };
    const before = cache.reused;
    assert.equal(decoded(decoder, changed), decoded(new ChunkDecoder('fields', undefined, undefined), changed), `round ${round}: bit flipped at ${at}`);
    if (cache.reused > before) reusedAfterChange++;
  }
  // flips in record values (not definitions) leave the definitions to be reused
  assert.ok(reusedAfterChange > 0, 'no definition was reused after a change elsewhere: the test proves nothing of the comparison');
});
