import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Mapping } from '../../../src/cim/mapping.js';
import { parseEpochMillisSeconds } from '../../../src/cim/time.js';
import { basenamePosix, present } from '../../../src/cim/values.js';
import { RunReport } from '../../../src/diagnostics/run-report.js';
import { Detector } from '../../../src/engine/detector.js';
import { buildPrefilter } from '../../../src/engine/prefilter.js';
import { FamilyCatalog } from '../../../src/families/catalog.js';
import type { EventFamily } from '../../../src/families/family.js';
import { eventFamilies, families } from '../../../src/families/registry.js';
import { scanInputs } from '../../../src/pipeline/scan.js';
import { compileSearch } from '../../../src/rules/spl/compile.js';
import { topLevelScalars } from '../../../src/sources/json-shapes.js';
import { jsonlSource } from '../../../src/sources/jsonl.js';
import { bufferInput } from '../../../src/pipeline/stream.js';
import type { RawEvent } from '../../../src/sources/source.js';
import { detectionWith } from '../../helpers/detections.js';

// A toy event family, written here the way a new one (auditd, Elastic Defend) is written in its
// folder under src/families/: its JSON shape, its mapping table, how it names and times its
// events, and how `dump` prints them. Nothing else in src/ knows of it.

/** Toy audit records: `{"toy_type":"EXEC","node":…,"exe":…,"cmdline":…,"ts_ms":…}` */
const toyExec = {
  dataset: 'Endpoint.Processes',
  family: 'toy-audit',
  events: ['EXEC'],
  fields: {
    dest: 'node',
    process: 'cmdline',
    process_path: 'exe',
    process_name: { partOf: 'exe', via: basenamePosix },
    vendor_product: { value: 'Toy Audit' },
  },
} as const satisfies Mapping<'Endpoint.Processes'>;

const NO_EXCLUDE: ReadonlySet<string> = new Set();

const toyFamily: EventFamily = {
  name: 'toy',
  sources: { 'toy-audit': { providers: [], channels: [], dataSourcePrefix: 'Toy Audit ', documentedEvents: [], evtxTyped: {} } },
  mappings: [toyExec],
  eventCode: (raw) => raw.data.toy_type,
  eventTime: (raw) => {
    const ms = present(raw.data.ts_ms);
    return ms === undefined ? NaN : parseEpochMillisSeconds(ms);
  },
  jsonShapes: [{ name: 'toy-audit', read: (v) => ('toy_type' in v ? { kind: 'event', family: 'toy', system: {}, data: topLevelScalars(v, NO_EXCLUDE) } : undefined) }],
  dump: {
    json: (raw) => JSON.stringify({ toy: raw.data }),
    xml: (raw) => `<toy type="${raw.data.toy_type}"/>`,
  },
};

// the one registration line
const withToy = new FamilyCatalog([...eventFamilies, toyFamily]);

const tunnel = { toy_type: 'EXEC', node: 'build-07', exe: '/opt/bin/toytunnel', cmdline: 'toytunnel -R 9000:localhost:22', ts_ms: '1767225600000' };
const benign = { ...tunnel, exe: '/usr/bin/ls', cmdline: 'ls -l' };
const other = { toy_type: 'LOGIN', node: 'build-07', ts_ms: '1767225601000' };

/** A rule over the fields the toy table maps, compiled from SPL as a detection's search is. */
function toyTunnelRule() {
  const spl =
    '| tstats count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Processes ' +
    'where Processes.process_name=toytunnel Processes.vendor_product="Toy Audit" by Processes.dest Processes.process';
  const { plan, output, errors } = compileSearch(spl);
  assert.deepEqual(errors, []);
  return { ...detectionWith({}, { name: 'Toy Tunnel' }), plan: plan!, output: output! };
}

/** The jsonl source's events and skip codes for these records, read with the catalog's JSON shapes. */
async function readJsonLines(catalog: FamilyCatalog, records: object[] = [tunnel, benign, other]) {
  const skips: string[] = [];
  const events: RawEvent[] = [];
  const input = bufferInput('toy.jsonl', Buffer.from(records.map((r) => JSON.stringify(r)).join('\n') + '\n'));
  for await (const e of jsonlSource.read(input, { maxRecordBytes: 1 << 20, jsonShapes: catalog.jsonShapes, skip: (s) => skips.push(s.code) })) events.push(e);
  return { events, skips };
}

test('without its registration line, records of the toy shape are skipped as unrecognised', async () => {
  const { events, skips } = await readJsonLines(families);
  assert.equal(events.length, 0);
  assert.deepEqual(skips, ['unrecognised-record', 'unrecognised-record', 'unrecognised-record']);
});

test('a toy family registered with one line: its records are read, normalised by its table and named as its data source', async () => {
  const { events, skips } = await readJsonLines(withToy);
  assert.deepEqual(skips, []);
  assert.deepEqual(events.map((e) => e.family), ['toy', 'toy', 'toy']);
  const [cim] = withToy.normalizer.normalize(events[0]);
  assert.equal(cim.dataset, 'Endpoint.Processes');
  assert.equal(cim.time, 1767225600);
  assert.deepEqual(cim.fields, {
    dest: 'build-07',
    process: 'toytunnel -R 9000:localhost:22',
    process_path: '/opt/bin/toytunnel',
    process_name: 'toytunnel',
    vendor_product: 'Toy Audit',
  });
  assert.equal(withToy.normalizer.dataSourceOf(events[0]), 'Toy Audit EXEC');
  assert.ok(withToy.normalizer.knownDataSources.includes('Toy Audit EXEC'));
  // LOGIN has no table: named, but no CIM event
  assert.equal(withToy.normalizer.dataSourceOf(events[2]), 'Toy Audit LOGIN');
  assert.deepEqual(withToy.normalizer.normalize(events[2]), []);
  // the registered families alone do not map it
  assert.deepEqual(families.normalizer.normalize(events[0]), []);
});

test('a rule over the toy table\'s fields detects the toy tunnel in a scan, prefiltered by the toy table\'s verbatim fields', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-toy-'));
  try {
    const file = path.join(dir, 'toy.jsonl');
    writeFileSync(file, [tunnel, benign, other].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const rule = toyTunnelRule();
    const prefilter = buildPrefilter([rule], withToy.normalizer);
    assert.ok(prefilter, 'process_name is a part of a raw field in every table: the rule has a literal to search for');
    const detector = new Detector([rule]);
    const report = new RunReport();
    await scanInputs(detector, [file], { maxRecordBytes: 1 << 20, prefilter, families: withToy }, report);
    assert.equal(report.skippedTotal, 0);
    assert.equal(report.prefiltered, 2, 'the ls and LOGIN lines lack "toytunnel"');
    assert.equal(report.eventsByDataSource.get('Toy Audit EXEC'), 1);
    const findings = detector.findings();
    assert.equal(findings.length, 1);
    assert.deepEqual(findings[0].by, [
      ['Processes.dest', 'build-07'],
      ['Processes.process', 'toytunnel -R 9000:localhost:22'],
    ]);
    assert.equal(findings[0].count, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dump prints toy events with the toy family\'s rendering, Windows and CrowdStrike events with theirs', async () => {
  const { events } = await readJsonLines(withToy);
  assert.equal(withToy.dumpLine(events[0], 'json'), JSON.stringify({ toy: tunnel }));
  assert.equal(withToy.dumpLine(events[2], 'xml'), '<toy type="LOGIN"/>');
  const windows: RawEvent = { family: 'windows', system: { EventID: '1', Channel: 'Microsoft-Windows-Sysmon/Operational' }, data: { Image: 'C:\\x.exe' }, location: { file: 'f' } };
  assert.equal(JSON.parse(withToy.dumpLine(windows, 'json')).Event.System.EventID, 1);
  const crowdstrike: RawEvent = { family: 'crowdstrike', system: {}, data: { event_simpleName: 'ProcessRollup2', CommandLine: 'ngrok tcp 22' }, location: { file: 'f' } };
  assert.deepEqual(JSON.parse(withToy.dumpLine(crowdstrike, 'json')), crowdstrike.data);
});

test('a CrowdStrike event dumped as JSON reads back as the same event', async () => {
  const original = { event_simpleName: 'ProcessRollup2', aid: 'a1', ComputerName: 'WKS-1', CommandLine: 'ngrok tcp 22', timestamp: '1767225600000' };
  const first = await readJsonLines(families, [original]);
  const line = families.dumpLine(first.events[0], 'json');
  const again = await readJsonLines(families, [JSON.parse(line)]);
  assert.deepEqual(again.skips, []);
  assert.deepEqual(again.events.map((e) => [e.family, e.data]), [['crowdstrike', original]]);
});

test('a family whose table names a data source it does not declare is refused at registration, not on an event', () => {
  const broken: EventFamily = { ...toyFamily, name: 'broken', sources: {}, jsonShapes: [] };
  assert.throws(() => new FamilyCatalog([...eventFamilies, broken]), /reads data source toy-audit, which the family does not declare/);
  assert.throws(() => new FamilyCatalog([...eventFamilies, toyFamily, toyFamily]), /registered twice/);
});
