import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { bufferInput, dataRoot, fixture, prng, readAll, readBytes } from './helpers.js';

const CHUNK = 65536;
const HEADER = 4096;
const TIME_BOUND_MS = 3000;

interface Mutation { bytes: Buffer; cut: number; flips: number[] }

function mutate(original: Buffer, rnd: () => number, i: number): Mutation {
  if (i % 3 === 0) {
    const cut = Math.floor(rnd() * original.length);
    return { bytes: original.subarray(0, cut), cut, flips: [] };
  }
  const bytes = Buffer.from(original);
  const flips: number[] = [];
  const n = 1 + Math.floor(rnd() * 8);
  for (let k = 0; k < n; k++) {
    // mostly inside the record area of the first chunks, where structure lives
    const at = HEADER + Math.floor(rnd() * Math.min(original.length - HEADER, 3 * CHUNK));
    bytes[at] ^= 1 << Math.floor(rnd() * 8);
    flips.push(at);
  }
  return { bytes, cut: original.length, flips };
}

const candidates = [
  fixture,
  path.join(dataRoot, 'chainsaw-tests/security_sample.evtx'),
  path.join(dataRoot, 'evtx-sysmon/PanacheSysmon_vs_AtomicRedTeam01.evtx'),
].filter((p) => existsSync(p));

test('random truncations and bit flips never throw, finish in bounded time, and account for every record', async (t) => {
  let runs = 0;
  for (const file of candidates) {
    const original = readBytes(file);
    const clean = await readAll(bufferInput(file, original, CHUNK));
    const offsets = clean.records.map((r) => r.offset);
    assert.ok(offsets.length > 0);
    const rnd = prng(0x5eed + runs);
    const count = file === fixture ? 150 : 100;
    for (let i = 0; i < count; i++, runs++) {
      const m = mutate(original, rnd, i);
      const started = Date.now();
      const res = await readAll(bufferInput(file, m.bytes, 10_000));
      const took = Date.now() - started;
      const where = `${path.basename(file)} mutation ${i} (cut ${m.cut}, flips ${m.flips.join(',')})`;
      assert.ok(took < TIME_BOUND_MS, `${where} took ${took} ms`);
      assert.ok(!res.skips.some((s) => s.code === 'io-error'), `${where}: an internal error surfaced as io-error`);
      for (const s of res.skips) {
        const offset = s.location.offset;
        assert.ok(offset !== undefined && offset >= 0 && offset <= m.bytes.length, `${where}: skip ${s.code} located at ${offset}, inside the ${m.bytes.length}-byte file`);
      }
      const decoded = new Set(res.records.map((r) => r.offset));
      const chunkHeaderHit = (off: number) => {
        const start = HEADER + Math.floor((off - HEADER) / CHUNK) * CHUNK;
        return m.flips.some((f) => f >= start && f < start + 512);
      };
      for (const off of offsets) {
        const accounted =
          decoded.has(off) ||
          off >= m.cut ||
          chunkHeaderHit(off) ||
          res.skips.some((s) => s.location.offset !== undefined && s.location.offset <= off && off < s.location.offset + (s.bytes ?? 0));
        assert.ok(accounted, `${where}: record at ${off} neither decoded nor inside a reported skip`);
      }
    }
  }
  t.diagnostic(`${runs} mutated inputs`);
  assert.ok(runs >= 150);
});
