import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ChunkContext, parseDocument } from '../../../src/sources/evtx/binxml.js';
import type { Node } from '../../../src/sources/evtx/nodes.js';
import { frameChunk } from '../../../src/sources/evtx/chunk.js';
import { ChunkDecoder } from '../../../src/sources/evtx/decode.js';
import { JsonOut } from '../../../src/sources/evtx/json-out.js';
import { renderJson } from '../../../src/sources/evtx/render-json.js';
import { buildEventTree, type RecordHeader } from '../../../src/sources/evtx/tree.js';
import { dataRoot, fixture, hasData, prng, readBytes } from './helpers.js';

function headerAt(b: Buffer, pos: number): RecordHeader {
  return {
    recordId: b.readUInt32LE(pos + 12) * 4294967296 + b.readUInt32LE(pos + 8),
    writtenLo: b.readUInt32LE(pos + 16),
    writtenHi: b.readUInt32LE(pos + 20),
  };
}

/** A record's JSON the plain way: its element tree, rendered (as decodeChunk falls back on errors). */
function treeJson(c: ChunkContext, pos: number, size: number): string {
  let nodes: Node[] = [];
  c.budget.begin(size);
  try {
    nodes = parseDocument(c, pos + 24, pos + size - 4);
  } catch {
    // the record keeps its header facts, as in decodeChunk
  }
  try {
    return renderJson(buildEventTree(nodes, headerAt(c.buf, pos), c.budget));
  } catch {
    return renderJson(buildEventTree([], headerAt(c.buf, pos), c.budget));
  }
}

/**
 * Compare every chunk's compiled lines with the tree renderer's; returns the records compared.
 * `decoder` keeps its compiled lines from chunk to chunk and file to file, as a reader's does.
 */
function compareChunks(decoder: ChunkDecoder, bytes: Buffer, where: string): number {
  let n = 0;
  for (let off = 4096; off < bytes.length; off += 65536) {
    const slot = bytes.subarray(off, Math.min(off + 65536, bytes.length));
    const { records } = frameChunk(slot, off);
    if (records.length === 0) continue;
    const res = decoder.decode(slot, off, records);
    const c = new ChunkContext(slot);
    for (let i = 0; i < records.length; i += 2) {
      assert.equal(res.records[i / 2].out, treeJson(c, records[i], records[i + 1]), `${where}: record at ${off + records[i]}`);
      n++;
    }
    assert.equal(res.text, res.records.map((r) => `${r.out as string}\n`).join(''));
  }
  return n;
}

const samples = hasData
  ? ['evtx-sysmon', 'evtx-security', 'evtx-edgecases', 'tunnel'].flatMap((dir) =>
    readdirSync(path.join(dataRoot, dir)).filter((f) => f.endsWith('.evtx')).map((f) => path.join(dataRoot, dir, f)))
  : [fixture];

test('compiled JSON lines are exactly the element-tree rendering, on the samples and on bit-flipped copies', (t) => {
  let records = 0;
  const rnd = prng(0x150);
  const decoder = new ChunkDecoder('json');
  for (const file of samples) {
    const original = readBytes(file);
    records += compareChunks(decoder, original, path.basename(file));
    // flips in the record area change value types, sizes and emptiness, so lines compiled from the
    // clean records meet records that must not reuse them
    const bytes = Buffer.from(original);
    for (let k = 0; k < 64; k++) {
      const at = 4096 + 512 + Math.floor(rnd() * Math.max(0, Math.min(bytes.length, 4096 + 3 * 65536) - 4096 - 512));
      if (at < bytes.length) bytes[at] ^= 1 << Math.floor(rnd() * 8);
    }
    records += compareChunks(decoder, bytes, `${path.basename(file)} (flipped)`);
  }
  t.diagnostic(`${records} records compared`);
  assert.ok(records > 0);
});

test('JsonOut escapes exactly as JSON.stringify: controls, quotes, non-ASCII, surrogate pairs and lone surrogates', () => {
  const rnd = prng(7);
  // controls, quote, slash, backslash, ASCII, 2- and 3-byte UTF-8, and both halves of surrogate pairs
  const pool = [0, 8, 9, 10, 12, 13, 0x1f, 0x22, 0x2f, 0x5c, 0x41, 0x7f, 0x80, 0xe9, 0x7ff, 0x800, 0x20ac, 0xfffe, 0xd83d, 0xde00, 0xdbff];
  const out = new JsonOut();
  for (let i = 0; i < 2000; i++) {
    const units = Array.from({ length: Math.floor(rnd() * 12) }, () => pool[Math.floor(rnd() * pool.length)]);
    const s = String.fromCharCode(...units);
    out.reset();
    out.string(s);
    assert.equal(out.toString(), JSON.stringify(s).slice(1, -1), JSON.stringify(units));
    out.reset();
    const bytes = Buffer.from(s, 'utf16le');
    out.utf16(bytes, 0, bytes.length);
    assert.equal(out.toString(), JSON.stringify(s).slice(1, -1), JSON.stringify(units));
  }
});

test('JsonOut numbers: integers as String() writes them, hex without leading zeros unless padded', () => {
  const out = new JsonOut();
  for (const n of [0, 7, 10, -1, -128, 65535, 2147483647, -2147483648, 4294967295, 281474976710655]) {
    out.reset();
    out.integer(n);
    assert.equal(out.toString(), String(n));
  }
  for (const [n, width] of [[0, 1], [0x1f, 1], [0xffffffff, 1], [0xabc, 8], [0x80000000, 8]] as const) {
    out.reset();
    out.hex(n, width);
    assert.equal(out.toString(), n.toString(16).padStart(width, '0'));
  }
});
