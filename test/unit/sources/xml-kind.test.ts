import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseXmlEvent } from '../../../src/sources/xml-event.js';
import { xmlRecordKind } from '../../../src/sources/xml-kind.js';
import { examplesDir } from '../../helpers/paths.js';

const SYSMON_3 = `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385F}'/><EventID>3</EventID><Version>5</Version><Channel>Microsoft-Windows-Sysmon/Operational</Channel></System><EventData><Data Name='DestinationIp'>127.0.0.1</Data></EventData></Event>`;

function probe(xml: string): string | undefined {
  const buf = Buffer.from(xml);
  const kind = xmlRecordKind(buf, 0, buf.length);
  if (kind) assert.equal(kind.family, 'windows');
  return kind?.system.EventID;
}

/** A claim must be what the parser reads: that EventID, or no event at all. */
function assertSound(xml: string): void {
  const claim = probe(xml);
  if (claim === undefined) return;
  const { event } = parseXmlEvent(xml);
  if (event) assert.equal(event.system.EventID, claim, `the probe claimed ${claim} for ${xml}`);
}

function recordsOf(file: string): string[] {
  return readFileSync(file, 'utf8').match(/<Event[\s>][\s\S]*?<\/Event>/g) ?? [];
}

test("every event of the examples' Windows XML files gets its kind, the EventID the parser reads", () => {
  const records = ['windows-sysmon.xml', 'security-4688-wevtutil.xml'].flatMap((f) => recordsOf(path.join(examplesDir, f)));
  assert.ok(records.length >= 40, `${records.length} records`);
  for (const xml of records) {
    const claim = probe(xml);
    assert.ok(claim !== undefined, `no kind for ${xml.slice(0, 200)}`);
    assert.equal(claim, parseXmlEvent(xml).event?.system.EventID);
  }
});

test('the usual spellings: attributes on EventID, pretty-printing, double quotes, quoted `>`', () => {
  assert.equal(probe(SYSMON_3), '3');
  assert.equal(probe(SYSMON_3.replace('<EventID>', "<EventID Qualifiers='16384'>")), '3');
  assert.equal(probe(SYSMON_3.replaceAll('><', '>\n  <')), '3');
  assert.equal(probe(SYSMON_3.replaceAll("'", '"')), '3');
  // a `>` in a quoted value of the root tag does not end it: the System after the real end is found
  const quoted = SYSMON_3.replace("<Event xmlns='", "<Event a='><Foo>' xmlns='");
  assert.equal(probe(quoted), '3');
  assert.equal(parseXmlEvent(quoted).event?.system.EventID, '3');
});

test('no answer where the bytes do not settle it', () => {
  const refused: Array<[string, string]> = [
    ['a second EventID later in System wins in the parse', SYSMON_3.replace('<Version>5</Version>', '<Version>5</Version><EventID>4648</EventID>')],
    ['a second System section', SYSMON_3.replace('</System>', '</System><System><EventID>4648</EventID></System>')],
    ['a prefixed EventID element', SYSMON_3.replace('<Version>', '<x:EventID>7</x:EventID><Version>')],
    ['an EventID inside an attribute value before the real one', SYSMON_3.replace("Guid='{5770385F}'", "Guid='<EventID>9</EventID>'")],
    ['the only EventID inside an attribute value', SYSMON_3.replace("Guid='{5770385F}'", "Guid='<EventID>9</EventID>'").replace('<EventID>3</EventID>', '')],
    ['an element closed before EventID (System may be over)', SYSMON_3.replace('<Provider', '<Opcode>0</Opcode><Provider')],
    ['a comment before EventID', SYSMON_3.replace('<EventID>', '<!-- x --><EventID>')],
    ['whitespace around the number', SYSMON_3.replace('<EventID>3<', '<EventID> 3 <')],
    ['a character reference', SYSMON_3.replace('<EventID>3<', '<EventID>&#51;<')],
    ['an empty EventID', SYSMON_3.replace('<EventID>3</EventID>', '<EventID/>')],
    ['ten digits', SYSMON_3.replace('<EventID>3<', '<EventID>1234567890<')],
    ['System is not the first element', SYSMON_3.replace('<System>', '<Foo/><System>')],
    ['not an Event root', SYSMON_3.replace('<Event ', '<Events ')],
    ['a truncated record', SYSMON_3.slice(0, SYSMON_3.indexOf('<EventID>') + 10)],
  ];
  for (const [why, xml] of refused) {
    assert.equal(probe(xml), undefined, why);
    assertSound(xml);
  }
});

test('random damage to real records never makes a claim the parser contradicts', () => {
  const records = ['windows-sysmon.xml', 'security-4688-wevtutil.xml'].flatMap((f) => recordsOf(path.join(examplesDir, f)));
  const pieces = ['<EventID>', '</EventID>', '<EventID>42</EventID>', '</System>', '<System>', '<x:EventID>5</x:EventID>', '<!-- c -->', '<![CDATA[<EventID>6</EventID>]]>', '"', "'", '>', '<', '/>', ' ', '&#49;', '</Event>', '<Data Name="EventID">8</Data>'];
  let seed = 20261204;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  let claims = 0;
  for (let i = 0; i < 4000; i++) {
    let xml = records[random(records.length)];
    for (let edits = 1 + random(3); edits > 0; edits--) {
      const at = random(Math.min(xml.length, 400));
      xml = random(4) === 0 ? xml.slice(0, at) + xml.slice(at + 1 + random(12)) : xml.slice(0, at) + pieces[random(pieces.length)] + xml.slice(at);
    }
    if (probe(xml) !== undefined) claims++;
    assertSound(xml);
  }
  // the edits mostly land where they do not matter: the probe still answers for many
  assert.ok(claims > 1000, `${claims} claims`);
});
