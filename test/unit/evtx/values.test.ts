import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeValue, FileTimeClock, fileTimePrefix, fileTimeToIso, isEmptyScalar, valueText, VT } from '../../../src/sources/evtx/values.js';

test('FILETIME renders exactly to 100 ns without BigInt rounding, 7 digits for XML and 6 for evtx JSON', () => {
  const ticks = 132735456789012345n; // 2021-08-12T...
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(ticks);
  const iso = decodeValue(b, 0, 8, VT.FileTime) as string;
  const ms = Number((ticks - 116444736000000000n) / 10000n);
  assert.equal(iso, `${new Date(ms).toISOString().slice(0, 19)}.${String(ticks % 10000000n).padStart(7, '0')}Z`);
  assert.equal(valueText(VT.FileTime, iso, 'json'), `${iso.slice(0, 26)}Z`);
  assert.equal(fileTimeToIso(0, 0), '1601-01-01T00:00:00.0000000Z');
});

test('64-bit integers stay exact beyond 2^53', () => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(18446744073709551615n);
  assert.equal(String(decodeValue(b, 0, 8, VT.UInt64)), '18446744073709551615');
  b.writeBigInt64LE(-9007199254740993n);
  assert.equal(String(decodeValue(b, 0, 8, VT.Int64)), '-9007199254740993');
  b.writeBigUInt64LE(0x8000000000000000n);
  assert.equal(decodeValue(b, 0, 8, VT.HexInt64), '0x8000000000000000');
});

test('bool uses the descriptor width and treats any non-zero value as true', () => {
  assert.equal(decodeValue(Buffer.from([0, 0, 0, 0]), 0, 4, VT.Bool), false);
  assert.equal(decodeValue(Buffer.from([0, 0, 2, 0]), 0, 4, VT.Bool), true);
  assert.equal(decodeValue(Buffer.from([1]), 0, 1, VT.Bool), true);
  assert.equal(valueText(VT.Bool, true, 'xml'), 'true');
});

test('GUIDs render uppercase, with braces in Windows XML and without in evtx JSON', () => {
  const b = Buffer.from('5f387057 2ac2 e043 bf4c 06f5698ffbd9'.replace(/ /g, ''), 'hex');
  const g = decodeValue(b, 0, 16, VT.Guid) as string;
  assert.equal(g, '5770385F-C22A-43E0-BF4C-06F5698FFBD9');
  assert.equal(valueText(VT.Guid, g, 'xml'), '{5770385F-C22A-43E0-BF4C-06F5698FFBD9}');
  assert.equal(valueText(VT.Guid, g, 'json'), g);
});

test('SIDs render with a big-endian authority; a truncated SID keeps the sub-authorities present', () => {
  const sid = Buffer.from('010500000000000515000000010000000200000003000000e8030000', 'hex');
  assert.equal(decodeValue(sid, 0, sid.length, VT.Sid), 'S-1-5-21-1-2-3-1000');
  assert.equal(decodeValue(sid, 0, 16, VT.Sid), 'S-1-5-21-1');
  assert.equal(decodeValue(sid, 0, 4, VT.Sid), '');
});

test('strings drop trailing NULs; string arrays split on NUL; short fixed values become null', () => {
  assert.equal(decodeValue(Buffer.from('ab\0\0', 'utf16le'), 0, 8, VT.String), 'ab');
  assert.deepEqual(decodeValue(Buffer.from('a\0bc\0', 'utf16le'), 0, 10, VT.String | VT.ArrayFlag), ['a', 'bc']);
  assert.deepEqual(decodeValue(Buffer.from([1, 0, 2, 0]), 0, 4, VT.UInt16 | VT.ArrayFlag), [1, 2]);
  assert.equal(decodeValue(Buffer.from([1, 2]), 0, 2, VT.UInt32), null);
  assert.equal(decodeValue(Buffer.from([0xab, 0x01]), 0, 2, VT.Binary), 'AB01');
  assert.equal(decodeValue(Buffer.from([0x10, 0, 0, 0, 0, 0, 0, 0]), 0, 8, VT.SizeT), '0x10');
});

test('a FileTimeClock formats like the plain function, whatever the order, and two clocks interleaved do not share a memo', () => {
  // FILETIMEs as [lo, hi]: runs within one second, one day, across days, years apart, past year 9999, out of range
  // (FILETIMEs exceed 2^53: BigInt keeps the single ticks)
  const tick = 10_000_000n;
  const base = 133_500_000_000_000_000n; // 2024-01-17T21:20:00Z
  const times = [0n, 1n, 5n * tick, 5n * tick + 3n, 86_400n * tick, 86_400n * tick - 1n, 3n * 365n * 86_400n * tick, -100n * 365n * 86_400n * tick].map((d) => base + d);
  const split = (t: bigint): [number, number] => [Number(t & 0xffffffffn), Number(t >> 32n)];
  const stamps: Array<[number, number]> = [...times.map(split), [0, 0], [0xffffffff, 0x7fffffff], [0xffffffff, 0xffffffff]];
  const a = new FileTimeClock();
  const b = new FileTimeClock();
  let seed = 7;
  for (let i = 0; i < 2000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const [lo, hi] = stamps[seed % stamps.length];
    const clock = seed % 3 === 0 ? b : a;
    assert.equal(clock.prefix(lo, hi), fileTimePrefix(lo, hi), `FILETIME ${hi}:${lo}`);
  }
  assert.equal(a.prefix(...split(base)), '2024-01-17T21:20:00');
  assert.equal(a.prefix(...split(base + 86_400n * tick - 1n)), '2024-01-18T21:19:59');
});

test('isEmptyScalar tells a FILETIME empty exactly where decodeValue gives it no text: every 64-bit FILETIME has text, one cut short has none', () => {
  // 2^64 ticks of 100 ns after 1601 is ~1.8e15 ms after 1970, inside Date's +-8.64e15
  const stamps = [0n, 1n, 116_444_736_000_000_000n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];
  for (let shift = 0n; shift < 64n; shift += 3n) stamps.push(1n << shift, (1n << shift) + 12_345n);
  for (const t of stamps) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(t);
    const text = decodeValue(b, 0, 8, VT.FileTime);
    assert.ok(typeof text === 'string' && text.length > 0, `FILETIME ${t}: ${String(text)}`);
    assert.equal(isEmptyScalar(b, 0, 8, VT.FileTime), false, `FILETIME ${t}`);
    assert.equal(isEmptyScalar(b, 0, 7, VT.FileTime), true, 'seven bytes');
  }
});
