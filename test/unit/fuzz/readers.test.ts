/**
 * Fuzz tests of every reader (issue 19): mutated copies of each format's good sample must never
 * throw, must finish in bounded time, must locate every skip, and must keep every record that lies
 * wholly before the first damaged byte. Failures print fast-check's seed and path; inputs that
 * once failed are kept in test/fixtures/fuzz-corpus (corpus.test.ts replays them).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { skipCodes as knownSkipCodes } from '../../../src/diagnostics/codes.js';
import { expandInputs, isInputError } from '../../../src/sources/inputs.js';
import { sources, type SourceName } from '../../../src/sources/registry.js';
import type { RawEvent, Skip } from '../../../src/sources/source.js';
import { repoRoot } from '../../helpers/paths.js';
import { applyMutations, FUZZ_RUNS, FUZZ_SEED, mutations } from './mutations.js';
import { families } from '../../../src/families/registry.js';

const work = mkdtempSync(path.join(tmpdir(), 'tw-fuzz-'));
after(() => rmSync(work, { recursive: true, force: true }));
const fixtures = path.join(repoRoot, 'test/fixtures/contract');
/** per input: generous for 2 shared cores, far below what a hang or an exponential case costs */
const TIME_BOUND_MS = 3000;

let counter = 0;
export async function readFile(name: SourceName, bytes: Buffer): Promise<{ events: RawEvent[]; skips: Skip[]; ms: number }> {
  const file = path.join(work, `case-${counter++}`);
  writeFileSync(file, bytes);
  const skips: Skip[] = [];
  const events: RawEvent[] = [];
  const started = performance.now();
  for await (const input of expandInputs([file])) {
    assert.ok(!isInputError(input), 'the case file is readable');
    for await (const ev of sources[name].read(input, { maxRecordBytes: 1 << 20, jsonShapes: families.jsonShapes, skip: (s) => skips.push(s) })) events.push(ev);
  }
  const ms = performance.now() - started;
  for (const s of skips) {
    assert.ok(s.code in knownSkipCodes, `known skip code ${s.code}`);
    assert.equal(s.location.file, file);
    assert.ok(s.location.line !== undefined || s.location.offset !== undefined, `skip ${s.code} is located`);
  }
  for (const ev of events) assert.equal(ev.location.file, file);
  return { events, skips, ms };
}

const textFormats: Array<[SourceName, string]> = [['jsonl', 'jsonl.jsonl'], ['syslog', 'syslog.log'], ['windows-xml', 'windows-xml.xml']];

for (const [name, fixture] of textFormats) {
  test(`fuzz ${name}: mutated samples never throw, finish in bounded time, and keep every record before the first damaged line`, async () => {
    const clean = readFileSync(path.join(fixtures, fixture));
    const good = await readFile(name, clean);
    assert.ok(good.events.length > 0);
    // damage starts after the first line, so the format (sniffed or not) stays the same
    const from = clean.indexOf(10) + 1;
    await fc.assert(
      fc.asyncProperty(mutations, async (ms) => {
        const { bytes, first } = applyMutations(clean, ms, from);
        const got = await readFile(name, bytes);
        assert.ok(got.ms < TIME_BOUND_MS, `${got.ms.toFixed(0)} ms`);
        // records on lines wholly before the line holding the first damaged byte are kept as they
        // were (in the sample every record is one line, and those bytes are the same in both)
        const damagedLineStart = clean.lastIndexOf(10, first - 1) + 1;
        const before = (e: RawEvent) => e.location.offset! < damagedLineStart;
        const strip = (e: RawEvent) => ({ ...e, location: { line: e.location.line, offset: e.location.offset } });
        assert.deepEqual(got.events.filter(before).map(strip), good.events.filter(before).map(strip));
      }),
      { numRuns: FUZZ_RUNS, seed: FUZZ_SEED },
    );
  });
}

test('fuzz evtx: mutated chunks never throw, finish in bounded time, and chunks before the damage decode as before', async () => {
  const fixture = readFileSync(path.join(fixtures, 'evtx.evtx'));
  const chunk = fixture.subarray(4096, 4096 + 65536);
  // three copies of the sample chunk: damage goes into the last two
  const clean = Buffer.concat([fixture.subarray(0, 4096), chunk, chunk, chunk]);
  const good = await readFile('evtx', clean);
  const inFirst = (e: RawEvent) => e.location.offset! < 4096 + 65536;
  assert.ok(good.events.filter(inFirst).length > 0);
  await fc.assert(
    fc.asyncProperty(mutations, async (ms) => {
      const { bytes } = applyMutations(clean, ms, 4096 + 65536);
      const got = await readFile('evtx', bytes);
      assert.ok(got.ms < TIME_BOUND_MS, `${got.ms.toFixed(0)} ms`);
      assert.deepEqual(got.events.filter(inFirst).map((e) => [e.location.offset, e.system, e.data]), good.events.filter(inFirst).map((e) => [e.location.offset, e.system, e.data]));
    }),
    { numRuns: FUZZ_RUNS, seed: FUZZ_SEED },
  );
});
