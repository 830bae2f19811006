import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Detector } from '../../../src/engine/detector.js';
import { buildPrefilter } from '../../../src/engine/prefilter.js';
import { decodePrefilter } from '../../../src/engine/prefilter-tables.js';
import type { TableStore } from '../../../src/engine/saved-tables.js';
import { renderFinding } from '../../../src/engine/render.js';
import { RunReport } from '../../../src/diagnostics/run-report.js';
import { families } from '../../../src/families/registry.js';
import { scanInputs } from '../../../src/pipeline/scan.js';
import { loadDetections } from '../../../src/rules/escu.js';
import type { Detection } from '../../../src/rules/detection.js';
import type { RecordPrefilter } from '../../../src/sources/source.js';
import { detectionWith } from '../../helpers/detections.js';
import { repoRoot } from '../../helpers/paths.js';

const { detections: shipped } = await loadDetections([path.join(repoRoot, 'content/detections')]);

/** a store in memory that counts its writes */
function memoryStore(): TableStore & { bytes?: Uint8Array; writes: number } {
  const store = {
    bytes: undefined as Uint8Array | undefined,
    writes: 0,
    read: () => store.bytes,
    write: (bytes: Uint8Array) => {
      store.writes++;
      store.bytes = bytes;
    },
  };
  return store;
}

/** every line of every file under the shipped examples and content tests, as text and as bytes */
function sampleRecords(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const file = path.join(dir, name);
      return statSync(file).isDirectory() ? walk(file) : [file];
    });
  return [path.join(repoRoot, 'examples'), path.join(repoRoot, 'content/tests')].flatMap(walk).flatMap((file) => readFileSync(file, 'latin1').split('\n'));
}

/**
 * Each record's answers as text, bytes and UTF-16; the UTF-16 ones also from one call over all the
 * records laid out as an EVTX chunk lays them (apart, with bytes between), which must agree.
 */
function answers(prefilter: RecordPrefilter, records: string[]): string {
  const between = Buffer.from([0x2a, 0x2a, 0, 0]);
  const ranges: number[] = [];
  let at = 0;
  const chunk = Buffer.concat(records.flatMap((r) => {
    const data = Buffer.from(r, 'utf16le');
    ranges.push(at, at + data.length);
    at += data.length + between.length;
    return [data, between];
  }));
  const passed = new Uint8Array(records.length);
  prefilter.mayMatchUtf16Each(chunk, ranges, passed);
  return records
    .map((r, i) => {
      const bytes = Buffer.from(r, 'latin1');
      const utf16 = prefilter.mayMatchUtf16(Buffer.from(r, 'utf16le'));
      assert.equal(passed[i], +utf16, `record ${i} of a chunk: ${r.slice(0, 200)}`);
      return `${+prefilter.mayMatchText(r)}${+prefilter.mayMatchBytes(bytes)}${+utf16}`;
    })
    .join('');
}

async function findings(detections: Detection[], prefilter: RecordPrefilter | undefined): Promise<string[]> {
  const detector = new Detector(detections);
  await scanInputs(detector, [path.join(repoRoot, 'examples')], { maxRecordBytes: 1024 * 1024, prefilter }, new RunReport());
  return detector.findings().map((f) => JSON.stringify(renderFinding(f))).sort();
}

test('a prefilter restored from its saved tables answers every record as the one built, and finds the same findings', async () => {
  const store = memoryStore();
  const built = buildPrefilter(shipped, families.normalizer, store)!;
  assert.equal(store.writes, 1, 'the first build saves its tables');
  const restored = buildPrefilter(shipped, families.normalizer, store)!;
  assert.equal(store.writes, 1, 'the second one reads them');
  assert.ok(decodePrefilter(store.bytes, shipped.length)?.literal, 'a literal prefilter was saved');
  const records = sampleRecords();
  const fresh = answers(buildPrefilter(shipped)!, records);
  assert.ok(fresh.includes('0') && fresh.includes('1'), 'the sample has records that pass and records that fail');
  assert.equal(answers(built, records), fresh);
  assert.equal(answers(restored, records), fresh);
  const without = await findings(shipped, undefined);
  assert.ok(without.length > 0);
  assert.deepEqual(await findings(shipped, restored), without);
});

test('damaged, truncated or foreign tables are refused, and the prefilter is built anew', () => {
  const store = memoryStore();
  buildPrefilter(shipped, families.normalizer, store);
  const good = store.bytes!;
  const flipped = Uint8Array.from(good);
  flipped[flipped.length - 100] ^= 1;
  assert.equal(decodePrefilter(flipped, shipped.length), undefined, 'a changed table byte');
  assert.equal(decodePrefilter(good.subarray(0, good.length - 1024), shipped.length), undefined, 'a truncated file');
  assert.equal(decodePrefilter(good, shipped.length - 1), undefined, 'tables of another rule set');
  assert.equal(decodePrefilter(Buffer.from('not tables at all, but long enough to have a digest'), shipped.length), undefined);
  store.bytes = flipped;
  const rebuilt = buildPrefilter(shipped, families.normalizer, store)!;
  assert.equal(store.writes, 2, 'rebuilt and saved again');
  const records = sampleRecords();
  assert.equal(answers(rebuilt, records), answers(buildPrefilter(shipped)!, records));
});

/** a rule on the passthrough table that reads every Sysmon event: only its own term names event code 7 */
const imageLoad = detectionWith(
  {
    dataset: 'sysmon',
    where: {
      kind: 'and',
      terms: [
        { kind: 'compare', field: 'EventID', op: '=', pattern: '7' },
        { kind: 'compare', field: 'ImageLoaded', op: '=', pattern: '*\\oddname.dll' },
      ],
    },
  },
  { id: '00000000-0000-4000-8000-000000000007' },
);

test('a rule set with a detection that has no literal saves the tests of the record kinds probes report, false, true and literal tests among them', () => {
  const noLiteral = detectionWith({ where: { kind: 'true' } });
  const detections = [...shipped, noLiteral, imageLoad];
  const store = memoryStore();
  const built = buildPrefilter(detections, families.normalizer, store)!;
  assert.equal(built.usesKind, true);
  const saved = decodePrefilter(store.bytes, detections.length);
  assert.ok(saved && !saved.literal && saved.kinds);
  const tests = [...saved.kinds.tests.values()];
  assert.ok(tests.includes(false) && tests.includes(true) && tests.some((t) => typeof t === 'function'), 'kinds no rule reads, kinds with a rule without a literal, kinds with literal tests');
  assert.equal(saved.kinds.tests.get('windows\u0000EventID\u00001'), true, 'Sysmon 1, which the rule without a literal reads, passes whole');
  assert.equal(typeof saved.kinds.tests.get('windows\u0000EventID\u00007'), 'function', 'Sysmon 7, named by a term only, has its literal test saved');
  const restored = buildPrefilter(detections, families.normalizer, store)!;
  assert.equal(store.writes, 1);
  assert.equal(restored.usesKind, true);
  assert.equal(restored.mayMatchText('anything'), true);
});

test('a per-kind prefilter restored from its saved tables answers every record of every kind as the one derived', () => {
  const noLiteral = detectionWith({ where: { kind: 'true' } });
  const detections = [...shipped, noLiteral, imageLoad];
  const store = memoryStore();
  buildPrefilter(detections, families.normalizer, store);
  const restored = buildPrefilter(detections, families.normalizer, store)!;
  const derived = buildPrefilter(detections)!;
  const saved = decodePrefilter(store.bytes, detections.length)!;
  const codes = [...saved.kinds!.tests.keys()].map((key) => key.split('\0')[2]).filter((code) => /^\d+$/.test(code));
  // every saved code, codes no table names, and kinds the save does not cover (two <System> fields, another family)
  const kinds = [
    ...[...codes, '99999', '4104'].map((code) => ({ family: 'windows', system: { EventID: code } })),
    { family: 'windows', system: { EventID: '1', Channel: 'Security' } },
    { family: 'linux', system: { EventID: '1' } },
  ];
  const records = sampleRecords().map((r) => Buffer.from(r, 'latin1'));
  const answersOf = (prefilter: RecordPrefilter) => kinds.map((kind) => records.map((r) => +prefilter.mayMatchBytes(r, 0, r.length, kind)).join('')).join('\n');
  const expected = answersOf(derived);
  assert.ok(expected.includes('0') && expected.includes('1'), 'records that pass and records that fail');
  assert.equal(answersOf(restored), expected);
});

test('a detector whose candidate indexes come from saved tables finds what one that built them finds', async () => {
  const store = memoryStore();
  const scan = async (indexTables?: TableStore) => {
    const detector = new Detector(shipped, { indexTables });
    await scanInputs(detector, [path.join(repoRoot, 'examples')], { maxRecordBytes: 1024 * 1024 }, new RunReport());
    return detector.findings().map((f) => JSON.stringify(renderFinding(f))).sort();
  };
  const plain = await scan();
  assert.ok(plain.length > 0);
  assert.deepEqual(await scan(store), plain, 'the run that saves them');
  assert.equal(store.writes, 1);
  assert.deepEqual(await scan(store), plain, 'the run that reads them');
  assert.equal(store.writes, 1);
});

test('every value a canonical kind keeps has its EventID test saved, a value only another field names too (the RDP rule keeps 10 for its LogonType)', () => {
  const store = memoryStore();
  buildPrefilter(shipped, families.normalizer, store);
  const { kinds } = decodePrefilter(store.bytes, shipped.length)!;
  assert.ok(kinds && kinds.mentioned.includes('10'), 'the story rules name 10');
  const missing = kinds.mentioned.filter((value) => !kinds.tests.has(`windows\u0000EventID\u0000${value}`));
  assert.deepEqual(missing, [], 'a Sysmon 10 record would have its test (and the index of every plan) built in the middle of a scan');
});
