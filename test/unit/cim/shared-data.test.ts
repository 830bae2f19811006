import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { isDatasetField } from '../../../src/cim/model.js';
import { dataSourceOf, normalize } from '../../../src/families/registry.js';
import type { RawEvent } from '../../../src/sources/source.js';
import { sharedData } from '../../helpers/paths.js';

const sample = path.join(sharedData, 'json-sysmon/otrf-lsass05-sharpdump.jsonl.gz');
const skip = existsSync(sample) ? false : `../shared/data absent: ${sample} not found`;

/** A minimal stand-in for the jsonl source: NXLog flat Sysmon JSON -> RawEvent. */
function fromNxlog(line: string, lineNumber: number): RawEvent {
  const object = JSON.parse(line) as Record<string, unknown>;
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(object)) if (typeof value === 'string') data[key] = value;
  return {
    family: 'windows',
    system: {
      Provider: data.SourceName,
      Channel: data.Channel,
      EventID: String(object.EventID),
      Computer: data.Hostname,
      TimeCreated: data.UtcTime ?? data['@timestamp'],
    },
    data,
    location: { file: sample, line: lineNumber },
  };
}

test('real NXLog Sysmon events (OTRF) normalize to well-formed CIM events', { skip }, () => {
  const lines = gunzipSync(readFileSync(sample)).toString('utf8').split('\n').filter((line) => line !== '');
  const counts = new Map<string, number>();
  let dnsChecked = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = fromNxlog(lines[i], i + 1);
    const events = normalize(raw);
    const source = dataSourceOf(raw) ?? 'unknown';
    counts.set(source, (counts.get(source) ?? 0) + 1);
    for (const event of events) {
      assert.ok(Number.isFinite(event.time), `line ${i + 1}: time`);
      if (event.dataset === 'sysmon') continue;
      for (const field of Object.keys(event.fields)) assert.ok(isDatasetField(event.dataset, field), `${event.dataset}.${field}`);
      if (event.dataset === 'Network_Resolution.DNS') {
        const answers = event.fields.answer ?? [];
        assert.ok(Array.isArray(answers));
        assert.equal(event.fields.answer_count, String(answers.length));
        for (const answer of answers) assert.ok(!answer.includes('type:') && !answer.includes(';') && answer !== '', answer);
        dnsChecked++;
      }
    }
    if (source.startsWith('Sysmon EventID ')) assert.ok(events.some((event) => event.dataset === 'sysmon'), `line ${i + 1}`);
  }
  assert.ok(dnsChecked > 400, `expected the ~441 EID 22 events, got ${dnsChecked}`);
  assert.ok((counts.get('Sysmon EventID 7') ?? 0) > 18000);
});
