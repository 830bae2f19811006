import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPrefilter, prefilterNeedles } from '../../../src/engine/prefilter.js';
import type { Expr } from '../../../src/rules/search-plan.js';
import type { DatasetName } from '../../../src/cim/model.js';
import { detectionWith } from '../../helpers/detections.js';
import { mappings } from '../../../src/families/registry.js';
import type { FieldRule } from '../../../src/cim/mapping.js';
import type { RawEvent } from '../../../src/sources/source.js';

function on(field: string, pattern: string, dataset: DatasetName = 'Endpoint.Processes') {
  return detectionWith({ dataset, where: { kind: 'compare', field, op: '=', pattern } });
}

function utf16(text: string): Uint8Array {
  return Buffer.from(text, 'utf16le');
}

test('a Windows path literal still matches JSON-escaped and XML-escaped raw text', () => {
  const pf = buildPrefilter([on('process_path', '*\\AppData\\Local\\Temp\\*')])!;
  assert.ok(pf.mayMatchText('{"Image":"C:\\\\Users\\\\bob\\\\AppData\\\\Local\\\\Temp\\\\x.exe"}'));
  assert.ok(pf.mayMatchText('<Data Name="Image">C:\\Users\\bob\\AppData\\Local\\Temp\\x.exe</Data>'));
  assert.ok(!pf.mayMatchText('{"Image":"C:\\\\Windows\\\\System32\\\\cmd.exe"}'));
});

test('a literal with a quote or ampersand matches its XML entity form', () => {
  const pf = buildPrefilter([on('process', '*ngrok.exe" http&tcp*')])!;
  assert.ok(pf.mayMatchText('<Data Name="CommandLine">&quot;C:\\ngrok.exe&quot; http&amp;tcp</Data>'));
});

test('matching ignores case in text and in UTF-16 records', () => {
  const pf = buildPrefilter([on('process_name', 'ngrok.exe')])!;
  assert.ok(pf.mayMatchText('"Image":"C:\\\\Tools\\\\NGROK.EXE"'));
  assert.ok(pf.mayMatchText('NgRoK.ExE'));
  assert.ok(pf.mayMatchUtf16(utf16('C:\\Tools\\NGROK.exe')));
  assert.ok(!pf.mayMatchText('"Image":"C:\\\\Tools\\\\grok.exe"'));
  assert.ok(!pf.mayMatchUtf16(utf16('C:\\Tools\\grok.exe')));
});

test('a needle is found wherever it occurs, including after a near miss and at the record edges', () => {
  const pf = buildPrefilter([on('process', '*tunnel*')])!;
  assert.ok(pf.mayMatchText('tunnel'));
  assert.ok(pf.mayMatchText('tunne tunnel'));
  assert.ok(pf.mayMatchText('x'.repeat(5000) + 'TUNNEL'));
  assert.ok(!pf.mayMatchText('tunne unnel tunnle'));
});

test('a numeric literal matches its UTF-16 text and its little-endian binary forms (dest_port 7844 in EVTX)', () => {
  const pf = buildPrefilter([on('dest_port', '7844', 'Network_Traffic.All_Traffic')])!;
  assert.ok(pf.mayMatchText('"DestinationPort":7844'));
  assert.ok(pf.mayMatchUtf16(utf16('7844')));
  const u16 = Buffer.alloc(2);
  u16.writeUInt16LE(7844);
  assert.ok(pf.mayMatchUtf16(Buffer.concat([Buffer.from([0x01, 0x02]), u16, Buffer.from([0x03])])));
  const u32 = Buffer.alloc(4);
  u32.writeUInt32LE(7844);
  assert.ok(pf.mayMatchUtf16(u32));
  assert.ok(!pf.mayMatchUtf16(Buffer.from([0x01, 0x02, 0x03, 0x04])));
});

/** true when the prefilter passes records of unknown kind whatever their bytes (a rule without a literal is loaded) */
function passesUnknownKinds(pf: ReturnType<typeof buildPrefilter>): boolean {
  const text = '{"EventID":10,"Channel":"Microsoft-Windows-Sysmon/Operational","Image":"C:\\\\x.exe"}';
  return pf !== undefined && pf.mayMatchText(text) && pf.mayMatchBytes(Buffer.from(text)) && pf.mayMatchUtf16(utf16(text));
}

const sysmon = (eventId: string) => ({ family: 'windows', system: { EventID: eventId } });

test('a detection with no required literal passes every record of unknown kind; none without detections', () => {
  const none = detectionWith({ where: { kind: 'true' } });
  assert.ok(passesUnknownKinds(buildPrefilter([on('process_name', 'ngrok.exe'), none])));
  const negated: Expr = { kind: 'not', term: { kind: 'compare', field: 'process_name', op: '=', pattern: 'ngrok.exe' } };
  assert.ok(passesUnknownKinds(buildPrefilter([detectionWith({ where: negated })])));
  assert.equal(buildPrefilter([]), undefined);
});

test('a detection with no required literal costs nothing on records of another kind: they get the literal test of their own kind', () => {
  // Endpoint.Processes is made of Sysmon 1 and Security 4688 (and CrowdStrike ProcessRollup2) only
  const negated: Expr = { kind: 'not', term: { kind: 'compare', field: 'process_name', op: '=', pattern: 'ngrok.exe' } };
  const pf = buildPrefilter([detectionWith({ where: negated }), on('dest', '*.trycloudflare.com', 'Network_Traffic.All_Traffic')])!;
  const line = Buffer.from('{"EventID":7,"ImageLoaded":"C:\\\\a.dll"}');
  assert.equal(pf.mayMatchBytes(line, 0, line.length, sysmon('1')), true, 'a process creation may match the literal-less rule');
  assert.equal(pf.mayMatchBytes(line, 0, line.length, sysmon('4688')), true);
  assert.equal(pf.mayMatchBytes(line, 0, line.length, sysmon('7')), false, 'no rule reads image loads');
  const dns = Buffer.from('{"EventID":3,"DestinationHostname":"x.trycloudflare.com"}');
  assert.equal(pf.mayMatchBytes(dns, 0, dns.length, sysmon('3')), true, 'a network connection holding the literal');
  const other = Buffer.from('{"EventID":3,"DestinationHostname":"example.com"}');
  assert.equal(pf.mayMatchBytes(other, 0, other.length, sysmon('3')), false, 'a network connection without it');
  assert.equal(pf.mayMatchBytes(other, 0, other.length), true, 'the same bytes of unknown kind');
});

test('derived and host fields (action, vendor_product, dest) contribute no needle', () => {
  for (const field of ['action', 'vendor_product', 'dest']) {
    assert.ok(passesUnknownKinds(buildPrefilter([on(field, 'allowed-ngrok-value')])), field);
  }
  const mixed: Expr = {
    kind: 'and',
    terms: [
      { kind: 'compare', field: 'action', op: '=', pattern: 'blocked' },
      { kind: 'compare', field: 'process_name', op: '=', pattern: 'ngrok.exe' },
    ],
  };
  assert.deepEqual(prefilterNeedles([detectionWith({ where: mixed })]).needles, ['ngrok.exe']);
});

test('dest is verbatim in Network_Traffic, where it is the destination host name or IP as logged', () => {
  const pf = buildPrefilter([on('dest', '*.trycloudflare.com', 'Network_Traffic.All_Traffic')])!;
  assert.ok(pf.mayMatchText('"DestinationHostname":"abc.TryCloudflare.com"'));
});

test('a needle containing another needle is dropped: one search covers both', () => {
  const { needles } = prefilterNeedles([on('process_name', 'ngrok.exe'), on('process', '*ngrok*')]);
  assert.deepEqual(needles, ['ngrok']);
});

test('a port rule matches the whole number, not the same digits inside a timestamp', () => {
  const pf = buildPrefilter([on('dest_port', '7000', 'Network_Traffic.All_Traffic')])!;
  assert.ok(pf.mayMatchText('<Data Name="DestinationPort">7000</Data>'));
  assert.ok(pf.mayMatchText('{"DestinationPort":7000,"Image":"x"}'));
  assert.ok(pf.mayMatchBytes(Buffer.from('{"DestinationPort":"7000"}')));
  assert.ok(!pf.mayMatchText('<TimeCreated SystemTime="2022-05-11T18:10:20.470005000Z"/>'));
  assert.ok(pf.mayMatchUtf16(utf16('SystemTime 2022-05-11T18:10:20.470005000Z')), 'EVTX keeps the unbounded search');
});

test('a number some rule also matches inside a longer value is searched unbounded', () => {
  const pf = buildPrefilter([
    on('dest_port', '3389', 'Network_Traffic.All_Traffic'),
    on('process', '*3389*'),
  ])!;
  assert.ok(pf.mayMatchText('plink.exe -R 13389:127.0.0.1:22'));
});

test('in Windows mappings every field a needle can come from is read from the payload, never from System', () => {
  // the XML framer searches an event for needles from its payload (EventData, UserData) on
  const system = { Provider: 'p', Channel: 'c', EventID: '1', Computer: 'host', TimeCreated: '2024-01-01T00:00:00Z', EventRecordID: '1', UserID: 'S-1-5-18', ExecutionProcessID: '4', ExecutionThreadID: '8' };
  const headerOnly: RawEvent = { family: 'windows', system, data: {}, location: { file: 'memory', line: 1 } };
  const fromPayload = (rule: FieldRule) =>
    typeof rule === 'string' ||
    (typeof rule === 'object' && ('from' in rule || 'partOf' in rule || 'firstOf' in rule)) ||
    (typeof rule === 'object' && 'piecesOf' in rule && rule.derive(headerOnly) === undefined) ||
    (typeof rule === 'function' && rule(headerOnly) === undefined);
  let checked = 0;
  for (const mapping of mappings.filter((m) => m.family !== 'crowdstrike')) {
    for (const [field, rule] of Object.entries(mapping.fields) as [string, FieldRule][]) {
      if (prefilterNeedles([on(field, 'needle-value', mapping.dataset)]).needles.length === 0) continue;
      assert.ok(fromPayload(rule), `${mapping.dataset} ${field} in the ${mapping.family} mapping`);
      checked++;
    }
  }
  assert.ok(checked > 0);
});

test('a record must hold a literal of every covered conjunct of an AND, and of one OR branch', () => {
  const compare = (field: string, pattern: string): Expr => ({ kind: 'compare', field, op: '=', pattern });
  const where: Expr = {
    kind: 'or',
    terms: [
      { kind: 'and', terms: [{ kind: 'in', field: 'process', patterns: ['* client *', '* server *'] }, compare('process', '* r:*'), compare('action', 'allowed')] },
      { kind: 'and', terms: [compare('process_name', 'bore.exe'), { kind: 'not', term: compare('process', '*--help*') }] },
    ],
  };
  const pf = buildPrefilter([detectionWith({ where })])!;
  // cut before the last space (a 4688 `process` joins the path to the command line at a space);
  // of the AND the quick test keeps the rarer conjunct: ` r:` over the common words client/server
  assert.deepEqual(prefilterNeedles([detectionWith({ where })]).needles.sort(), [' r:', 'bore.exe'].sort(), 'grep and the quick test keep one conjunct');
  assert.ok(!pf.mayMatchText('"Description":"Windows NT BASE API Client DLL"'), 'only one of the AND conjuncts');
  assert.ok(pf.mayMatchText('"CommandLine":"c.exe client r:1080:socks"'));
  assert.ok(pf.mayMatchBytes(Buffer.from('<Data Name="Image">C:\\bore.exe</Data>')));
  assert.ok(!pf.mayMatchBytes(Buffer.from('c.exe client r:1 bore.exe'), 0, 14), 'only the range is searched');
  assert.ok(pf.mayMatchUtf16(Buffer.from('BORE.EXE --help', 'utf16le')), 'a NOT requires nothing');
});

test('the exact test also uses literals too short for the quick one: a process name `lt`', () => {
  const where: Expr = {
    kind: 'and',
    terms: [
      { kind: 'in', field: 'process_name', patterns: ['lt', 'lt.cmd'] },
      { kind: 'compare', field: 'process', op: '=', pattern: '* -p *' },
    ],
  };
  assert.deepEqual(prefilterNeedles([detectionWith({ where })]).needles, [' -p']);
  const pf = buildPrefilter([detectionWith({ where })])!;
  assert.ok(!pf.mayMatchText('<Data Name="CommandLine">C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Appinfo</Data>'));
  assert.ok(pf.mayMatchText('<Data Name="CommandLine">C:\\npm\\LT.cmd -p 8080</Data>'));
});
