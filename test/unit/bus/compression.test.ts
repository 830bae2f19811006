import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { BodyDecoder, decodeBody, encodeBody, MAX_INFLATED_BYTES } from '../../../src/bus/compression.js';
import { examplesDir } from '../../helpers/paths.js';

/** both ways of decoding: a body in a buffer of its own, and one after another into reused memory */
const decoders = [
  { name: 'decodeBody', decode: decodeBody },
  { name: 'BodyDecoder', decode: (...args: Parameters<typeof decodeBody>) => new BodyDecoder().decode(...args) },
];

test('a chunk of log text travels deflated, several times smaller, and inflates to exactly its bytes', async () => {
  const raw = readFileSync(path.join(examplesDir, 'sysmon-nxlog.jsonl'));
  const { body, encoding } = await encodeBody(raw);
  assert.equal(encoding, 'deflate');
  assert.ok(body.length * 3 < raw.length, `${body.length} bytes on the bus for ${raw.length} of text`);
  for (const { name, decode } of decoders) assert.deepEqual(Buffer.from(decode(body, encoding) as Uint8Array), raw, name);
});

test('bytes that do not compress travel as they are, marked identity', async () => {
  const raw = randomBytes(64 * 1024);
  const { body, encoding } = await encodeBody(raw);
  assert.equal(encoding, 'identity');
  assert.equal(body, raw);
  for (const { name, decode } of decoders) {
    assert.equal(decode(body, encoding), raw, name);
    assert.equal(decode(body, undefined), raw, `${name}: a message from before compression (no header) is raw`);
  }
});

test('a corrupt, truncated, oversized or unknown body is a reason, never a crash or a huge allocation', () => {
  const good = deflateRawSync(Buffer.from('{"EventID":1}\n'.repeat(1000)));
  const bomb = deflateRawSync(Buffer.alloc(MAX_INFLATED_BYTES + 1));
  assert.ok(bomb.length < 200_000, 'a small message');
  for (const { name, decode } of decoders) {
    assert.match(decode(Buffer.from('garbage'), 'deflate') as string, /^the deflate body does not inflate: /, name);
    assert.match(decode(good.subarray(0, good.length - 8), 'deflate') as string, /^the deflate body does not inflate: /, name);
    assert.match(decode(bomb, 'deflate') as string, /^the deflate body does not inflate: .*(buffer|length|size)/i, name);
    assert.equal(decode(good, 'zstd'), "unknown body encoding 'zstd'", name);
  }
});

test('the raw-size hint is only a hint: exact, too small, too large, absent or nonsense, the bytes are the same', async () => {
  const raw = readFileSync(path.join(examplesDir, 'sysmon-nxlog.jsonl'));
  const { body, encoding } = await encodeBody(raw);
  const bomb = deflateRawSync(Buffer.alloc(MAX_INFLATED_BYTES + 1));
  for (const { name, decode } of decoders) {
    for (const hint of [raw.length, 1, raw.length - 1, raw.length * 3, MAX_INFLATED_BYTES * 4, undefined, NaN, -5, 0.5]) {
      assert.deepEqual(Buffer.from(decode(body, encoding, hint) as Uint8Array), raw, `${name}, hint ${hint}`);
    }
    assert.match(decode(bomb, 'deflate', MAX_INFLATED_BYTES + 1) as string, /^the deflate body does not inflate: /, `${name}: a hint never lifts the cap`);
  }
});

test("a worker's decoder inflates each body into the memory the one before used (Node's zlib internals are there)", async () => {
  const decoder = new BodyDecoder();
  assert.equal(decoder.reusesMemory, true, 'on this Node the decoder reuses its buffer; a silent fallback would allocate per body again');
  const lines = readFileSync(path.join(examplesDir, 'sysmon-nxlog.jsonl'));
  const first = await encodeBody(lines);
  const second = await encodeBody(Buffer.concat([lines, lines]));
  const a = decoder.decode(first.body, first.encoding, lines.length) as Uint8Array;
  assert.deepEqual(Buffer.from(a), lines);
  const b = decoder.decode(second.body, second.encoding, lines.length * 2) as Uint8Array;
  assert.deepEqual(Buffer.from(b), Buffer.concat([lines, lines]));
  assert.equal(b.buffer, a.buffer, 'the second body lies in the first one\'s memory');
  // a corrupt body destroys zlib's stream object: the decoder takes a new one and goes on reusing its memory
  assert.match(decoder.decode(Buffer.from('garbage'), 'deflate', 10) as string, /^the deflate body does not inflate: /);
  assert.equal(decoder.reusesMemory, true, 'still inflating into kept memory after a corrupt body');
  const c = decoder.decode(first.body, first.encoding, lines.length) as Uint8Array;
  assert.deepEqual(Buffer.from(c), lines);
  assert.equal(c.buffer, b.buffer, 'the body after the corrupt one lies in the same memory');
});

test('one decoder over a random sequence of good, mutated, truncated, oversized and hint-less bodies gives what decodeBody gives for each', () => {
  const decoder = new BodyDecoder();
  const text = readFileSync(path.join(examplesDir, 'windows-sysmon.xml'));
  let seed = 20261204;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const bodies: Array<{ body: Buffer; hint?: number; what: string }> = [];
  for (let i = 0; i < 300; i++) {
    // raw sizes from a few bytes to past the decoder's kept buffer (8 MiB), so it grows, and gives one-off buffers
    const size = [random(200), random(70_000), random(1_200_000), 9 * 1024 * 1024][random(4)];
    const raw = Buffer.alloc(size);
    for (let at = 0; at < size; at += text.length) text.copy(raw, at, 0, Math.min(text.length, size - at));
    const body = deflateRawSync(raw, { level: 1 });
    const kind = random(5);
    if (kind === 0 && body.length > 0) body[random(body.length)] ^= 1 << random(8);
    const cut = kind === 1 ? body.subarray(0, random(body.length + 1)) : body;
    const hint = [raw.length, undefined, random(2 * raw.length + 2)][random(3)];
    bodies.push({ body: cut, hint, what: `#${i}: ${size} bytes raw, ${['a bit flipped', 'cut', 'whole', 'whole', 'whole'][kind]}, hint ${hint}` });
  }
  let good = 0;
  for (const { body, hint, what } of bodies) {
    const expected = decodeBody(body, 'deflate', hint);
    const actual = decoder.decode(body, 'deflate', hint);
    if (typeof expected === 'string') {
      assert.equal(typeof actual, 'string', `${what}: decodeBody refused it, the decoder gave bytes`);
      assert.match(actual as string, /^the deflate body does not inflate: /, what);
    } else {
      assert.ok(typeof actual !== 'string', `${what}: the decoder refused what decodeBody inflated: ${actual}`);
      assert.ok(Buffer.from(expected).equals(Buffer.from(actual)), `${what}: other bytes`);
      good++;
    }
  }
  assert.ok(good > 150 && good < 300, `both outcomes are exercised (${good} of 300 inflated)`);
});
