import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadDetections } from '../../../src/rules/escu.js';
import { repoRoot } from '../../helpers/paths.js';
import { sysmonNetwork, sysmonProcess } from '../../helpers/sysmon-json.js';
import { jsonLines, runCli } from '../cli/run-cli.js';

/**
 * ESCU's `Windows WinLogon with Public Network Connection`, copied unchanged into
 * test/fixtures/escu: its subsearch keeps connections `NOT (All_Traffic.dest IN (127.0.0.1,
 * 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 0:0:0:0:0:0:0:1))`, CIDR values Splunk's search
 * tests IP addresses against. Events are Sysmon 1 and 3 as NXLog writes them.
 */
const escuDetections = path.join(repoRoot, 'test', 'fixtures', 'escu', 'detections');
const NAME = 'Windows WinLogon with Public Network Connection';
const winlogon = 'C:\\Windows\\System32\\winlogon.exe';

test("the WinLogon detection's CIDR values load as network tests, its plain values as text", async () => {
  const { detections, errors } = await loadDetections([escuDetections]);
  assert.deepEqual(errors, []);
  const join = detections.find((d) => d.name === NAME)?.output.rowStages.find((s) => s.kind === 'join');
  assert.equal(join?.kind, 'join');
  assert.equal(join.search.plan.dataset, 'Network_Traffic.All_Traffic');
  const text = JSON.stringify(join.search.plan.where);
  for (const network of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']) assert.ok(text.includes(`{"op":"cidr","network":"${network}"}`), network);
  assert.ok(text.includes('"patterns":["127.0.0.1","0:0:0:0:0:0:0:1"]'), text);
});

test('winlogon.exe connecting to a public address fires; to 10.10.10.5 or 172.31.0.9 it does not, with or without the prefilter', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tw-escu-cidr-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'sysmon.jsonl');
  // one winlogon.exe per destination, so each connection joins its own row
  const destinations = ['10.10.10.5', '172.31.0.9', '192.168.255.255', '127.0.0.1', '203.0.113.50'];
  const events = destinations.flatMap((ip, i) => {
    const pid = String(4242 + i);
    const guid = `{00000000-0000-0000-0000-00000000000${i}}`;
    return [sysmonProcess('2026-03-10T12:00:00.000Z', winlogon, 'winlogon.exe', guid, pid), sysmonNetwork(`2026-03-10T12:0${i + 1}:00.000Z`, winlogon, pid, ip)];
  });
  await writeFile(file, events.join('\n') + '\n');
  const outputs = [[], ['--no-prefilter']].map((options) => {
    const r = runCli(['scan', '-q', '-f', 'jsonl', '--no-progress', ...options, '-r', escuDetections, file]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  });
  assert.equal(outputs[1], outputs[0], '--no-prefilter gives the same findings');
  const findings = jsonLines(outputs[0]).filter((f) => f.search_name === NAME);
  assert.deepEqual(findings.map((f) => [f.process_name, f.process_id, f.publicIp]), [['winlogon.exe', '4246', '203.0.113.50']]);
});

test('a CIDR term gives the prefilter no needle: a record holding only an address inside the network is still read', async (t) => {
  // 172.31.0.9 holds no text of 172.16.0.0/12: a needle taken from the pattern would skip it
  const dir = await mkdtemp(path.join(tmpdir(), 'tw-cidr-prefilter-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const rule = path.join(dir, 'rule.yml');
  await writeFile(rule, [
    'name: Connection To A Private Network',
    'id: 5d1a6b6e-2f0e-4a3c-9c61-0c1e4a2b7f10',
    'version: 1',
    "date: '2026-03-10'",
    'author: tunnelwatch tests',
    'type: TTP',
    'data_source:',
    '- Sysmon EventID 3',
    'description: A connection into 172.16.0.0/12 or fd00::/8.',
    "search: '| tstats count from datamodel=Network_Traffic.All_Traffic where All_Traffic.dest IN (172.16.0.0/12, \"fd00::/8\") by All_Traffic.dest | `drop_dm_object_name(All_Traffic)`'",
    'tags:',
    '  analytic_story:',
    '  - Reverse Network Proxy',
    '  asset_type: Endpoint',
    '  mitre_attack_id:',
    '  - T1090',
    '  product:',
    '  - Splunk Enterprise',
    '  security_domain: network',
  ].join('\n') + '\n');
  const file = path.join(dir, 'sysmon.jsonl');
  await writeFile(file, [
    sysmonNetwork('2026-03-10T12:01:00.000Z', winlogon, '4242', '172.31.0.9'),
    sysmonNetwork('2026-03-10T12:02:00.000Z', winlogon, '4242', 'FD12:3456::1'),
    sysmonNetwork('2026-03-10T12:03:00.000Z', winlogon, '4242', '172.32.0.1'),
  ].join('\n') + '\n');
  const outputs = [[], ['--no-prefilter']].map((options) => {
    const r = runCli(['scan', '-q', '-f', 'jsonl', '--no-progress', ...options, '-r', rule, file]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  });
  assert.equal(outputs[1], outputs[0], '--no-prefilter gives the same findings');
  assert.deepEqual(jsonLines(outputs[0]).map((f) => f.dest).sort(), ['172.31.0.9', 'FD12:3456::1']);
});
