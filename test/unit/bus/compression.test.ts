import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { decodeBody, encodeBody, MAX_INFLATED_BYTES } from '../../../src/bus/compression.js';
import { examplesDir } from '../../helpers/paths.js';

test('a chunk of log text travels deflated, several times smaller, and inflates to exactly its bytes', async () => {
  const raw = readFileSync(path.join(examplesDir, 'sysmon-nxlog.jsonl'));
  const { body, encoding } = await encodeBody(raw);
  assert.equal(encoding, 'deflate');
  assert.ok(body.length * 3 < raw.length, `${body.length} bytes on the bus for ${raw.length} of text`);
  assert.deepEqual(Buffer.from(decodeBody(body, encoding) as Uint8Array), raw);
});

test('bytes that do not compress travel as they are, marked identity', async () => {
  const raw = randomBytes(64 * 1024);
  const { body, encoding } = await encodeBody(raw);
  assert.equal(encoding, 'identity');
  assert.equal(body, raw);
  assert.equal(decodeBody(body, encoding), raw);
  assert.equal(decodeBody(body, undefined), raw, 'a message from before compression (no header) is raw');
});

test('a corrupt, truncated, oversized or unknown body is a reason, never a crash or a huge allocation', () => {
  const good = deflateRawSync(Buffer.from('{"EventID":1}\n'.repeat(1000)));
  assert.match(decodeBody(Buffer.from('garbage'), 'deflate') as string, /^the deflate body does not inflate: /);
  assert.match(decodeBody(good.subarray(0, good.length - 8), 'deflate') as string, /^the deflate body does not inflate: /);
  const bomb = deflateRawSync(Buffer.alloc(MAX_INFLATED_BYTES + 1));
  assert.ok(bomb.length < 200_000, 'a small message');
  assert.match(decodeBody(bomb, 'deflate') as string, /^the deflate body does not inflate: .*(buffer|length|size)/i);
  assert.equal(decodeBody(good, 'zstd'), "unknown body encoding 'zstd'");
});

test('the raw-size hint is only a hint: exact, too small, too large, absent or nonsense, the bytes are the same', async () => {
  const raw = readFileSync(path.join(examplesDir, 'sysmon-nxlog.jsonl'));
  const { body, encoding } = await encodeBody(raw);
  for (const hint of [raw.length, 1, raw.length - 1, raw.length * 3, MAX_INFLATED_BYTES * 4, undefined, NaN, -5, 0.5]) {
    assert.deepEqual(Buffer.from(decodeBody(body, encoding, hint) as Uint8Array), raw, `hint ${hint}`);
  }
  const bomb = deflateRawSync(Buffer.alloc(MAX_INFLATED_BYTES + 1));
  assert.match(decodeBody(bomb, 'deflate', MAX_INFLATED_BYTES + 1) as string, /^the deflate body does not inflate: /, 'a hint never lifts the cap');
});
