import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { jsonKindProbe } from '../../../src/engine/prefilter-kinds.js';
import { PROBED_JSON_SHAPES, windowsJsonKind } from '../../../src/families/windows/json-kind.js';
import { families } from '../../../src/families/registry.js';
import { parsedLine, splicedLine } from '../../helpers/json-lines.js';
import { sharedData, sharedDataMissing, examplesDir } from '../../helpers/paths.js';

const windowsProbe = jsonKindProbe([windowsJsonKind]);
const probe = (line: string) => {
  const bytes = Buffer.from(line);
  return windowsProbe(bytes, 0, bytes.length)?.system.EventID;
};

/** what parsing says: the EventID of the windows event the line becomes, null when it becomes none */
function parsed(line: string): string | null | 'other-family' {
  const event = parsedLine(line);
  if (event === null) return null;
  return event.family === 'windows' ? (event.system.EventID ?? null) : 'other-family';
}

/** a claim must be what parsing gives, or parsing must give no event at all */
function assertClaimHolds(line: string): void {
  const claim = probe(line);
  if (claim === undefined) return;
  const actual = parsed(line);
  assert.ok(actual === null || actual === claim, `probe says EventID ${claim}, parsing says ${actual}: ${line.slice(0, 300)}`);
}

test('the kind probe was written against exactly the registered JSON shapes', () => {
  assert.deepEqual(families.jsonShapes.map((s) => s.name).sort(), [...PROBED_JSON_SHAPES].sort(), 'a new JSON shape: check json-kind.ts still holds for it, then list it there');
});

test('the kind probe reads the EventID of flat and evtx_dump lines, and claims nothing it cannot be sure of', () => {
  assert.equal(probe('{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"}'), '1');
  assert.equal(probe('{"SourceName":"x","EventID":"4688"}'), '4688');
  // inside a string the quotes are escaped: not a key
  assert.equal(probe('{"Channel":"x","CommandLine":"a \\"EventID\\":3","EventID":1}'), '1');
  assert.equal(probe('{"Event":{"System":{"Provider":{"#attributes":{"Name":"x"}},"EventID":7}}}'), '7');
  for (const unsure of [
    '{"winlog":{"event_id":1},"EventID":7,"Channel":"x"}',
    '{"EventID":1,"Channel":"x","Data":{"EventID":2}}',
    '{"Event\\u0049D":1,"EventID":7,"Channel":"x"}',
    '{"Event\\u0069D":1,"EventID":7,"Channel":"x"}',
    '{"EventID": 1,"Channel":"x"}',
    '{"EventID":01,"Channel":"x"}',
    '{"EventID":1.5,"Channel":"x"}',
    '{"EventID":"1 ","Channel":"x"}',
    '{"event_simpleName":"ProcessRollup2","EventID":1}',
    '{"SyslogMessage":"<Event><System><EventID>1</EventID></System></Event>","EventID":7}',
    '{"Channel":"x","EventID":1234567890}',
    '{"eventID":1,"Channel":"x"}',
  ]) {
    assert.equal(probe(unsure), undefined, unsure);
    assertClaimHolds(unsure);
  }
  // a key in another case is another key (the shapes read keys as written): the claim is the parse's
  for (const [line, claim] of [
    ['{"EventID":1,"Channel":"x","Data":{"eventid":2}}', '1'],
    ['{"eventid":2,"Channel":"x","EventID":1}', '1'],
  ]) {
    assert.equal(probe(line), claim, line);
    assert.equal(parsed(line), claim, line);
  }
});

test('the probe finds its words wherever they lie in a line, at any distance from the 16-byte steps of its SIMD pass', () => {
  for (let k = 0; k <= 40; k++) {
    const pad = 'x'.repeat(k);
    assert.equal(probe(`{"A":"${pad}","EventID":7,"Channel":"x"}`), '7', `key after ${k} characters`);
    for (const exclusion of ['"winlog":{}', '"SyslogMessage":"y"', '"event_simpleName":"y"', '"Z\\u0041":1', '"Z\\u0079":1']) {
      assert.equal(probe(`{"A":"${pad}",${exclusion},"EventID":7,"Channel":"x"}`), undefined, `${exclusion} after ${k} characters`);
      assert.equal(probe(`{"EventID":7,"Channel":"x","A":"${pad}",${exclusion}}`), undefined, `${exclusion} at the end after ${k} characters`);
    }
    // near misses are not exclusions
    assert.equal(probe(`{"A":"${pad}","winlogs":1,"Syslog":2,"event_simple":3,"B":"\\u0031","EventID":7,"Channel":"x"}`), '7', `near misses after ${k} characters`);
  }
  // a word the line's end cuts is not there
  const line = Buffer.from('{"EventID":7,"Channel":"x"}\n{"winlog":{}}');
  assert.equal(windowsProbe(line, 0, line.indexOf(10))?.system.EventID, '7');
});

test('one EventID key anywhere in a long line is read once: the four chains of the automaton pass overlap, and seeing it twice there is not a second key', () => {
  for (let k = 0; k <= 320; k++) {
    const line = `{"A":"${'x'.repeat(k)}","EventID":7,"B":"${'y'.repeat(320 - k)}"}`;
    assert.equal(probe(line), '7', `key after ${k} characters`);
    const twice = `{"A":"${'x'.repeat(k)}","EventID":7,"B":"${'y'.repeat(320 - k)}","C":{"EventID":7}}`;
    assert.equal(probe(twice), undefined, `a second key after the first at ${k}`);
  }
});

test('over real JSON lines and mutations of them, every kind the probe claims is the kind parsing gives', { skip: sharedDataMissing }, () => {
  const lines: string[] = [];
  const take = (text: string, n: number) => lines.push(...text.split('\n').filter(Boolean).slice(0, n));
  for (const f of ['otrf-empire-dcom-shellwindows', 'otrf-covenant-dcom-iertutil']) take(gunzipSync(readFileSync(path.join(sharedData, 'json-sysmon', `${f}.jsonl.gz`))).toString('utf8'), 3000);
  take(gunzipSync(readFileSync(path.join(sharedData, 'linux-sysmon', 'otrf-log4shell-syslog-sysmon-linux.jsonl.gz'))).toString('utf8'), 1000);
  for (const f of ['sysmon-nxlog.jsonl', 'crowdstrike-fdr.jsonl']) take(readFileSync(path.join(examplesDir, f), 'utf8'), 1000);
  take(readFileSync(path.join(sharedData, 'examples', 'splunk-security_content-data_source-examples.jsonl'), 'utf8'), 5000);
  let claimed = 0;
  for (const line of lines) {
    assertClaimHolds(line);
    if (probe(line) !== undefined) claimed++;
  }
  assert.ok(claimed > lines.length / 2, `only ${claimed} of ${lines.length} real lines got a kind: the probe proves little`);
  // keys and escapes spliced in at random places of real lines
  const pieces = ['"EventID":9,', ',"EventID":"9"', '"winlog":{},', '"Event":{"System":{"EventID":5}},', '\\u0045', '"EventID" :9,', '{"EventID":8}', '"', '\\', ','];
  fc.assert(
    fc.property(splicedLine(lines, pieces), (line) => assertClaimHolds(line)),
    { numRuns: 20000 },
  );
});
