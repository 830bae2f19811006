import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { CimEvent } from '../../../src/cim/model.js';
import { compilePredicate, type Predicate } from '../../../src/engine/predicate.js';
import { buildPrefilter } from '../../../src/engine/prefilter.js';
import { jsonKindProbe } from '../../../src/engine/prefilter-kinds.js';
import { families } from '../../../src/families/registry.js';
import { windowsJsonKind } from '../../../src/families/windows/json-kind.js';
import type { Detection } from '../../../src/rules/detection.js';
import { loadRules } from '../../../src/rules/rule-languages.js';
import type { RecordKind } from '../../../src/sources/source.js';
import { parsedLine, splicedLine } from '../../helpers/json-lines.js';
import { sharedData, sharedDataMissing } from '../../helpers/paths.js';

const categories = ['windows/process_creation', 'windows/dns_query', 'windows/network_connection', 'windows/image_load', 'linux/process_creation'];

/** the events a line becomes, as the scan makes them */
function eventsOf(line: string): CimEvent[] {
  const event = parsedLine(line);
  return event === null ? [] : families.normalizer.normalize({ ...event, location: { file: 'x', offset: 0 } });
}

test('SigmaHQ rules on real image loads and mutations of them: no record the vetoes rule out is one some rule matches', { skip: sharedDataMissing }, async (t) => {
  const loaded = await loadRules(categories.map((c) => path.join(sharedData, 'sigma-rules', 'rules', c)));
  const prefilter = buildPrefilter(loaded.detections);
  assert.ok(prefilter?.usesKind);
  const rulesOf = new Map<string, Array<{ d: Detection; matches: Predicate }>>();
  for (const d of loaded.detections) rulesOf.set(d.plan.dataset, [...(rulesOf.get(d.plan.dataset) ?? []), { d, matches: compilePredicate(d.plan.where) }]);
  const probe = jsonKindProbe([windowsJsonKind]);
  const verdict = (line: string, kind: RecordKind | undefined) => {
    const bytes = Buffer.from(line);
    return prefilter.mayMatchBytes(bytes, 0, bytes.length, kind);
  };
  let vetoed = 0;
  const check = (line: string) => {
    const kind = probe(Buffer.from(line), 0, Buffer.byteLength(line));
    if (kind === undefined || verdict(line, kind)) return;
    // ruled out by its literals alone (other tests cover those), or by the vetoes
    if (!verdict(line, { family: kind.family, system: kind.system })) return;
    vetoed++;
    for (const event of eventsOf(line)) {
      for (const { d, matches } of rulesOf.get(event.dataset) ?? []) assert.ok(!matches(event.fields), `ruled out, yet ${path.basename(d.file)} matches: ${line.slice(0, 400)}`);
    }
  };
  // every image load, process creation and network connection of the first lines of two captures
  const lines = ['otrf-empire-dcom-shellwindows', 'otrf-covenant-dcom-iertutil'].flatMap((f) =>
    gunzipSync(readFileSync(path.join(sharedData, 'json-sysmon', `${f}.jsonl.gz`)))
      .toString('utf8')
      .split('\n')
      .slice(0, 6000)
      .filter((line) => /"EventID":(7|1|3),/.test(line)),
  );
  for (const line of lines) check(line);
  const real = vetoed;
  t.diagnostic(`${lines.length} real lines, ${real} ruled out by vetoes`);
  assert.ok(real > lines.length / 3, `only ${real} of ${lines.length} real lines ruled out by vetoes: the check proves little`);
  // field values from rules' selections and filters, members doubled, objects nested, at random places
  const pieces = [
    ',"ImageLoaded":"C:\\\\Users\\\\Public\\\\version.dll"', ',"ImageLoaded":"C:\\\\Windows\\\\System32\\\\version.dll"', '"Image":"C:\\\\Windows\\\\Temp\\\\x.exe",',
    'C:\\\\Users\\\\Public\\\\', 'C:\\\\Windows\\\\System32\\\\', '\\\\wldp.dll', ',"Data":{"a":1}', '"', '\\\\', ',',
  ];
  fc.assert(
    fc.property(splicedLine(lines, pieces), (line) => check(line)),
    { numRuns: 3000 },
  );
  t.diagnostic(`${vetoed - real} mutated lines ruled out by vetoes`);
  assert.ok(vetoed - real > 300, `only ${vetoed - real} mutated lines ruled out by vetoes`);
});
