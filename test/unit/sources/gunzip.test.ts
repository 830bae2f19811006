import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { gunzipMembers, TrailingGarbageError } from '../../../src/sources/gunzip.js';

async function gunzip(bytes: Buffer, piece: number): Promise<{ out: Buffer; error?: Error }> {
  const src = Readable.from((function* () { for (let i = 0; i < bytes.length; i += piece) yield bytes.subarray(i, i + piece); })());
  const parts: Buffer[] = [];
  try {
    for await (const b of gunzipMembers(src)) parts.push(b);
    return { out: Buffer.concat(parts) };
  } catch (error) {
    return { out: Buffer.concat(parts), error: error as Error };
  }
}

const small = Buffer.from('{"a":1}\n'.repeat(3));
const big = Buffer.from(Array.from({ length: 50_000 }, (_, i) => `{"n":${i},"r":${(i * 7919) % 1000}}\n`).join(''));

test('every member of a multi-member gzip, with zero padding between and after, whatever the read sizes', async () => {
  const bytes = Buffer.concat([gzipSync(small), Buffer.alloc(3), gzipSync(big), Buffer.alloc(100)]);
  for (const piece of [1, 7, 4096, 1 << 20]) {
    const r = await gunzip(bytes, piece);
    assert.equal(r.error, undefined);
    assert.ok(r.out.equals(Buffer.concat([small, big])), `read in ${piece}-byte pieces`);
  }
});

test('trailing garbage keeps everything before it and is reported at its compressed offset', async () => {
  const packed = gzipSync(big);
  for (const tail of [Buffer.from('garbage'), Buffer.from([0x1f, 0x8b, 0, 0, 1])]) {
    const r = await gunzip(Buffer.concat([packed, tail]), 10_000);
    assert.ok(r.out.equals(big));
    assert.ok(r.error instanceof TrailingGarbageError);
    assert.equal((r.error as TrailingGarbageError).offset, packed.length);
  }
});

test('a truncated member keeps what decompressed and fails with a zlib-coded error', async () => {
  const r = await gunzip(gzipSync(big).subarray(0, 20_000), 4096);
  assert.ok(r.out.length > 0 && big.subarray(0, r.out.length).equals(r.out));
  assert.match(String((r.error as { code?: string }).code), /^Z_/);
});
