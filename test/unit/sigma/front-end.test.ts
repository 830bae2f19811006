import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FieldValue } from '../../../src/cim/model.js';
import { compilePredicate } from '../../../src/engine/predicate.js';
import { parseSigmaRule } from '../../../src/rules/sigma/rule.js';

/** A process_creation rule around the given `detection:` body (indented two spaces). */
function rule(detection: string, logsource = '    category: process_creation\n    product: windows'): string {
  return `title: Test Rule\nid: 11111111-2222-4333-8444-555555555555\nstatus: test\nlevel: high\ntags:\n    - attack.command-and-control\n    - attack.t1572\n    - attack.defense_evasion\nlogsource:\n${logsource}\ndetection:\n${detection}\n`;
}

/** the Sysmon detection's predicate over raw Sysmon fields (EventID 1 and the vendor added) */
function sysmonMatcher(detection: string): (fields: Record<string, FieldValue>) => boolean {
  const loaded = parseSigmaRule('rule.yml', rule(detection));
  assert.deepEqual(loaded.notLoaded, []);
  const sysmon = loaded.detections.find((d) => d.dataSources[0] === 'Sysmon EventID 1');
  assert.ok(sysmon, 'no Sysmon detection');
  const matches = compilePredicate(sysmon.plan.where);
  return (fields) => matches({ EventID: '1', vendor_product: 'Microsoft Sysmon', ...fields });
}

function notLoaded(detection: string, logsource?: string): string[] {
  const loaded = parseSigmaRule('rule.yml', rule(detection, logsource));
  assert.equal(loaded.detections.length, 0, 'the rule loaded');
  return loaded.notLoaded.map((e) => `${e.line}:${e.col}: ${e.message}`);
}

describe('Sigma conditions', () => {
  const body = `    sel_a:\n        Image|endswith: '\\a.exe'\n    sel_b:\n        CommandLine|contains: ' -b '\n    filter_x:\n        User: 'SYSTEM'\n    _hidden:\n        CommandLine|contains: 'h'\n`;
  test('and / or / not with parentheses, not binding tightest', () => {
    const m = sysmonMatcher(`${body}    condition: (sel_a or sel_b) and not filter_x`);
    assert.equal(m({ Image: 'C:\\a.exe', User: 'bob' }), true);
    assert.equal(m({ CommandLine: 'x -b y' }), true);
    assert.equal(m({ Image: 'C:\\a.exe', User: 'system' }), false);
    assert.equal(m({ Image: 'C:\\c.exe' }), false);
  });
  test('1 of sel_* is an OR, all of sel_* an AND', () => {
    assert.equal(sysmonMatcher(`${body}    condition: 1 of sel_*`)({ CommandLine: 'x -b y' }), true);
    const all = sysmonMatcher(`${body}    condition: all of sel_*`);
    assert.equal(all({ CommandLine: 'x -b y' }), false);
    assert.equal(all({ Image: 'C:\\A.EXE', CommandLine: 'x -b y' }), true);
  });
  test('them leaves out identifiers starting with an underscore', () => {
    const m = sysmonMatcher(`${body}    condition: all of them`);
    assert.equal(m({ Image: 'C:\\a.exe', CommandLine: 'x -b y', User: 'SYSTEM' }), true);
  });
  test('a list of conditions is their OR', () => {
    const m = sysmonMatcher(`${body}    condition:\n        - sel_a\n        - sel_b`);
    assert.equal(m({ CommandLine: 'x -b y' }), true);
  });
  test('condition errors point at the condition column', () => {
    assert.deepEqual(notLoaded(`${body}    condition: sel_a and nope`), ["21:26: detection.condition: no search identifier 'nope' in detection (have: sel_a, sel_b, filter_x, _hidden)"]);
    assert.match(notLoaded(`${body}    condition: sel_a | count() > 5`)[0], /^21:22: .*correlation rule/);
    assert.match(notLoaded(`${body}    condition: 1 of zzz*`)[0], /^21:21: .*'zzz\*' matches no search identifier/);
  });
});

describe('Sigma modifiers', () => {
  test('contains / startswith / endswith, case-insensitive; all makes a list an AND', () => {
    const m = sysmonMatcher(`    sel:\n        CommandLine|contains|all:\n            - 'alpha'\n            - 'beta'\n        Image|startswith: 'C:\\Tools\\'\n    condition: sel`);
    assert.equal(m({ CommandLine: 'x ALPHA y Beta', Image: 'c:\\tools\\t.exe' }), true);
    assert.equal(m({ CommandLine: 'x alpha y', Image: 'c:\\tools\\t.exe' }), false);
  });
  test('wildcards * and ?, and escaped \\* is a plain star', () => {
    const m = sysmonMatcher(`    sel:\n        CommandLine: 'a?c*\\*'\n    condition: sel`);
    assert.equal(m({ CommandLine: 'abc then *' }), true);
    assert.equal(m({ CommandLine: 'abbc then *' }), false);
    assert.equal(m({ CommandLine: 'abc then' }), false);
  });
  test('windash matches -, /, en dash, em dash and horizontal bar for a switch', () => {
    const m = sysmonMatcher(`    sel:\n        CommandLine|windash|contains: ' -enc '\n    condition: sel`);
    for (const dash of ['-', '/', '\u2013', '\u2014', '\u2015']) assert.equal(m({ CommandLine: `powershell ${dash}enc AAA` }), true, dash);
    assert.equal(m({ CommandLine: 'powershell +enc AAA' }), false);
  });
  test('re with i, m, s flags is a linear-time regular expression; cased re is case-sensitive', () => {
    assert.equal(sysmonMatcher(`    sel:\n        CommandLine|re: 'ab+c'\n    condition: sel`)({ CommandLine: 'xABBC' }), false);
    assert.equal(sysmonMatcher(`    sel:\n        CommandLine|re|i: 'ab+c'\n    condition: sel`)({ CommandLine: 'xABBC' }), true);
    assert.equal(sysmonMatcher(`    sel:\n        CommandLine|re|s: 'a.b'\n    condition: sel`)({ CommandLine: 'a\nb' }), true);
    assert.equal(sysmonMatcher(`    sel:\n        CommandLine|re|m: '^b$'\n    condition: sel`)({ CommandLine: 'a\nb' }), true);
    assert.match(notLoaded(`    sel:\n        CommandLine|re: '(a)\\1'\n    condition: sel`)[0], /re: not a linear-time regular expression/);
  });
  test('cidr over IPv4 and IPv6', () => {
    const loaded = parseSigmaRule('r.yml', rule(`    sel:\n        DestinationIp|cidr:\n            - '10.0.0.0/8'\n            - 'fe80::/10'\n    condition: sel`, '    category: network_connection\n    product: windows'));
    const m = compilePredicate(loaded.detections[0].plan.where);
    const at = (ip: string) => m({ EventID: '3', vendor_product: 'Microsoft Sysmon', DestinationIp: ip });
    assert.deepEqual(['10.1.2.3', '11.0.0.1', 'fe80::1', 'fe00::1'].map(at), [true, false, true, false]);
  });
  test('base64, base64offset and utf16le (wide) encode the value', () => {
    const plain = sysmonMatcher(`    sel:\n        CommandLine|base64|contains: 'hello'\n    condition: sel`);
    assert.equal(plain({ CommandLine: `x ${Buffer.from('hello').toString('base64')} y` }), true);
    const offset = sysmonMatcher(`    sel:\n        CommandLine|base64offset|contains: 'http://'\n    condition: sel`);
    for (const prefix of ['', 'a', 'ab']) assert.equal(offset({ CommandLine: Buffer.from(`${prefix}http://x`).toString('base64') }), true, prefix);
    const wide = sysmonMatcher(`    sel:\n        CommandLine|wide|base64offset|contains: 'IEX'\n    condition: sel`);
    for (const prefix of ['', 'a', 'ab']) assert.equal(wide({ CommandLine: Buffer.from(`${prefix}IEX (x)`, 'utf16le').toString('base64') }), true, prefix);
  });
  test('exists, null, neq, cased, numeric comparisons and fieldref', () => {
    assert.equal(sysmonMatcher(`    sel:\n        ParentUser|exists: true\n    condition: sel`)({}), false);
    assert.equal(sysmonMatcher(`    sel:\n        ParentUser|exists: false\n    condition: sel`)({}), true);
    assert.equal(sysmonMatcher(`    sel:\n        ParentUser: null\n    condition: sel`)({ ParentUser: 'x' }), false);
    assert.equal(sysmonMatcher(`    sel:\n        ParentUser: null\n    condition: sel`)({}), true);
    assert.equal(sysmonMatcher(`    sel:\n        User|neq: 'SYSTEM'\n    condition: sel`)({ User: 'system' }), false);
    assert.equal(sysmonMatcher(`    sel:\n        User|cased: 'SYSTEM'\n    condition: sel`)({ User: 'system' }), false);
    const big = sysmonMatcher(`    sel:\n        TerminalSessionId|gte: 2\n    condition: sel`);
    assert.deepEqual(['1', '2', '0x10', 'n/a'].map((v) => big({ TerminalSessionId: v })), [false, true, true, false]);
    const same = sysmonMatcher(`    sel:\n        ParentImage|fieldref: Image\n    condition: sel`);
    assert.equal(same({ Image: 'C:\\A.exe', ParentImage: 'c:\\a.exe' }), true);
    assert.equal(same({ Image: 'C:\\A.exe', ParentImage: 'c:\\b.exe' }), false);
  });
  test('keywords match inside any field value', () => {
    const m = sysmonMatcher(`    keywords:\n        - 'mimikatz'\n    condition: keywords`);
    assert.equal(m({ CommandLine: 'run MimiKatz.exe' }), true);
    assert.equal(m({ CommandLine: 'run notepad' }), false);
  });
  test('a YAML alias bomb is a located load error at the first alias, not a stack trace or an expanded document', () => {
    const bomb = ['x0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) bomb.push(`x${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const loaded = parseSigmaRule('bomb.yml', `${rule(`    sel:\n        Image|endswith: '\\a.exe'\n    condition: sel`)}${bomb.join('\n')}\n`);
    assert.equal(loaded.detections.length, 0);
    // the rule's 15 lines, then the bomb: its first alias is on line 17, column 10
    assert.deepEqual(loaded.notLoaded.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`), ['bomb.yml:17:10: YAML: Excessive alias count indicates a resource exhaustion attack']);
  });
  test('a YAML document that is not a map is a load error, not a crash', () => {
    const loaded = parseSigmaRule('list.yml', '- detection: x\n- logsource: y\n');
    assert.deepEqual(loaded.notLoaded.map((e) => `${e.line}:${e.col}: ${e.message}`), ['1:1: a Sigma rule is a YAML map (title, logsource, detection...)']);
  });
  test('an unknown modifier is a load error at its key', () => {
    assert.deepEqual(notLoaded(`    sel:\n        Image|sideways: 'x'\n    condition: sel`), ["14:25: sel.Image|sideways: modifier 'sideways' is not supported"]);
  });
});

describe('Sigma log source routing fails closed', () => {
  test('process_creation runs on Sysmon 1, Security 4688 and CrowdStrike when the fields exist', () => {
    const loaded = parseSigmaRule('r.yml', rule(`    sel:\n        Image|endswith: '\\ngrok.exe'\n        CommandLine|contains: ' tcp '\n    condition: sel`));
    assert.deepEqual(loaded.detections.map((d) => d.dataSources[0]), ['Sysmon EventID 1', 'Windows Event Log Security 4688', 'CrowdStrike ProcessRollup2']);
    const security = loaded.detections[1];
    assert.equal(compilePredicate(security.plan.where)({ vendor_product: 'Microsoft Windows', process_path: 'C:\\x\\ngrok.exe', process: 'ngrok tcp 22' }), true);
  });
  test('a field a source lacks under `not` keeps the rule off that source, and the report says so', () => {
    const loaded = parseSigmaRule('r.yml', rule(`    sel:\n        Image|endswith: '\\ngrok.exe'\n    filter:\n        Hashes|contains: 'ABC'\n    condition: sel and not filter`));
    assert.deepEqual(loaded.detections.map((d) => d.dataSources[0]), ['Sysmon EventID 1']);
    assert.deepEqual(loaded.notRun.map((e) => `${e.line}:${e.col}: ${e.message}`), [
      '16:26: not run on Windows Event Log Security 4688: it cannot provide field Hashes',
      '16:26: not run on CrowdStrike ProcessRollup2: it cannot provide field Hashes',
    ]);
  });
  test('an OR branch needing a missing field is dropped as false on that source', () => {
    const loaded = parseSigmaRule('r.yml', rule(`    sel:\n        - Image|endswith: '\\netsh.exe'\n        - OriginalFileName: 'netsh.exe'\n    condition: sel`));
    const security = loaded.detections.find((d) => d.dataSources[0] === 'Windows Event Log Security 4688');
    assert.ok(security);
    assert.equal(compilePredicate(security.plan.where)({ vendor_product: 'Microsoft Windows', process_path: 'C:\\Windows\\netsh.exe' }), true);
  });
  test('an unrouted logsource is not loaded, with the reason at logsource', () => {
    assert.match(notLoaded(`    sel:\n        x: 1\n    condition: sel`, '    product: windows\n    service: security')[0], /^10:5: logsource service 'security' is not routed/);
  });
});

describe('Sigma findings metadata', () => {
  test('title, id, level, status, tags, ATT&CK techniques and tactics (old and new names), risk from level', () => {
    const d = parseSigmaRule('r.yml', rule(`    sel:\n        Image|endswith: '\\ngrok.exe'\n    condition: sel`)).detections[0];
    assert.equal(d.name, 'Test Rule');
    assert.equal(d.ruleId, '11111111-2222-4333-8444-555555555555');
    assert.equal(d.type, 'TTP');
    assert.deepEqual(d.mitreAttackIds, ['T1572']);
    assert.deepEqual(d.columns, {
      level: 'high',
      status: 'test',
      tags: ['attack.command-and-control', 'attack.t1572', 'attack.defense_evasion'],
      mitre_tactic: ['command-and-control', 'defense-evasion'],
      log_source: 'Sysmon EventID 1',
    });
    assert.deepEqual(d.risk?.riskObjects, [{ field: 'dest', type: 'system', score: 75 }]);
  });
});
