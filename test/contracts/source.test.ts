import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { constants as zlibConstants, gzipSync, inflateRawSync } from 'node:zlib';
import { expandInputs, isInputError } from '../../src/sources/inputs.js';
import { sources } from '../../src/sources/registry.js';
import type { RawEvent, Skip, Source, SourceInput } from '../../src/sources/source.js';
import { repoRoot } from '../unit/sources/helpers.js';
import { families } from '../../src/families/registry.js';

/**
 * One bad-input suite for every registered source: each must survive truncation, an oversized
 * record, invalid UTF-8, garbage, empty input and gzip, locate every skip, and keep reading after
 * the damage. A source's good sample is test/fixtures/contract/<name>.*
 */
const fixtureDir = path.join(repoRoot, 'test/fixtures/contract');
const work = mkdtempSync(path.join(tmpdir(), 'tw-contract-'));
after(() => rmSync(work, { recursive: true, force: true }));
const MAX_RECORD = 1 << 20;

function fixtureFor(name: string): string | undefined {
  if (!existsSync(fixtureDir)) return undefined;
  const file = readdirSync(fixtureDir).find((f) => f.startsWith(`${name}.`));
  return file && path.join(fixtureDir, file);
}

let counter = 0;
async function run(source: Source, bytes: Buffer): Promise<{ events: RawEvent[]; skips: Skip[]; input: SourceInput }> {
  const file = path.join(work, `case-${counter++}`);
  writeFileSync(file, bytes);
  let input: SourceInput | undefined;
  for await (const i of expandInputs([file])) if (!isInputError(i)) input = i;
  assert.ok(input, 'fixture copy must be readable');
  const skips: Skip[] = [];
  const events: RawEvent[] = [];
  for await (const ev of source.read(input, { maxRecordBytes: MAX_RECORD, jsonShapes: families.jsonShapes, skip: (s) => skips.push(s) })) events.push(ev);
  for (const s of skips) {
    assert.equal(s.location.file, input.name, `skip ${s.code} names its file`);
    assert.ok(s.location.line !== undefined || s.location.offset !== undefined, `skip ${s.code} has a line or offset`);
  }
  for (const ev of events) assert.equal(ev.location.file, input.name);
  return { events, skips, input };
}

/** a record boundary near the middle (start of a line) */
function middleBoundary(sample: Buffer): number {
  const nl = sample.indexOf(10, Math.floor(sample.length / 2));
  return nl < 0 ? sample.length : nl + 1;
}

/** an event's identity for comparing runs: where it was read and what it says */
function eventKey(event: RawEvent): string {
  return JSON.stringify([event.location.line ?? event.location.offset, event.system, event.data]);
}

function seededGarbage(n: number): Buffer {
  const out = Buffer.alloc(n);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

for (const [name, source] of Object.entries(sources) as [string, Source][]) {
  const fixture = fixtureFor(name);
  describe(`source contract: ${name}`, () => {
    if (!fixture) {
      test('has a good sample', { skip: `no test/fixtures/contract/${name}.* yet` }, () => undefined);
      return;
    }
    const sample = readFileSync(fixture);
    const binary = sample.subarray(0, 4096).includes(0);
    const binaryReason = 'insertion shifts a binary format\'s fixed offsets: no record boundary to insert at';

    test('the undamaged sample yields events and no skips except informational ones', async () => {
      const { events, skips } = await run(source, sample);
      assert.ok(events.length >= 3, 'sample should hold a few events');
      assert.deepEqual(skips.filter((s) => s.code !== 'not-an-event'), []);
    });

    test('truncated at several points: no throw, never more events than the whole, and every record complete before the cut still comes out', async () => {
      const whole = (await run(source, sample)).events.length;
      let previous = 0;
      for (const frac of [0.1, 0.33, 0.5, 0.77, 0.99]) {
        const cut = Math.floor(sample.length * frac);
        const { events } = await run(source, sample.subarray(0, cut));
        assert.ok(events.length <= whole, `cut at ${cut}`);
        if (binary) {
          // no line boundaries to cut at: a longer prefix keeps at least what a shorter one did
          assert.ok(events.length >= previous, `cut at ${cut}: ${events.length} events, a shorter prefix gave ${previous}`);
          previous = events.length;
        } else {
          const complete = sample.lastIndexOf(10, cut - 1) + 1;
          const before = (await run(source, sample.subarray(0, complete))).events;
          assert.deepEqual(events.slice(0, before.length).map(eventKey), before.map(eventKey), `cut at ${cut}: the events of the lines before it`);
        }
      }
      assert.ok(previous > 0 || !binary, 'a binary sample cut at 99% still yields events');
    });

    test('a 10 MB record inserted: skipped, and the events after it still come out', { skip: binary && binaryReason }, async () => {
      const at = middleBoundary(sample);
      const tailEvents = (await run(source, sample.subarray(at))).events.length;
      const big = Buffer.concat([sample.subarray(0, 16), Buffer.alloc(10 << 20, 0x41), Buffer.from('\n')]);
      const { events, skips } = await run(source, Buffer.concat([sample.subarray(0, at), big, sample.subarray(at)]));
      assert.ok(skips.length >= 1, 'the oversized record is reported');
      assert.ok(events.length >= tailEvents, `${events.length} events, tail alone has ${tailEvents}`);
    });

    test('invalid UTF-8 inside a record: that record is lost at most', { skip: binary && binaryReason }, async () => {
      const at = middleBoundary(sample);
      const damagedAt = at + 20;
      const whole = (await run(source, sample)).events.map(eventKey);
      const bytes = Buffer.concat([sample.subarray(0, damagedAt), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), sample.subarray(damagedAt)]);
      const damaged = new Set((await run(source, bytes)).events.map(eventKey));
      const lost = whole.filter((key) => !damaged.has(key));
      assert.ok(lost.length <= 1, `${lost.length} of ${whole.length} events lost (or altered): ${lost.join('\n').slice(0, 300)}`);
    });

    test('random garbage inserted: no throw, later events survive', { skip: binary && binaryReason }, async () => {
      const at = middleBoundary(sample);
      const tailEvents = (await run(source, sample.subarray(at))).events.length;
      const garbage = Buffer.concat([seededGarbage(4096), Buffer.from('\n')]);
      const { events, skips } = await run(source, Buffer.concat([sample.subarray(0, at), garbage, sample.subarray(at)]));
      assert.ok(skips.length >= 1, 'garbage is reported');
      assert.ok(events.length >= tailEvents, `${events.length} events, tail alone has ${tailEvents}`);
    });

    test('pure garbage: no throw', async () => {
      await run(source, seededGarbage(64 * 1024));
    });

    test('empty input: no events, no throw', async () => {
      const { events } = await run(source, Buffer.alloc(0));
      assert.equal(events.length, 0);
    });

    test('gzip of the sample reads like the sample', async () => {
      const plain = await run(source, sample);
      const packed = await run(source, gzipSync(sample));
      assert.equal(packed.events.length, plain.events.length);
      assert.deepEqual(packed.events.map((e) => e.system), plain.events.map((e) => e.system));
    });

    test('truncated gzip: events before the damage are kept and the damage is reported', async () => {
      const gz = gzipSync(sample);
      const truncated = gz.subarray(0, Math.floor(gz.length * 0.7));
      const { events, skips } = await run(source, truncated);
      assert.ok(skips.some((s) => s.code === 'decompress-error'), 'decompress-error reported');
      // what a reader can inflate before the damage, read as a plain file: its events must all be kept
      const readable = inflateRawSync(truncated.subarray(10), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
      const before = (await run(source, readable)).events.map(eventKey);
      assert.ok(before.length > 0 || binary, 'the cut keeps some whole records of a text sample');
      assert.deepEqual(events.slice(0, before.length).map(eventKey), before);
    });
  });
}
