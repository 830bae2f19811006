import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { jsonKindProbe } from '../../../src/engine/prefilter-kinds.js';
import { windowsJsonKind } from '../../../src/families/windows/json-kind.js';
import { parsedLine, splicedLine } from '../../helpers/json-lines.js';
import { sharedData, sharedDataMissing, examplesDir } from '../../helpers/paths.js';

const probe = jsonKindProbe([windowsJsonKind]);

/** the value the probed kind's payload reader claims for `key`, or undefined */
function claim(line: string, key: string): string | undefined {
  const bytes = Buffer.from(line);
  const kind = probe(bytes, 0, bytes.length);
  return kind?.payload?.(bytes, 0, bytes.length)?.(key);
}

/** what parsing gives for the payload field `key`: null when the line makes no windows event */
function parsed(line: string, key: string): string | undefined | null {
  const event = parsedLine(line);
  return event?.family === 'windows' ? event.data[key] : null;
}

function assertClaimHolds(line: string, key: string): boolean {
  const value = claim(line, key);
  if (value === undefined) return false;
  const actual = parsed(line, key);
  assert.ok(actual === null || actual === value, `reader says ${key}=${JSON.stringify(value)}, parsing says ${JSON.stringify(actual)}: ${line.slice(0, 300)}`);
  return true;
}

const flat = (members: string) => `{"EventID":7,"Channel":"Microsoft-Windows-Sysmon/Operational",${members}}`;

test('a flat line\'s string members are read as JSON decodes them', () => {
  assert.equal(claim(flat('"ImageLoaded":"C:\\\\Windows\\\\System32\\\\x.dll","Image":"a.exe"'), 'ImageLoaded'), 'C:\\Windows\\System32\\x.dll');
  assert.equal(claim(flat('"Image":"a \\"quoted\\" \\u00e9 \\/ b"'), 'Image'), 'a "quoted" é / b');
  assert.equal(claim(flat('"Image":"caf\u00e9.exe"'), 'Image'), 'café.exe');
  assert.equal(claim(flat('"Image" : "spaced.exe"'), 'Image'), 'spaced.exe');
  assert.equal(claim(flat('"ProcessGuid":"{42c2e005-e3e2}","tags":["a","b"],"Image":"x"'), 'Image'), 'x', 'braces in strings and arrays of scalars keep a line flat');
  assert.equal(claim(flat('"Image":""'), 'Image'), '');
});

test('the reader answers nothing it cannot be sure of', () => {
  for (const [line, key, why] of [
    [flat('"Image":"a","Image":"b"'), 'Image', 'two members of the name (JSON.parse keeps the last)'],
    [flat('"Image":"a","Image" :"b"'), 'Image', 'two members, one spaced'],
    [flat('"Image":"a","Data":{"x":1}'), 'Image', 'a nested object: another shape may read the line'],
    [`{"Event":{"System":{"EventID":7}},"Image":"a"}`, 'Image', 'evtx_dump reads its payload from Event'],
    [flat('"Image":7'), 'Image', 'not a string'],
    [flat('"Image":null'), 'Image', 'not a string'],
    [flat('"Other":"x"'), 'Image', 'absent'],
    [flat('"Image":"x"'), 'Channel', 'a key the flat shape moves to System'],
    [flat('"Image\\u0041":"x"'), 'ImageA', 'an escaped key (and the probe refuses the line)'],
    [flat('"Image1":"x"'), 'Image1', 'a key with a digit a \\u escape could spell'],
    [flat('"CommandLine":"\\"Image\\":\\"x\\""'), 'Image', 'a key spelled inside a string is no key'],
  ] as const) {
    assert.equal(claim(line, key), undefined, `${why}: ${line}`);
  }
  // the probe gives the line a kind, so a refusal is the reader's own
  assert.ok(probe(Buffer.from(flat('"Image":"a","Data":{"x":1}')), 0, flat('"Image":"a","Data":{"x":1}').length));
});

test('the reader reads only bytes[start, end) of a buffer holding other lines', () => {
  const first = flat('"Image":"one"');
  const buffer = Buffer.from(`${first}\n${flat('"Image":"two","Data":{"x":1}')}\n`);
  const kind = probe(buffer, 0, first.length);
  assert.equal(kind?.payload?.(buffer, 0, first.length)?.('Image'), 'one');
  const secondStart = first.length + 1;
  const secondEnd = buffer.length - 1;
  const second = probe(buffer, secondStart, secondEnd);
  assert.equal(second?.payload?.(buffer, secondStart, secondEnd), undefined, 'the nested object of the second line');
});

const keys = ['ImageLoaded', 'Image', 'CommandLine', 'ParentImage', 'Hashes', 'User', 'TargetFilename', 'QueryName', 'DestinationIp', 'Signed', 'RuleName'];

test('over real JSON lines and mutations of them, every value the reader claims is the one parsing gives', { skip: sharedDataMissing }, () => {
  const lines: string[] = [];
  const take = (text: string, n: number) => lines.push(...text.split('\n').filter(Boolean).slice(0, n));
  for (const f of ['otrf-empire-dcom-shellwindows', 'otrf-covenant-dcom-iertutil']) take(gunzipSync(readFileSync(path.join(sharedData, 'json-sysmon', `${f}.jsonl.gz`))).toString('utf8'), 3000);
  take(readFileSync(path.join(examplesDir, 'sysmon-nxlog.jsonl'), 'utf8'), 1000);
  take(readFileSync(path.join(sharedData, 'examples', 'splunk-security_content-data_source-examples.jsonl'), 'utf8'), 5000);
  let claimed = 0;
  for (const line of lines) for (const key of keys) if (assertClaimHolds(line, key)) claimed++;
  assert.ok(claimed > lines.length, `only ${claimed} values claimed over ${lines.length} real lines: the reader proves little`);
  // members, braces, quotes and escapes spliced in at random places of real lines
  const pieces = ['"Image":"evil.exe",', ',"ImageLoaded":"C:\\\\x.dll"', '"Image" : "x",', '{"Image":"y"}', '"Data":{},', '"', '\\', '\\"', ',', ':', '{', '}', '[', ' '];
  let mutatedClaims = 0;
  fc.assert(
    fc.property(splicedLine(lines, pieces), fc.constantFrom(...keys), (line, key) => {
      if (assertClaimHolds(line, key)) mutatedClaims++;
    }),
    { numRuns: 30000 },
  );
  assert.ok(mutatedClaims > 1000, `only ${mutatedClaims} claims on mutated lines`);
});
