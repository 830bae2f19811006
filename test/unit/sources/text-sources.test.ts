import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { jsonlSource } from '../../../src/sources/jsonl.js';
import { syslogSource } from '../../../src/sources/syslog.js';
import { windowsXmlSource } from '../../../src/sources/windows-xml.js';
import { expandInputs, isInputError } from '../../../src/sources/inputs.js';
import { Sniff, type Source, type SourceInput } from '../../../src/sources/source.js';
import { bufferInput, readAll, sharedData, sharedDataMissing, skipCodes } from './helpers.js';

const SYSMON_LINUX = '<Event><System><Provider Name="Linux-Sysmon" Guid="{ff032593}"/><EventID>1</EventID><TimeCreated SystemTime="2022-05-11T18:10:20.399931000Z"/><Channel>Linux-Sysmon/Operational</Channel><Computer>h</Computer><Security UserId="0"/></System><EventData><Data Name="Image">/usr/bin/ngrok</Data><Data Name="CommandLine">ngrok tcp 22 &gt; /dev/null</Data></EventData></Event>';

async function fileInput(rel: string): Promise<SourceInput> {
  for await (const i of expandInputs([path.join(sharedData, rel)])) {
    if (isInputError(i)) throw new Error(i.message);
    return i;
  }
  throw new Error('no input');
}

async function readShared(source: Source, rel: string) {
  return readAll(source, await fileInput(rel), { maxRecordBytes: 4 << 20 });
}

test('syslog: RFC 3164, RFC 3339, <PRI> and bare lines all give events; other programs are counted as not-an-event', async () => {
  const text = [
    `Oct 24 17:05:38 host sysmon: ${SYSMON_LINUX}`,
    `2025-12-10T22:27:58.152234+09:00 host sysmon: ${SYSMON_LINUX}`,
    `<134>Aug  3 10:30:16 host sysmon: ${SYSMON_LINUX}`,
    SYSMON_LINUX,
    'Oct 24 17:05:38 host sysmon[3099]: Running...',
    'Oct 24 17:05:39 host CRON[1]: (root) CMD (true)',
    '',
  ].join('\n');
  const { events, skips } = await readAll(syslogSource, bufferInput(text, 's.log'));
  assert.equal(events.length, 4);
  assert.deepEqual(events.map((e) => e.location.line), [1, 2, 3, 4]);
  assert.equal(events[0].data.CommandLine, 'ngrok tcp 22 > /dev/null');
  assert.equal(events[1].system.UserID, '0');
  assert.deepEqual(skipCodes(skips), ['not-an-event', 'not-an-event']);
  assert.deepEqual(skips.map((s) => s.location.line), [5, 6]);
});

test('syslog: a truncated event line is invalid-xml with its line, neighbours survive', async () => {
  const text = `${SYSMON_LINUX}\nMay 1 00:00:00 h sysmon: <Event><System><EventID>1</Even\n${SYSMON_LINUX}\n`;
  const { events, skips } = await readAll(syslogSource, bufferInput(text));
  assert.equal(events.length, 2);
  assert.equal(skips[0].code, 'invalid-xml');
  assert.equal(skips[0].location.line, 2);
});

test('prefilter runs before parsing and counts what it drops', async () => {
  const other = SYSMON_LINUX.replaceAll('ngrok', 'bash');
  const prefilter = {
    mayMatchText: (t: string) => t.includes('ngrok'),
    mayMatchBytes: (b: Uint8Array, start = 0, end = b.length) => Buffer.from(b.subarray(start, end)).includes('ngrok'),
    mayMatchUtf16: () => true,
    mayMatchUtf16Each: (_bytes: Uint8Array, ranges: ArrayLike<number>, passed: Uint8Array) => passed.fill(1, 0, ranges.length >> 1),
  };
  const sys = await readAll(syslogSource, bufferInput(`${SYSMON_LINUX}\n${other}\n${other}\n`), { prefilter });
  assert.equal(sys.events.length, 1);
  assert.equal(sys.prefiltered, 2);
  const xml = await readAll(windowsXmlSource, bufferInput(`${other}\n${SYSMON_LINUX}\n`), { prefilter });
  assert.deepEqual([xml.events.length, xml.prefiltered], [1, 1]);
  const json = await readAll(jsonlSource, bufferInput('{"event_simpleName":"ProcessRollup2","CommandLine":"ngrok http 80"}\n{"event_simpleName":"x"}\n{bad json\n'), { prefilter });
  assert.deepEqual([json.events.length, json.prefiltered, json.skips.length], [1, 2, 0]);
});

test('windows-xml: wevtutil document with double quotes and an <Events> wrapper', async () => {
  const doc = `<?xml version="1.0" encoding="UTF-8"?>\n<Events>\n<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">\n <System>\n  <Provider Name="Microsoft-Windows-Security-Auditing"/>\n  <EventID>4688</EventID>\n  <Computer>pc</Computer>\n </System>\n <EventData>\n  <Data Name="NewProcessName">C:\\ngrok.exe</Data>\n </EventData>\n</Event>\n</Events>\n`;
  const { events, skips } = await readAll(windowsXmlSource, bufferInput(doc, 'w.xml', 16));
  assert.equal(skips.length, 0);
  assert.equal(events.length, 1);
  assert.deepEqual(events[0].system, { Provider: 'Microsoft-Windows-Security-Auditing', EventID: '4688', Computer: 'pc' });
  assert.deepEqual(events[0].location, { file: 'w.xml', line: 3, offset: doc.indexOf('<Event ') });
  assert.equal(windowsXmlSource.sniff(Buffer.from(doc)), Sniff.certain);
});

test('jsonl: flat NXLog Sysmon maps the envelope to system, takes UtcTime as time, drops Message', async () => {
  const line = JSON.stringify({ SourceName: 'Microsoft-Windows-Sysmon', Channel: 'Microsoft-Windows-Sysmon/Operational', Hostname: 'pc1', EventID: 1, Message: 'huge', UtcTime: '2023-09-06 04:51:52.951', '@timestamp': '2023-09-05T09:51:53.490Z', Image: 'C:\\x.exe', Keywords: -9223372036854775808, Big: 1e21, Flag: true, tags: ['a'], Nothing: null });
  const { events } = await readAll(jsonlSource, bufferInput(line));
  assert.deepEqual(events[0].system, { EventID: '1', Channel: 'Microsoft-Windows-Sysmon/Operational', Computer: 'pc1', Provider: 'Microsoft-Windows-Sysmon', TimeCreated: '2023-09-06T04:51:52.951Z' });
  assert.deepEqual(events[0].data, { UtcTime: '2023-09-06 04:51:52.951', '@timestamp': '2023-09-05T09:51:53.490Z', Image: 'C:\\x.exe', Keywords: '-9223372036854775808', Big: '1000000000000000000000', Flag: 'true' });
});

test('jsonl: CrowdStrike, Winlogbeat, evtx_dump and Azure Syslog shapes', async () => {
  const lines = [
    { event_simpleName: 'ProcessRollup2', CommandLine: 'ngrok', TargetProcessId: 5 },
    { '@timestamp': '2024-01-01T00:00:00Z', winlog: { event_id: '1', channel: 'Microsoft-Windows-Sysmon/Operational', provider_name: 'Microsoft-Windows-Sysmon', computer_name: 'w', event_data: { Image: 'a.exe' } } },
    { Event: { System: { Provider: { '#attributes': { Name: 'P' } }, EventID: { '#text': 4688, '#attributes': { Qualifiers: 0 } }, TimeCreated: { '#attributes': { SystemTime: 'T' } }, Security: { '#attributes': { UserID: 'S-1' } } }, EventData: { Data: [{ '#attributes': { Name: 'A' }, '#text': 'x' }, 'pos'] } } },
    { Event: { System: { EventID: 1 }, EventData: null, UserData: { Op: { '#attributes': { xmlns: 'u' }, User: 'bob' } } } },
    { SyslogMessage: SYSMON_LINUX, Computer: 'UBUNTU5' },
    { SyslogMessage: 'CRON job ran' },
    { hello: 'world' },
  ].map((o) => JSON.stringify(o));
  const { events, skips } = await readAll(jsonlSource, bufferInput(`${lines.join('\n')}\nnot json\n`));
  assert.deepEqual(events.map((e) => e.family), ['crowdstrike', 'windows', 'windows', 'windows', 'windows']);
  assert.deepEqual(events[0].data, { event_simpleName: 'ProcessRollup2', CommandLine: 'ngrok', TargetProcessId: '5' });
  assert.deepEqual(events[1].system, { EventID: '1', Channel: 'Microsoft-Windows-Sysmon/Operational', Provider: 'Microsoft-Windows-Sysmon', Computer: 'w', TimeCreated: '2024-01-01T00:00:00Z' });
  assert.deepEqual(events[2].system, { Provider: 'P', EventID: '4688', TimeCreated: 'T', UserID: 'S-1' });
  assert.deepEqual(events[2].data, { A: 'x', 'Data[0]': 'pos' });
  assert.deepEqual(events[3].data, { User: 'bob' });
  assert.equal(events[4].data.Image, '/usr/bin/ngrok');
  assert.deepEqual(skips.map((s) => [s.code, s.location.line]), [['not-an-event', 6], ['unrecognised-record', 7], ['invalid-json', 8]]);
});

test('jsonl: pretty-printed concatenated documents and arrays are read whole, with line numbers', async () => {
  const ev = (id: number) => JSON.stringify({ Event: { System: { EventID: id } } }, null, 2);
  const concatenated = `${ev(1)}\n${ev(2)}\n`;
  const a = await readAll(jsonlSource, bufferInput(concatenated));
  assert.deepEqual(a.events.map((e) => [e.system.EventID, e.location.line]), [['1', 1], ['2', 8]]);
  const arr = await readAll(jsonlSource, bufferInput(`[\n${ev(3)},\n${ev(4)}\n]`));
  assert.deepEqual(arr.events.map((e) => [e.system.EventID, e.location.line]), [['3', 2], ['4', 9]]);
  const tooBig = await readAll(jsonlSource, bufferInput(concatenated), { maxRecordBytes: 20 });
  assert.deepEqual(skipCodes(tooBig.skips), ['line-too-long']);
});

test('real: DERIVED syslog gives 93 events', { skip: sharedDataMissing }, async () => {
  const { events, skips } = await readShared(syslogSource, 'linux-sysmon/otrf-log4shell-sysmon-linux.DERIVED-syslog.log');
  assert.equal(events.length, 93);
  assert.equal(skips.length, 0);
  const mangled = events.filter((e) => e.data.Image === '<unknown process>');
  assert.equal(mangled.length, 14);
});

test('real: Azure Syslog-table JSON gives the same 93 events', { skip: sharedDataMissing }, async () => {
  const { events, skips } = await readShared(jsonlSource, 'linux-sysmon/otrf-log4shell-syslog-sysmon-linux.jsonl.gz');
  assert.equal(events.length, 93);
  assert.equal(skips.length, 0);
  assert.ok(events.every((e) => e.system.Channel === 'Linux-Sysmon/Operational'));
});

test('real: elastic excerpt gives its 8 events and counts the 14 daemon lines', { skip: sharedDataMissing }, async () => {
  const { events, skips } = await readShared(syslogSource, 'linux-sysmon/elastic-integrations-sysmon_linux-sample-EXCERPT.log');
  assert.deepEqual(events.map((e) => e.system.EventID), ['16', '4', '23', '5', '1', '5', '3', '3']);
  assert.deepEqual([...new Set(skipCodes(skips))], ['not-an-event']);
  assert.equal(skips.length, 14);
});

test('real: json-sysmon files give the manifest counts and every line is an event or a skip', { skip: sharedDataMissing }, async () => {
  const manifest = JSON.parse(readFileSync(path.join(sharedData, 'manifest.json'), 'utf8')) as { file: string; events?: number; channels?: Record<string, number> }[];
  for (const entry of manifest.filter((m) => m.file.startsWith('json-sysmon/'))) {
    const { events, skips } = await readShared(jsonlSource, entry.file);
    assert.equal(events.length + skips.length, entry.events, entry.file);
    assert.equal(events.length, entry.events, entry.file);
    const sysmon = events.filter((e) => e.system.Channel === 'Microsoft-Windows-Sysmon/Operational').length;
    assert.equal(sysmon, entry.channels?.['Microsoft-Windows-Sysmon/Operational'], entry.file);
  }
});

test('real: example_log strings parse with the matching source', { skip: sharedDataMissing }, async () => {
  const lines = readFileSync(path.join(sharedData, 'examples/splunk-security_content-data_source-examples.jsonl'), 'utf8').trim().split('\n');
  for (const l of lines) {
    const ex = JSON.parse(l) as { sourcetype: string; example_log: string; name: string };
    const source = ex.sourcetype === 'xmlwineventlog' ? windowsXmlSource : ex.sourcetype === 'sysmon:linux' ? syslogSource : jsonlSource;
    const { events, skips } = await readAll(source, bufferInput(ex.example_log));
    assert.equal(skips.length, 0, ex.name);
    assert.equal(events.length, 1, ex.name);
    if (source !== jsonlSource) assert.ok(Object.keys(events[0].data).length > 3, ex.name);
    else assert.equal(events[0].family, 'crowdstrike');
  }
});

test('real: sigma-regression evtx_dump JSON documents all parse', { skip: sharedDataMissing }, async () => {
  let files = 0;
  let events = 0;
  for await (const input of expandInputs([path.join(sharedData, 'sigma-regression')])) {
    if (isInputError(input) || !input.name.endsWith('.json')) continue;
    files++;
    const r = await readAll(jsonlSource, input, { maxRecordBytes: 4 << 20 });
    assert.deepEqual(r.skips, [], input.name);
    assert.ok(r.events.length >= 1 && r.events.every((e) => e.system.EventID && e.system.Provider), input.name);
    events += r.events.length;
  }
  assert.equal(files, 140);
  assert.equal(events, 160);
});

test('syslog: two events on one line separated by a bare CR are both read, each at its own offset', async () => {
  const first = `Oct 24 17:05:38 host sysmon: ${SYSMON_LINUX}`;
  const text = `${first}\r${first.replace('ngrok tcp 22', 'ngrok tcp 23')}\n${first}\r\n`;
  const { events, skips } = await readAll(syslogSource, bufferInput(text, 's.log'));
  assert.deepEqual(skips, []);
  assert.deepEqual(events.map((e) => [e.location.line, e.location.offset, e.data.CommandLine]), [
    [1, 0, 'ngrok tcp 22 > /dev/null'],
    [1, Buffer.byteLength(first) + 1, 'ngrok tcp 23 > /dev/null'],
    [2, 2 * Buffer.byteLength(first) + 2, 'ngrok tcp 22 > /dev/null'],
  ]);
});
