import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ChunkContext, parseDocument } from '../../../src/sources/evtx/binxml.js';
import { frameChunk, RECORD_HEADER_SIZE, RECORD_TRAILER_SIZE } from '../../../src/sources/evtx/chunk.js';
import { dataReader, documentFields } from '../../../src/sources/evtx/fields.js';
import { CHUNK_SIZE, FILE_HEADER_SIZE } from '../../../src/sources/evtx/file-header.js';
import { u32 } from '../../../src/sources/evtx/values.js';
import { dataRoot, fixture, hasData, noData, readBytes } from './helpers.js';

/** keys no record holds, and one every plain object answers */
const ABSENT = ['NoSuchField', 'constructor', 'toString'];

/**
 * Every record of `file`: the one-field reader's answer for each key the record's full decode
 * holds, and for absent ones, against documentFields; how many records it read and how many
 * it declined (their shape is for documentFields alone).
 */
function compare(file: string): { read: number; declined: number } {
  const bytes = readBytes(file);
  let read = 0, declined = 0;
  for (let at = FILE_HEADER_SIZE; at < bytes.length; at += CHUNK_SIZE) {
    const buf = bytes.subarray(at, Math.min(at + CHUNK_SIZE, bytes.length));
    const { records } = frameChunk(buf, at);
    const c = new ChunkContext(buf);
    for (let i = 0; i < records.length; i += 2) {
      const [pos, size] = [records[i], records[i + 1]];
      c.warnings = [];
      c.budget.begin(size);
      let nodes;
      try {
        nodes = parseDocument(c, pos + RECORD_HEADER_SIZE, pos + size - RECORD_TRAILER_SIZE);
      } catch {
        continue;
      }
      const header = { recordId: u32(buf, pos + 12) * 4294967296 + u32(buf, pos + 8), writtenLo: u32(buf, pos + 16), writtenHi: u32(buf, pos + 20) };
      let data: Record<string, string>;
      try {
        data = documentFields(nodes, header, c.budget).data;
      } catch {
        continue;
      }
      c.budget.beginResolve();
      const reader = dataReader(nodes, c.budget);
      if (!reader) {
        declined++;
        continue;
      }
      read++;
      const where = `${path.basename(file)} record at ${at + pos}`;
      for (const key of Object.keys(data)) assert.equal(reader(key), data[key], `${where}: ${key}`);
      for (const key of ABSENT) assert.equal(reader(key), Object.hasOwn(data, key) ? data[key] : undefined, `${where}: ${key}`);
    }
  }
  return { read, declined };
}

test('one payload field read alone from an EVTX record is the value its full decode gives, absent ones included, over every sample and edge-case file', { skip: hasData ? false : noData }, () => {
  const files = ['evtx-sysmon', 'evtx-security', 'evtx-edgecases'].flatMap((d) =>
    readdirSync(path.join(dataRoot, d)).filter((f) => f.endsWith('.evtx')).map((f) => path.join(dataRoot, d, f)),
  );
  let read = 0, declined = 0;
  for (const file of [fixture, ...files]) {
    const counts = compare(file);
    read += counts.read;
    declined += counts.declined;
  }
  // the point is the records read alone: Sysmon's and Security's EventData templates are of that shape
  assert.ok(read > 10_000, `only ${read} records read alone (${declined} declined)`);
  assert.ok(declined > 0, 'some records (UserData, unnamed or repeated Data) are left to documentFields');
});

test('the contract fixture\'s records are read alone, field by field, as decoded', () => {
  const { read } = compare(fixture);
  assert.ok(read > 0, 'no record of the fixture was read alone');
});
