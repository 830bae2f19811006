import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { datasetNames, type CimEvent, type DatasetName } from '../../../src/cim/model.js';
import type { AnyMapping } from '../../../src/cim/mapping.js';
import { families, mappings } from '../../../src/families/registry.js';
import { guardedPieces, literalGuard } from '../../../src/cim/verbatim.js';
import { RunReport } from '../../../src/diagnostics/run-report.js';
import { Detector } from '../../../src/engine/detector.js';
import { buildPrefilter, prefilterNeedles } from '../../../src/engine/prefilter.js';
import { compilePredicate, LoweredFields } from '../../../src/engine/predicate.js';
import { renderFinding } from '../../../src/engine/render.js';
import { scanInputs } from '../../../src/pipeline/scan.js';
import type { Detection } from '../../../src/rules/detection.js';
import type { RecordPrefilter } from '../../../src/sources/source.js';
import { detectionWith } from '../../helpers/detections.js';
import { examplesDir, sharedData, sharedDataMissing } from '../../helpers/paths.js';

const on = (dataset: DatasetName, field: string, pattern: string, name = `${dataset} ${field}=${pattern}`) =>
  detectionWith({ dataset, where: { kind: 'compare', field, op: '=', pattern } }, { name, id: name });

async function findings(detections: Detection[], inputs: string[], prefilter: RecordPrefilter | undefined): Promise<string[]> {
  const detector = new Detector(detections);
  await scanInputs(detector, inputs, { maxRecordBytes: 1024 * 1024, prefilter }, new RunReport());
  return detector.findings().map((f) => JSON.stringify(renderFinding(f))).sort();
}

test('the guards follow the mapping tables: copies are verbatim, System fields, transforms and EVTX-rendered values are not', () => {
  assert.deepEqual(literalGuard('Endpoint.Processes', 'process_path', families.normalizer), { joins: '', inserts: '', wholeNumber: false });
  // 4688 joins NewProcessName and the command line's tail at a space (and quotes a path with spaces)
  assert.ok(literalGuard('Endpoint.Processes', 'process', families.normalizer)?.joins.includes(' '));
  // 4688 user is DOMAIN\name from two raw fields
  assert.ok(literalGuard('Endpoint.Processes', 'user', families.normalizer)?.inserts.includes('\\'));
  // first present of DestinationHostname / DestinationIp: a copy all the same
  assert.deepEqual(literalGuard('Network_Traffic.All_Traffic', 'dest', families.normalizer), { joins: '', inserts: '', wholeNumber: false });
  // UInt16 in Sysmon EVTX: findable as a whole number by its binary forms only
  assert.deepEqual(literalGuard('Network_Traffic.All_Traffic', 'dest_port', families.normalizer), { joins: '', inserts: '', wholeNumber: true });
  assert.equal(literalGuard('Endpoint.Processes', 'dest', families.normalizer), undefined, 'the host is a System field');
  assert.equal(literalGuard('Endpoint.Processes', 'vendor_product', families.normalizer), undefined, 'a constant');
  assert.equal(literalGuard('Endpoint.Processes', 'process_id', families.normalizer), undefined, '4688 rewrites a hex id in decimal');
  assert.equal(literalGuard('Endpoint.Processes', 'user_id', families.normalizer), undefined, 'a SID EVTX stores in binary');
  assert.equal(literalGuard('sysmon', 'ProcessGuid', families.normalizer), undefined, 'a GUID EVTX stores in binary');
  assert.deepEqual(literalGuard('sysmon', 'CommandLine', families.normalizer), { joins: '', inserts: '', wholeNumber: false }, 'passed through as written');
});

/** The registered tables and data sources, plus one more table. */
const withTable = (table: AnyMapping) => ({ mappings: [...mappings, table], dataSource: (name: string) => families.normalizer.dataSource(name) });

test('a new mapping that computes a field with a bare function makes that field unusable for the prefilter, never wrongly usable', () => {
  const computed = {
    dataset: 'Endpoint.Processes',
    family: 'crowdstrike',
    events: ['ToyProcess'],
    fields: { process_path: (raw) => raw.data.ImagePath?.toUpperCase() },
  } as const satisfies AnyMapping;
  assert.ok(literalGuard('Endpoint.Processes', 'process_path', families.normalizer) !== undefined);
  assert.equal(literalGuard('Endpoint.Processes', 'process_path', withTable(computed)), undefined);
  const copied = { ...computed, fields: { process_path: { firstOf: ['ImagePath', 'ImageFileName'] } } } as const satisfies AnyMapping;
  assert.ok(literalGuard('Endpoint.Processes', 'process_path', withTable(copied)) !== undefined);
});

test('a literal is cut before each join character and at each inserted one; a binary-stored number is only ever a whole number', () => {
  // 4688 process: the path, quoted when it holds a space, then the command line from a space on
  const commandLine = { joins: ' ', inserts: '"', wholeNumber: false };
  assert.deepEqual(guardedPieces(commandLine, 'netsh.exe  interface portproxy', false), ['netsh.exe', ' ', ' interface', ' portproxy']);
  assert.deepEqual(guardedPieces(commandLine, 'files\\tool.exe" -p', false), ['files\\tool.exe', ' -p']);
  assert.deepEqual(guardedPieces(commandLine, 'netsh.exe', true), ['netsh.exe']);
  // 4688 user: DOMAIN\name from two raw fields
  assert.deepEqual(guardedPieces({ joins: '', inserts: '\\', wholeNumber: false }, 'corp\\alice', true), ['corp', 'alice']);
  const port = { joins: '', inserts: '', wholeNumber: true };
  assert.deepEqual(guardedPieces(port, '3389', true), ['3389']);
  assert.equal(guardedPieces(port, '3389', false), undefined, '*3389* also matches 13389, whose binary form differs');
  assert.equal(guardedPieces(port, '03389', true), undefined);
});

test('the prefilter searches the longest piece it can: `*/lt -p *` on a 4688-joined field keeps ` -p`', () => {
  const { needles, uncovered } = prefilterNeedles([on('Endpoint.Processes', 'process', '*/lt -p *')]);
  assert.deepEqual(uncovered, []);
  assert.deepEqual(needles, [' -p']);
});

// Security 4688 `process` is NewProcessName then the command line after its first token: a rule
// literal spanning that join is in no raw field, so the prefilter once dropped the matching events.
const netsh4688 = path.join(sharedData, 'tunnel/ID4688-netsh-RDP-port-forwarding-abuse.evtx');
test('a 4688 rule literal spanning the path/command-line join (*netsh.exe  interface portproxy*) keeps its events', { skip: existsSync(netsh4688) ? undefined : `${netsh4688} absent` }, async () => {
  const detections = [on('Endpoint.Processes', 'process', '*netsh.exe  interface portproxy*')];
  const prefilter = buildPrefilter(detections);
  assert.ok(prefilter, 'the rule keeps a literal (a piece of it between the joins)');
  const without = await findings(detections, [netsh4688], undefined);
  assert.equal(without.length, 1);
  assert.equal(JSON.parse(without[0]).count, 2, 'two netsh portproxy commands in the capture');
  assert.deepEqual(await findings(detections, [netsh4688], prefilter), without);
});

/**
 * Every field the derivation calls verbatim, tested on real values, one detection at a time (with
 * many detections at once, a record passes when any of them has a literal in it, which would hide
 * a field whose literal is not): a detection on a piece of a value the data holds, cut around
 * spaces, quotes and backslashes (where computed fields join raw ones), must pass the raw record of
 * every event it matches, the prefilter built from it alone.
 */
const realSets = [examplesDir, ...['tunnel', 'json-sysmon', 'evtx-sysmon', 'evtx-security', 'linux-sysmon', 'examples'].map((d) => path.join(sharedData, d))];
test('on real data, the prefilter built from a detection on a piece of a verbatim field passes the raw record of every event the detection matches', { skip: sharedDataMissing }, async () => {
  const events = await collectEvents(realSets.filter((dir) => existsSync(dir)));
  const files = new RawFiles();
  let checked = 0;
  const missed: string[] = [];
  for (const [detection, sampled] of piecesOf(events)) {
    const prefilter = buildPrefilter([detection]);
    if (!prefilter) continue; // a piece too short between its cuts has no literal: nothing to prove
    const matches = compilePredicate(detection.plan.where);
    for (const event of sampled) {
      if (!matches(event.fields, new LoweredFields(event.fields))) continue;
      const passed = files.passes(event, prefilter);
      if (passed === undefined) continue;
      checked++;
      if (!passed) missed.push(`${detection.name} at ${event.location.file}@${event.location.offset}`);
    }
  }
  assert.ok(checked > 200, `only ${checked} events checked`);
  assert.deepEqual(missed, []);
});

/** The raw records of the files events came from, read as the sources give them to the prefilter. */
class RawFiles {
  private readonly bytes = new Map<string, Buffer>();

  /** whether the prefilter passes the event's raw record; undefined when it cannot be located */
  passes(event: CimEvent, prefilter: RecordPrefilter): boolean | undefined {
    const { file, offset } = event.location;
    if (offset === undefined) return undefined;
    const buf = this.read(file);
    if (file.endsWith('.evtx')) {
      // the record's BinXML, between its 24-byte header and 4-byte trailer, as the EVTX reader tests it
      const size = buf.readUInt32LE(offset + 4);
      return prefilter.mayMatchUtf16(buf, offset + 24, offset + size - 4);
    }
    const xml = buf.toString('latin1', offset, offset + 6) === '<Event';
    const end = xml ? buf.indexOf('</Event>', offset) + '</Event>'.length : buf.indexOf('\n', offset);
    return prefilter.mayMatchBytes(buf, offset, end < offset ? buf.length : end);
  }

  private read(file: string): Buffer {
    let buf = this.bytes.get(file);
    if (!buf) {
      buf = file.endsWith('.gz') ? gunzipSync(readFileSync(file)) : readFileSync(file);
      this.bytes.set(file, buf);
    }
    return buf;
  }
}

/** Every CIM event of every dataset the inputs yield. */
async function collectEvents(inputs: string[]): Promise<CimEvent[]> {
  const events: CimEvent[] = [];
  class Collector extends Detector {
    override observe(event: CimEvent): void {
      events.push(event);
    }
  }
  // a detection per dataset, so the scan normalizes events of each
  await scanInputs(new Collector(datasetNames.map((d) => on(d, 'any', 'x'))), inputs, { maxRecordBytes: 1024 * 1024 }, new RunReport());
  return events;
}

const MAX_VALUES_PER_FIELD = 3;
const WINDOW = 7;

/** Detections on pieces of a few values of each verbatim field of each file, each with the events it was made from. */
function piecesOf(events: CimEvent[]): Map<Detection, CimEvent[]> {
  const byName = new Map<string, [Detection, CimEvent[]]>();
  const valuesSeen = new Map<string, Set<string>>();
  for (const event of events) {
    for (const [field, value] of Object.entries(event.fields)) {
      const guard = literalGuard(event.dataset, field, families.normalizer);
      if (guard === undefined) continue;
      // a few values per field from each file: products map the same fields differently, and each
      // capture holds its own kind of values (a 4688 command line with or without the path)
      const key = `${event.dataset}\0${field}\0${event.location.file}`;
      const seen = valuesSeen.get(key) ?? new Set<string>();
      if (seen.size >= MAX_VALUES_PER_FIELD || seen.has(String(value))) continue;
      seen.add(String(value));
      valuesSeen.set(key, seen);
      for (const text of Array.isArray(value) ? value : [value]) {
        for (const pattern of guard.wholeNumber ? [text] : windows(text)) {
          if (pattern.includes('*', 1) && pattern.indexOf('*', 1) < pattern.length - 1) continue;
          const d = on(event.dataset, field, pattern);
          const entry = byName.get(d.name) ?? [d, []];
          entry[1].push(event);
          byName.set(d.name, entry);
        }
      }
    }
  }
  return new Map(byName.values());
}

/** `*…*` patterns of text around the first space, quote and backslash of a value, and its middle. */
function windows(text: string): string[] {
  const at = [text.indexOf(' '), text.indexOf('"'), text.indexOf('\\'), text.length >> 1].filter((i) => i >= 0);
  return [...new Set(at.map((i) => text.slice(Math.max(0, i - WINDOW), i + WINDOW)))].filter((piece) => piece.trim().length >= 3).map((piece) => `*${piece}*`);
}
