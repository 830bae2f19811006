import assert from 'node:assert/strict';
import type { CimEvent } from '../../../src/cim/model.js';
import type { Finding } from '../../../src/engine/finding.js';
import type { BoundCorrelation } from '../../../src/rules/correlation.js';
import { bindSigmaCorrelations } from '../../../src/rules/sigma/bind-correlations.js';
import { parseSigmaFile } from '../../../src/rules/sigma/collection.js';

/** Two process_creation rules, `rule_a` (a.exe) and `rule_b` (b.exe), as documents of a Sigma file. */
export const baseRules = ['a', 'b', 'c']
  .map(
    (x, i) => `title: Rule ${x.toUpperCase()}
id: 00000000-0000-4000-8000-00000000000${i + 1}
name: rule_${x}
logsource:
    product: windows
    category: process_creation
detection:
    sel:
        Image|endswith: '\\${x}.exe'
    condition: sel
`,
  )
  .join('---\n');

/** A correlation document (indented body under `correlation:`) followed by the base rules. */
export function correlationFile(body: string, extra = ''): string {
  return `title: Test Correlation
id: 00000000-0000-4000-8000-0000000000cc
level: high
status: test
tags:
    - attack.t1572
${extra}correlation:
${body}
---
${baseRules}`;
}

/** Loads a Sigma file's text and binds its correlations to its rules; asserts nothing failed to load. */
export function boundFrom(text: string): BoundCorrelation[] {
  const parsed = parseSigmaFile('corr.yml', text);
  assert.deepEqual(parsed.notLoaded, []);
  const bound = bindSigmaCorrelations(parsed.correlations, parsed.detections);
  assert.deepEqual(bound.notLoaded, []);
  return bound.correlations;
}

let line = 0;
/** A Sysmon process creation of `image` on `host` at `time` (seconds), each on its own line of one file. */
export function proc(time: number, image: string, host = 'wks-1', user = 'alice'): CimEvent {
  line++;
  return {
    dataset: 'sysmon',
    time,
    fields: { vendor_product: 'Microsoft Sysmon', EventID: '1', Image: `C:\\t\\${image}`, dest: host, User: user },
    location: { file: 'sysmon.jsonl', line, offset: line * 100 },
  };
}

/** What a test reads of a finding: group, span, count and the type's measure. */
export function summary(f: Finding): Record<string, unknown> {
  const agg = Object.fromEntries(f.aggregates);
  return { by: Object.fromEntries(f.by), first: f.firstTime, last: f.lastTime, count: f.count, measure: agg.event_count ?? agg.value_count ?? agg.rule_count };
}
