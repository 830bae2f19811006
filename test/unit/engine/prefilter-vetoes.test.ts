import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AnyMapping } from '../../../src/cim/mapping.js';
import { buildPrefilter } from '../../../src/engine/prefilter.js';
import { vetoesOf } from '../../../src/engine/prefilter-vetoes.js';
import { jsonKindProbe } from '../../../src/engine/prefilter-kinds.js';
import { families } from '../../../src/families/registry.js';
import { windowsJsonKind } from '../../../src/families/windows/json-kind.js';
import type { Expr } from '../../../src/rules/search-plan.js';
import { parseSigmaRule } from '../../../src/rules/sigma/rule.js';

const windowsTables = families.normalizer.mappingsOf('windows');
const glob = (field: string, pattern: string): Expr => ({ kind: 'compare', field, op: '=', pattern });
const sysmonWhere = (...terms: Expr[]): Expr => ({ kind: 'and', terms: [glob('vendor_product', 'Microsoft Sysmon'), glob('EventID', '7'), ...terms] });

test('a veto is a top-level AND term reading one payload field the tables copy as it is; not over OR counts as its terms', () => {
  const selection = glob('ImageLoaded', '*\\evil.dll');
  const filter: Expr = { kind: 'not', term: { kind: 'or', terms: [glob('ImageLoaded', 'C:\\Windows\\System32\\*'), { kind: 'and', terms: [glob('Image', '*\\a.exe'), glob('ImageLoaded', '*x*')] }] } };
  const vetoes = vetoesOf(sysmonWhere(selection, filter), 'sysmon', windowsTables);
  assert.deepEqual(
    vetoes.map((v) => [v.key, v.field, v.term]),
    [
      ['ImageLoaded', 'ImageLoaded', selection],
      ['ImageLoaded', 'ImageLoaded', { kind: 'not', term: glob('ImageLoaded', 'C:\\Windows\\System32\\*') }],
    ],
    'the vendor and EventID come from <System> and constants; the AND of two fields is no veto',
  );
});

test('no veto where a field is computed, left out by a table, read by a keyword, an eval or a field reference', () => {
  // loaded_file is the basename the tables compute from ImageLoaded: its value is not in the record as it is
  assert.deepEqual(vetoesOf(sysmonWhere(glob('loaded_file', 'evil.dll')), 'sysmon', windowsTables), []);
  const keyword: Expr = { kind: 'test', field: null, test: { op: 'glob', tokens: ['x'], cased: false } };
  const fieldref: Expr = { kind: 'test', field: 'Image', test: { op: 'fieldref', other: 'ParentImage', position: 'equals', cased: false } };
  const evaluated: Expr = { kind: 'eval', value: { kind: 'call', fn: 'isnull', args: [{ kind: 'field', name: 'Image' }] } };
  assert.deepEqual(vetoesOf(sysmonWhere(keyword, fieldref, evaluated), 'sysmon', windowsTables), []);
  // a table of the dataset that gives the field by a rule of its own, or not at all
  const computed = { dataset: 'sysmon', family: 'sysmon', events: '*', fields: { Image: (raw: { data: Record<string, string> }) => raw.data.Image?.toLowerCase() } } as unknown as AnyMapping;
  const leavesOut = { dataset: 'sysmon', family: 'sysmon', events: '*', fields: {} } as unknown as AnyMapping;
  const copies = { dataset: 'sysmon', family: 'sysmon', events: '*', fields: { Image: 'Image' } } as unknown as AnyMapping;
  const copiesOther = { dataset: 'sysmon', family: 'sysmon', events: '*', fields: { Image: 'NewProcessName' } } as unknown as AnyMapping;
  const term = glob('Image', '*\\a.exe');
  assert.equal(vetoesOf(term, 'sysmon', [copies]).length, 1);
  assert.deepEqual(vetoesOf(term, 'sysmon', [copies, computed]), []);
  assert.deepEqual(vetoesOf(term, 'sysmon', [copies, leavesOut]), []);
  assert.deepEqual(vetoesOf(term, 'sysmon', [copies, copiesOther]), [], 'tables copying it from different fields');
  assert.deepEqual(vetoesOf(term, 'Endpoint.Processes', [copies]), [], 'no table of the dataset');
});

const sideLoading = `title: Side Loading Test
id: 11111111-2222-4333-8444-555555555555
status: test
level: high
logsource:
    category: image_load
    product: windows
detection:
    selection:
        ImageLoaded|endswith:
            - '\\version.dll'
            - '\\wldp.dll'
    filter_main:
        ImageLoaded|contains: 'C:\\Windows\\System32\\'
    condition: selection and not filter_main
`;

test('a record holding a rule\'s literals whose field fails the rule\'s filter is ruled out unparsed, and only where the reader is sure', () => {
  const loaded = parseSigmaRule('side-loading.yml', sideLoading);
  assert.deepEqual(loaded.notLoaded, []);
  const prefilter = buildPrefilter(loaded.detections);
  assert.ok(prefilter?.mayMatchKind);
  const probe = jsonKindProbe([windowsJsonKind]);
  const line = (members: string) => `{"EventID":7,"Channel":"Microsoft-Windows-Sysmon/Operational",${members}}`;
  const passes = (text: string, withPayload = true) => {
    const bytes = Buffer.from(text);
    const kind = probe(bytes, 0, bytes.length);
    assert.ok(kind, text);
    return prefilter.mayMatchKind!(bytes, 0, bytes.length, withPayload ? kind : { family: kind.family, system: kind.system });
  };
  const system32 = line('"Image":"C:\\\\Program Files\\\\a.exe","ImageLoaded":"C:\\\\Windows\\\\System32\\\\version.dll"');
  assert.equal(passes(system32), false, 'loaded from System32: the filter rules it out');
  assert.equal(passes(system32, false), true, 'without the payload reader only the literals decide');
  assert.equal(passes(line('"ImageLoaded":"C:\\\\Users\\\\x\\\\version.dll"')), true, 'side-loaded: it may match');
  assert.equal(passes(line('"ImageLoaded":"C:\\\\Users\\\\x\\\\version.dll.bak","Description":"\\\\version.dll"')), false, 'the literal is elsewhere: the selection rules it out');
  assert.equal(passes(line('"ImageLoaded":"C:\\\\Windows\\\\System32\\\\version.dll","ImageLoaded":"C:\\\\Users\\\\x\\\\version.dll"')), true, 'two members: the reader is not sure');
  assert.equal(passes(line('"ImageLoaded":"C:\\\\Windows\\\\System32\\\\version.dll","Data":{"a":1}')), true, 'a nested object: the reader is not sure');
});
