/**
 * Crafted EVTX bytes for regression tests: records and chunks built byte by byte, so a test names
 * exactly the damage it proves is handled.
 */
import { crc32 } from 'node:zlib';

const RECORD_HEADER = 24;

/** A record: header (magic, size, id, FILETIME), `binxml`, then the size copy. */
export function recordBytes(id: number, binxml: Buffer): Buffer {
  const size = RECORD_HEADER + binxml.length + 4;
  const b = Buffer.alloc(size);
  b.writeUInt32LE(0x2a2a, 0);
  b.writeUInt32LE(size, 4);
  b.writeUInt32LE(id, 8);
  b.writeUInt32LE(0xd53e8000, 16);
  b.writeUInt32LE(0x01d4c5de, 20);
  binxml.copy(b, RECORD_HEADER);
  b.writeUInt32LE(size, size - 4);
  return b;
}

/**
 * BinXML nesting template instances `depth` deep, each holding the next as a nested BinXML (0x21)
 * value and followed by a bad token, so every level fails to parse after its nested value did:
 * a parser that retries a level re-parses everything inside it, 2^depth times in all.
 */
export function nestedBinXml(depth: number): Buffer {
  let inner = Buffer.from([0x00]);
  for (let k = 0; k < depth; k++) {
    const head = Buffer.alloc(10 + 4 + 4);
    head[0] = 0x0c;
    head[1] = 0x01;
    head.writeUInt32LE(0, 2);
    head.writeUInt32LE(0xfffff0, 6); // template definition far outside the chunk: missing
    head.writeUInt32LE(1, 10); // one value
    head.writeUInt16LE(inner.length, 14);
    head[16] = 0x21;
    inner = Buffer.concat([head, inner, Buffer.from([0xff])]);
  }
  return Buffer.concat([Buffer.from([0x0f, 1, 1, 0]), inner]);
}

/** A 64 KiB chunk holding `records` (valid header and CRCs), ids from `firstId`. */
export function chunkBytes(records: Buffer[], firstId = 1): Buffer {
  const c = Buffer.alloc(65536);
  c.write('ElfChnk\0', 0, 'latin1');
  let pos = 512;
  for (const r of records) {
    r.copy(c, pos);
    pos += r.length;
  }
  const lastId = firstId + records.length - 1;
  c.writeUInt32LE(firstId, 8); // first event record number
  c.writeUInt32LE(lastId, 16); // last event record number
  c.writeUInt32LE(firstId, 24); // first event record id
  c.writeUInt32LE(lastId, 32); // last event record id
  c.writeUInt32LE(128, 40); // header size
  c.writeUInt32LE(pos - records[records.length - 1].length, 44); // last record offset
  c.writeUInt32LE(pos, 48); // free space offset
  c.writeUInt32LE(crc32(c.subarray(512, pos)), 52);
  c.writeUInt32LE(crc32(c.subarray(128, 512), crc32(c.subarray(0, 120))), 124);
  return c;
}

/** Recompute a chunk's CRCs after a test damaged it (damage with valid CRCs: nothing flags it). */
export function resealChunk(c: Buffer): Buffer {
  const free = c.readUInt32LE(48);
  c.writeUInt32LE(crc32(c.subarray(512, free)), 52);
  c.writeUInt32LE(crc32(c.subarray(128, 512), crc32(c.subarray(0, 120))), 124);
  return c;
}
