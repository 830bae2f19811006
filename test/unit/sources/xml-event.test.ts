import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeEntities, parseXmlEvent } from '../../../src/sources/xml-event.js';

const WINDOWS = `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385F}'/><EventID Qualifiers='0'>1</EventID><Version>5</Version><Level>4</Level><Task>1</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime='2020-10-08T11:03:46.617920300Z'/><EventRecordID>4522</EventRecordID><Correlation/><Execution ProcessID='2912' ThreadID='3424'/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>win-dc</Computer><Security UserID='S-1-5-18'/></System><EventData><Data Name='Image'>C:\\Windows\\System32\\cmd.exe</Data><Data Name='CommandLine'>cmd /c "a &amp; b" &lt;x&gt; &#65;&#x42;</Data><Data Name='Empty'/><Data Name="Dq">v</Data></EventData></Event>`;

test('System fields and named Data pairs come out of a Splunk-style event', () => {
  const { event, error } = parseXmlEvent(WINDOWS);
  assert.equal(error, undefined);
  assert.deepEqual(event?.system, {
    Provider: 'Microsoft-Windows-Sysmon',
    EventID: '1',
    Version: '5',
    Level: '4',
    Task: '1',
    Opcode: '0',
    Keywords: '0x8000000000000000',
    TimeCreated: '2020-10-08T11:03:46.617920300Z',
    EventRecordID: '4522',
    ExecutionProcessID: '2912',
    ExecutionThreadID: '3424',
    Channel: 'Microsoft-Windows-Sysmon/Operational',
    Computer: 'win-dc',
    UserID: 'S-1-5-18',
  });
  assert.deepEqual(event?.data, {
    Image: 'C:\\Windows\\System32\\cmd.exe',
    CommandLine: 'cmd /c "a & b" <x> AB',
    Empty: '',
    Dq: 'v',
  });
});

test('pretty-printed, namespaced, CDATA and positional Data are handled', () => {
  const xml = `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System>
    <Provider Name="Service Control Manager" />
    <EventID>7045</EventID>
    <Security UserId="0" />
  </System>
  <EventData>
    <Data>first</Data>
    <Data><![CDATA[a <b> & c]]></Data>
    <!-- comment <Data>no</Data> -->
  </EventData>
</Event>`;
  const { event, error } = parseXmlEvent(xml);
  assert.equal(error, undefined);
  assert.equal(event?.system.Provider, 'Service Control Manager');
  assert.equal(event?.system.UserID, '0');
  assert.deepEqual(event?.data, { 'Data[0]': 'first', 'Data[1]': 'a <b> & c' });
});

test('UserData leaves are keyed by element name', () => {
  const xml = '<Event><System><EventID>1102</EventID></System><UserData><LogFileCleared xmlns="x"><SubjectUserName>bob</SubjectUserName><SubjectDomainName>D</SubjectDomainName></LogFileCleared></UserData></Event>';
  assert.deepEqual(parseXmlEvent(xml).event?.data, { SubjectUserName: 'bob', SubjectDomainName: 'D' });
});

test('entities whose semicolon became a space (real OTRF Linux data) decode as the character', () => {
  assert.equal(decodeEntities('&lt unknown process&gt '), '<unknown process>');
  assert.equal(decodeEntities('scx &quot SELECT x&quot  | grep ='), 'scx "SELECT x" | grep =');
  assert.equal(decodeEntities('a&gt/b'), 'a>/b');
});

test('unknown entities are left as written and never expanded', () => {
  assert.equal(decodeEntities('&foo; &ampersand &#xZZ; &#99999999;'), '&foo; &ampersand &#xZZ; &#99999999;');
  const xml = '<!DOCTYPE Event [<!ENTITY x "BOOM">]><Event><System><EventID>1</EventID></System><EventData><Data Name="a">&x;</Data></EventData></Event>';
  assert.equal(parseXmlEvent(xml).event?.data.a, '&x;');
});

test('a truncated event keeps its complete Data pairs and reports the damage', () => {
  const cut = WINDOWS.slice(0, WINDOWS.indexOf("<Data Name='CommandLine'>") + 30);
  const { event, error } = parseXmlEvent(cut);
  assert.match(error ?? '', /truncated/);
  assert.equal(event?.system.EventID, '1');
  assert.deepEqual(event?.data, { Image: 'C:\\Windows\\System32\\cmd.exe' });
});

test('an event cut inside System is an error without an event', () => {
  const r = parseXmlEvent(WINDOWS.slice(0, 120));
  assert.equal(r.event, undefined);
  assert.ok(r.error);
});

test('non-event input is rejected, not thrown', () => {
  for (const bad of ['', 'garbage', '<Other/>', '<Event/>', '<<<<', '<Event', '<Event><System><EventID>1']) {
    const r = parseXmlEvent(bad);
    assert.equal(r.event, undefined, bad);
    assert.ok(r.error, bad);
  }
});

test('a stray < in text is kept as text', () => {
  const xml = '<Event><System><EventID>1</EventID></System><EventData><Data Name="c">a < b</Data></EventData></Event>';
  assert.equal(parseXmlEvent(xml).event?.data.c, 'a < b');
});

test('attributes the event does not use are skipped without losing quoted > or </ inside them', () => {
  const xml = `<Event a="x>y"><System><Provider Guid='{1}' Name="P&amp;Q"/><EventID Qualifiers="</EventID>">4</EventID><Other k='>' /><ns:Computer xmlns:ns="u">pc</ns:Computer></System><EventData z="/>"><Data Name="Image" Extra="a>b">c:\\x.exe</Data><Data Name='Second'>2</Data></EventData></Event>`;
  const { event, error } = parseXmlEvent(xml);
  assert.equal(error, undefined);
  assert.deepEqual(event?.system, { Provider: 'P&Q', EventID: '4', Computer: 'pc' });
  assert.deepEqual(event?.data, { Image: 'c:\\x.exe', Second: '2' });
});

test('an end tag closing an outer element (missing inner end tags) still ends the right sections', () => {
  const xml = '<Event><System><EventID>9</EventID><Channel>c</System><EventData><Data Name="a">1</Data></EventData></Event>';
  const { event, error } = parseXmlEvent(xml);
  assert.equal(error, undefined);
  assert.deepEqual(event?.system, { EventID: '9' });
  assert.deepEqual(event?.data, { a: '1' });
});
