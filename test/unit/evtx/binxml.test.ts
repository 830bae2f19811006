import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeChunk } from '../../../src/sources/evtx/decode.js';
import type { EventFields } from '../../../src/sources/evtx/fields.js';

/** Writes BinXML with absolute positions, so inline name and template offsets come out right. */
class Writer {
  readonly bytes: number[] = [];
  constructor(private readonly base = 0) {}
  get pos(): number { return this.base + this.bytes.length; }
  u8(...v: number[]): this { this.bytes.push(...v); return this; }
  u16(v: number): this { return this.u8(v & 0xff, v >> 8); }
  u32(v: number): this { return this.u16(v & 0xffff).u16(v >>> 16); }
  utf16(s: string): this { for (const ch of Buffer.from(s, 'utf16le')) this.u8(ch); return this; }
  /** an inline Name: its offset is the position right after the offset field */
  name(s: string): this { return this.u32(this.pos + 4).u32(0).u16(0).u16(s.length).utf16(s).u16(0); }
  open(name: string, inDef: boolean, attrs = false): this {
    this.u8(attrs ? 0x41 : 0x01);
    if (inDef) this.u16(0xffff);
    this.u32(0).name(name);
    return attrs ? this.u32(0) : this;
  }
  text(s: string): this { return this.u8(0x05, 0x01).u16(s.length).utf16(s); }
  subst(index: number, type: number, optional = false): this { return this.u8(optional ? 0x0e : 0x0d).u16(index).u8(type); }
}

const T_STRING = 0x01, T_UINT16 = 0x06, T_BINXML = 0x21, ARRAY = 0x80;

function nestedData(at: number): Buffer {
  // nested BinXML: no dependency ids; names are chunk-relative, so it is written for its final offset
  const n = new Writer(at);
  n.u8(0x0f, 1, 1, 0).open('Data', false, true).u8(0x06).name('Name').text('B').u8(0x02).text('nested').u8(0x04).u8(0x00);
  return Buffer.from(n.bytes);
}

/** One record holding a template instance; `brokenTemplate` points the definition at garbage. */
function record(brokenTemplate: boolean): Buffer {
  const w = new Writer();
  w.u8(0x2a, 0x2a, 0, 0).u32(0).u32(7).u32(0).u32(0).u32(0x01d4c5de); // header, size patched below
  w.u8(0x0f, 1, 1, 0).u8(0x0c, 0x01).u32(1);
  if (brokenTemplate) {
    w.u32(0xfff0);
  } else {
    w.u32(w.pos + 4).u32(0).u32(1).u32(0).u32(0).u32(0);
    const sizeAt = w.pos;
    w.u32(0);
    const start = w.pos;
    w.u8(0x0f, 1, 1, 0).open('Event', true).u8(0x02)
      .open('System', true).u8(0x02)
      .open('EventID', true).u8(0x02).subst(0, T_UINT16).u8(0x04)
      .open('Computer', true).u8(0x02).subst(1, T_STRING, true).u8(0x04)
      .u8(0x04)
      .open('EventData', true).u8(0x02)
      .open('Data', true, true).u8(0x06).name('Name').text('A').u8(0x02).subst(2, T_STRING | ARRAY).u8(0x04)
      .subst(3, T_BINXML)
      .u8(0x04)
      .u8(0x04).u8(0x00);
    const size = w.pos - start;
    w.bytes.splice(sizeAt, 4, size & 0xff, (size >> 8) & 0xff, 0, 0);
  }
  const array = Buffer.from('x\0y\0', 'utf16le');
  const nested = nestedData(w.pos + 4 + 16 + 2 + array.length);
  w.u32(4).u16(2).u8(T_UINT16, 0).u16(0).u8(0x00, 0).u16(array.length).u8(T_STRING | ARRAY, 0).u16(nested.length).u8(T_BINXML, 0);
  w.u16(4);
  for (const b of array) w.u8(b);
  for (const b of nested) w.u8(b);
  w.u8(0x00);
  const total = w.pos + 4;
  w.u32(total);
  const buf = Buffer.alloc(0x10000);
  Buffer.from(w.bytes).copy(buf);
  buf.writeUInt32LE(total, 4);
  return buf.subarray(0, 0x10000);
}

test('a template with normal/optional substitutions, a string array and nested BinXML resolves to fields', () => {
  const buf = record(false);
  const res = decodeChunk(buf, 4096, [0, buf.readUInt32LE(4)], 'fields');
  assert.deepEqual(res.issues, []);
  const f = res.records[0].out as EventFields;
  assert.equal(f.system.EventID, '4');
  assert.equal(f.system.Computer, '', 'an optional null substitution leaves the element empty');
  assert.equal(f.data.A, 'x\ny', 'array items, one per line');
  assert.equal(f.data.B, 'nested');
  assert.equal(res.records[0].offset, 4096);
});

test('an array substitution repeats its element once per item in XML', () => {
  const buf = record(false);
  const xml = decodeChunk(buf, 0, [0, buf.readUInt32LE(4)], 'xml').records[0].out as string;
  assert.match(xml, /<EventID>4<\/EventID><Computer\/>/);
  assert.match(xml, /<Data Name="A">x<\/Data><Data Name="A">y<\/Data><Data Name="B">nested<\/Data>/);
});

test('a missing template keeps the record: values positionally, System from the record header, reported', () => {
  const buf = record(true);
  const res = decodeChunk(buf, 0, [0, buf.readUInt32LE(4)], 'fields');
  const f = res.records[0].out as EventFields;
  assert.equal(f.system.EventRecordID, '7');
  assert.match(f.system.TimeCreated, /^\d{4}-\d\d-\d\dT/);
  assert.equal(f.data['Data[0]'], '4');
  assert.equal(f.data['Data[2]'], 'x\ny');
  assert.equal(f.data.B, 'nested', 'nested BinXML values are still resolved');
  assert.equal(res.issues[0].code, 'evtx-bad-binxml');
});
