import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runDump } from '../../../src/cli/dump.js';
import { windowsEventJson as rawEventJson, windowsEventXml as rawEventXml } from '../../../src/families/windows/dump.js';
import { fixture } from './helpers.js';

async function dumpTo(format: 'jsonl' | 'xml'): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-dump-'));
  try {
    const output = path.join(dir, 'out');
    const code = await runDump([fixture], { format, output, maxRecordBytes: 1 << 20, quiet: true });
    assert.equal(code, 0);
    return readFileSync(output, 'utf8').trimEnd().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('dump prints one evtx_dump-shaped JSON line per EVTX record', async () => {
  const lines = await dumpTo('jsonl');
  assert.equal(lines.length, 19);
  for (const line of lines) {
    const ev = JSON.parse(line).Event;
    assert.equal(ev['#attributes'].xmlns, 'http://schemas.microsoft.com/win/2004/08/events/event');
    assert.equal(typeof ev.System.EventID, 'number');
    assert.equal(typeof ev.System.EventRecordID, 'number');
    assert.match(ev.System.TimeCreated['#attributes'].SystemTime, /^\d{4}-.*\.\d{6}Z$/);
    assert.equal(ev.System.Channel, 'Microsoft-Windows-Sysmon/Operational');
    assert.ok(ev.EventData && typeof ev.EventData === 'object');
  }
});

test('dump --format xml prints one Windows XML event per line', async () => {
  const lines = await dumpTo('xml');
  assert.equal(lines.length, 19);
  for (const line of lines) assert.match(line, /^<Event xmlns="[^"]+"><System><Provider Name="Microsoft-Windows-Sysmon" Guid="\{[0-9A-F-]+\}"\/>.*<\/Event>$/);
});

test('events from text sources convert to the same JSON and XML shapes', () => {
  const e = {
    family: 'windows' as const,
    system: { Provider: 'P', EventID: '1', EventRecordID: '42', TimeCreated: '2024-01-01T00:00:00.0000000Z', UserID: 'S-1-5-18', Computer: 'h' },
    data: { Image: 'C:\\a&b.exe', 'Data[0]': 'x' },
    location: { file: 'f', line: 1 },
  };
  const j = JSON.parse(rawEventJson(e)).Event;
  assert.equal(j.System.EventID, 1);
  assert.deepEqual(j.System.Provider, { '#attributes': { Name: 'P' } });
  assert.deepEqual(j.System.Security, { '#attributes': { UserID: 'S-1-5-18' } });
  assert.equal(j.EventData.Image, 'C:\\a&b.exe');
  const x = rawEventXml(e);
  assert.ok(x.includes('<Data Name="Image">C:\\a&amp;b.exe</Data><Data>x</Data>'));
  assert.ok(x.includes('<EventID>1</EventID>'));
});
