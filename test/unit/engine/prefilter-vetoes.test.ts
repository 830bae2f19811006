import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { AnyMapping } from '../../../src/cim/mapping.js';
import { buildPrefilter } from '../../../src/engine/prefilter.js';
import { vetoesOf } from '../../../src/engine/prefilter-vetoes.js';
import { jsonKindProbe } from '../../../src/engine/prefilter-kinds.js';
import { families } from '../../../src/families/registry.js';
import { windowsJsonKind } from '../../../src/families/windows/json-kind.js';
import type { Expr } from '../../../src/rules/search-plan.js';
import { parseSigmaRule } from '../../../src/rules/sigma/rule.js';
import { loadDetections } from '../../../src/rules/escu.js';
import { contentDir } from '../../helpers/paths.js';

const windowsTables = families.normalizer.mappingsOf('windows');
const glob = (field: string, pattern: string): Expr => ({ kind: 'compare', field, op: '=', pattern });
const sysmonWhere = (...terms: Expr[]): Expr => ({ kind: 'and', terms: [glob('vendor_product', 'Microsoft Sysmon'), glob('EventID', '7'), ...terms] });

test('a veto is a top-level AND term reading payload fields the tables copy as they are; not over OR counts as its terms', () => {
  const selection = glob('ImageLoaded', '*\\evil.dll');
  const both: Expr = { kind: 'and', terms: [glob('Image', '*\\a.exe'), glob('ImageLoaded', '*x*')] };
  const filter: Expr = { kind: 'not', term: { kind: 'or', terms: [glob('ImageLoaded', 'C:\\Windows\\System32\\*'), both] } };
  const vetoes = vetoesOf(sysmonWhere(selection, filter), 'sysmon', windowsTables);
  assert.deepEqual(
    vetoes.map((v) => [v.keys, v.fields, v.term]),
    [
      [['ImageLoaded'], ['ImageLoaded'], selection],
      [['ImageLoaded'], ['ImageLoaded'], { kind: 'not', term: glob('ImageLoaded', 'C:\\Windows\\System32\\*') }],
      [['Image', 'ImageLoaded'], ['Image', 'ImageLoaded'], { kind: 'not', term: both }],
    ],
    'the vendor and EventID come from <System> and constants: no veto',
  );
  const five: Expr = { kind: 'or', terms: ['Image', 'ImageLoaded', 'Hashes', 'Company', 'Product'].map((f) => glob(f, 'x')) };
  assert.deepEqual(vetoesOf(sysmonWhere(five), 'sysmon', windowsTables), [], 'a term of more than four fields');
});

test('no veto where a field is computed, left out by a table, read by a keyword, an eval or a field reference', () => {
  // loaded_file is the basename the tables compute from ImageLoaded: its value is not in the record as it is
  assert.deepEqual(vetoesOf(sysmonWhere(glob('loaded_file', 'evil.dll')), 'sysmon', windowsTables), []);
  const keyword: Expr = { kind: 'test', field: null, test: { op: 'glob', tokens: ['x'], cased: false } };
  const evaluated: Expr = { kind: 'eval', value: { kind: 'call', fn: 'isnull', args: [{ kind: 'field', name: 'Image' }] } };
  assert.deepEqual(vetoesOf(sysmonWhere(keyword, evaluated), 'sysmon', windowsTables), []);
  assert.deepEqual(vetoesOf(sysmonWhere({ kind: 'or', terms: [glob('Image', 'x'), glob('loaded_file', 'y')] }), 'sysmon', windowsTables), [], 'one of its fields computed');
  // a field reference reads both fields
  const fieldref: Expr = { kind: 'test', field: 'Image', test: { op: 'fieldref', other: 'ParentImage', position: 'equals', cased: false } };
  assert.deepEqual(vetoesOf(sysmonWhere(fieldref), 'sysmon', windowsTables).map((v) => v.fields), [['Image', 'ParentImage']]);
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

/** a Sigma rule of `category` (windows) around its `detection:` body */
const sigmaRule = (id: string, category: string, detection: string) =>
  `title: Test ${id}\nid: 11111111-2222-4333-8444-55555555555${id}\nstatus: test\nlevel: high\nlogsource:\n    category: ${category}\n    product: windows\ndetection:\n${detection}`;

const sideLoading = sigmaRule(
  '5',
  'image_load',
  `    selection:
        ImageLoaded|endswith:
            - '\\version.dll'
            - '\\wldp.dll'
    filter_main:
        ImageLoaded|contains: 'C:\\Windows\\System32\\'
    condition: selection and not filter_main
`,
);

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

const twoFields = sigmaRule(
  '6',
  'process_creation',
  `    selection_img:
        - Image|endswith: '\\tunnel.exe'
        - OriginalFileName: 'tunnel.exe'
    selection_cli:
        CommandLine|contains: ' --remote '
    condition: all of selection_*
`,
);

test('a term reading two payload fields rules a record out on both values, and decides nothing when one is not certain', () => {
  const loaded = parseSigmaRule('two-fields.yml', twoFields);
  const sysmon = loaded.detections.filter((d) => d.dataSources[0] === 'Sysmon EventID 1');
  assert.equal(sysmon.length, 1);
  const prefilter = buildPrefilter(sysmon);
  assert.ok(prefilter?.mayMatchKind);
  const probe = jsonKindProbe([windowsJsonKind]);
  const passes = (members: string) => {
    const bytes = Buffer.from(`{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational",${members}}`);
    return prefilter.mayMatchKind!(bytes, 0, bytes.length, probe(bytes, 0, bytes.length)!);
  };
  const cli = '"CommandLine":"x --remote y"';
  assert.equal(passes(`"Image":"C:\\\\a\\\\other.exe","OriginalFileName":"other.exe",${cli},"ParentImage":"tunnel.exe"`), false, 'neither the image nor its original name');
  assert.equal(passes(`"Image":"C:\\\\a\\\\other.exe","OriginalFileName":"tunnel.exe",${cli}`), true, 'the original name');
  assert.equal(passes(`"Image":"C:\\\\a\\\\tunnel.exe","OriginalFileName":"-",${cli}`), true, 'the image');
  assert.equal(passes(`"Image":"C:\\\\a\\\\other.exe",${cli},"ParentImage":"tunnel.exe"`), true, 'no original name member: not certain');
});

const security4624 = windowsTables.filter((t) => t.events !== '*' && t.events.includes('4624'));
const rdp1149 = windowsTables.filter((t) => t.events !== '*' && t.events.includes('1149'));
/** the RDP-through-a-loopback-tunnel rule's search (content/detections/tunnelwatch/rdp_logon_through_loopback_tunnel.yml) */
const rdpLogonWhere: Expr = {
  kind: 'and',
  terms: [
    { kind: 'in', field: 'src', patterns: ['127.*', '::1'] },
    { kind: 'or', terms: [glob('signature_id', '1149'), { kind: 'and', terms: [glob('signature_id', '4624'), glob('Logon_Type', '10')] }] },
  ],
};

test('a term reading a field every table of the kind sets to one value and a payload field is a veto holding that value; tables that disagree give none', () => {
  assert.equal(security4624.length, 1, 'one Windows table reads 4624 into Authentication');
  const vetoes = vetoesOf(rdpLogonWhere, 'Authentication.Authentication', security4624);
  assert.deepEqual(
    vetoes.map((v) => [v.keys, v.fields, v.constants]),
    [
      [['IpAddress'], ['src'], []],
      [['LogonType'], ['Logon_Type'], [['signature_id', '4624']]],
    ],
  );
  // over 1149's table too, signature_id is 4624 or 1149 and Logon_Type is in no 1149 record
  assert.deepEqual(vetoesOf(rdpLogonWhere, 'Authentication.Authentication', [...security4624, ...rdp1149]).map((v) => v.fields), []);
});

test('a 4624 logon from loopback is ruled out unparsed when its LogonType is not 10, as the RDP rule reads it, from a JSON line or from decoded EVTX fields', async () => {
  const { detections } = await loadDetections([path.join(contentDir, 'detections', 'tunnelwatch', 'rdp_logon_through_loopback_tunnel.yml')]);
  assert.equal(detections.length, 1);
  const prefilter = buildPrefilter(detections)!;
  const logon = (type: string, address = '127.0.0.1') => `{"EventID":4624,"Channel":"Security","LogonType":"${type}","IpAddress":"${address}","TargetUserName":"bob"}`;
  const json = (text: string) => {
    const bytes = Buffer.from(text);
    const kind = jsonKindProbe([windowsJsonKind])(bytes, 0, bytes.length);
    assert.ok(kind?.payload, text);
    return prefilter.mayMatchKind!(bytes, 0, bytes.length, kind);
  };
  assert.equal(json(logon('2')), false, 'an interactive logon from loopback');
  assert.equal(json(logon('10')), true, 'an RDP logon from loopback');
  assert.equal(json(logon('10', '10.1.2.3')), false, 'an RDP logon from elsewhere: no literal');
  // EVTX: the kind test reads the fields the record decodes to
  const evtx = (fields: Record<string, string> | undefined) => {
    const bytes = Buffer.from('<Data>127.0.0.1</Data>', 'utf16le');
    const payload = fields && (() => (key: string) => fields[key]);
    return prefilter.mayMatchKindUtf16!(bytes, 0, bytes.length, { family: 'windows', system: { EventID: '4624' }, ...(payload && { payload }) });
  };
  assert.equal(evtx({ LogonType: '2', IpAddress: '127.0.0.1' }), false);
  assert.equal(evtx({ LogonType: '10', IpAddress: '127.0.0.1' }), true);
  assert.equal(evtx({ IpAddress: '127.0.0.1' }), true, 'no LogonType: not certain');
  assert.equal(evtx(undefined), true, 'without the fields only the literals decide');
});
