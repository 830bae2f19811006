import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliPath, sharedData, sharedDataMissing } from '../helpers/paths.js';

const run = (args: string[]) => execFileSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });

/**
 * Findings without the fields that name where their events sit (file, line, byte offset of the
 * evidence): what the events say (time, event code, channel, record id) must be the same. Which of
 * two events with one time is kept at the cap may depend on their files, so evidence compares as
 * the sorted times and codes of the kept events.
 */
function findings(jsonl: string): unknown[] {
  return jsonl
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((record) => record.kind !== 'risk_incident')
    .map((record) => {
      const evidence = (record.evidence as Array<Record<string, unknown>>).map((e) => `${e.time} ${e.event_code} ${e.channel}`).sort();
      return { ...record, evidence };
    });
}

for (const folder of ['tunnel', 'evtx-sysmon', 'evtx-security']) {
  test(`scan of ${folder}/*.evtx gives the same findings as scan of the same events exported with dump --format xml`, { skip: sharedDataMissing }, () => {
    const dir = path.join(sharedData, folder);
    const files = readdirSync(dir).filter((f) => f.endsWith('.evtx')).map((f) => path.join(dir, f));
    const xmlFile = path.join(mkdtempSync(path.join(tmpdir(), 'tw-evtx-xml-')), `${folder}.xml`);
    writeFileSync(xmlFile, run(['dump', '-q', '--format', 'xml', ...files]));
    const fromEvtx = findings(run(['scan', '-q', '-t', '1', '-f', 'jsonl', ...files]));
    const fromXml = findings(run(['scan', '-q', '-t', '1', '-f', 'jsonl', xmlFile]));
    assert.deepEqual(fromXml, fromEvtx);
    if (folder === 'tunnel') assert.ok(fromEvtx.length > 0, 'the tunnel captures must raise findings, or this test proves nothing');
  });
}
