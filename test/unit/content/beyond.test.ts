import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { loadDetections } from '../../../src/rules/escu.js';
import { bindCorrelations, loadCorrelations, type BoundCorrelation } from '../../../src/rules/correlation.js';
import type { Finding } from '../../../src/engine/finding.js';
import { Analyzer } from '../../../src/engine/analyzer.js';
import { renderFinding } from '../../../src/engine/render.js';
import { scanInputs } from '../../../src/pipeline/scan.js';
import { RunReport } from '../../../src/diagnostics/run-report.js';
import type { Detection } from '../../../src/rules/detection.js';

// dist/test/unit/content -> repo root
import { repoRoot, sharedData, sharedDataMissing as noSharedData } from '../../helpers/paths.js';
const content = path.join(repoRoot, 'content');
const ownDetections = path.join(content, 'detections', 'tunnelwatch');
const correlationsDir = path.join(content, 'correlations');

async function loadAll(): Promise<{ detections: Detection[]; correlations: BoundCorrelation[] }> {
  const { detections, errors } = await loadDetections([ownDetections]);
  assert.deepEqual(errors, []);
  const loaded = await loadCorrelations([correlationsDir]);
  assert.deepEqual(loaded.errors, []);
  const bound = bindCorrelations(loaded.correlations, detections);
  assert.deepEqual(bound.errors, []);
  return { detections, correlations: bound.correlations };
}

/** Runs detections and correlations over files the way `scan` does; returns every finding. */
async function scan(inputs: string[], detections: Detection[], correlations: BoundCorrelation[] = [], report = new RunReport()): Promise<Finding[]> {
  const analyzer = new Analyzer(detections, correlations);
  await scanInputs(analyzer, inputs, { maxRecordBytes: 4 << 20 }, report);
  return analyzer.findings();
}

test('every tunnelwatch detection and correlation loads without errors, with its own unique id', async () => {
  const { detections, correlations } = await loadAll();
  assert.ok(detections.length >= 20, `only ${detections.length} detections`);
  const correlationFiles = (await readdir(correlationsDir)).filter((f) => f.endsWith('.yml'));
  assert.ok(correlationFiles.length >= 1);
  assert.deepEqual(correlations.map((c) => path.basename(c.file)).sort(), correlationFiles.sort(), 'every correlation file loads and binds');
  const ids = new Set([...detections.map((d) => d.id), ...correlations.map((c) => c.id)]);
  assert.equal(ids.size, detections.length + correlations.length);
  const story = await loadDetections([path.join(content, 'detections')]);
  const storyIds = new Set(story.detections.filter((d) => !d.file.includes(`${path.sep}tunnelwatch${path.sep}`)).map((d) => d.id));
  for (const id of ids) assert.ok(!storyIds.has(id), `id ${id} reuses a story detection id`);
});

test('each detection has a filter macro named after its file, MITRE ids, risk (none for a hunting search), and TP and TN tests', async () => {
  const { detections } = await loadAll();
  for (const d of detections) {
    const snake = path.basename(d.file, '.yml');
    assert.equal(d.output.filterMacro, `${snake}_filter`, d.name);
    assert.ok(d.mitreAttackIds.length > 0, d.name);
    // ESCU gives hunting searches no risk (validate says the same)
    if (d.type === 'Hunting') assert.equal(d.risk, undefined, d.name);
    else assert.ok(d.risk && d.risk.riskObjects.length > 0, d.name);
    const expectations = d.tests.map((t) => t.expected?.findings);
    assert.ok(expectations.some((n) => n !== undefined && n > 0), `${d.name} has no true-positive test`);
    assert.ok(expectations.includes(0), `${d.name} has no true-negative test`);
    for (const t of d.tests) for (const a of t.attackData) assert.ok(existsSync(path.join(content, a.data)), `${d.name}: missing ${a.data}`);
  }
});

test('the detections cover at least 20 distinct tools, and docs/coverage.md lists every one', async () => {
  const tools = new Set<string>();
  for (const file of await readdir(ownDetections)) {
    const yaml = parse(await readFile(path.join(ownDetections, file), 'utf8')) as { tags: { tools?: string[] } };
    for (const tool of yaml.tags.tools ?? []) tools.add(tool);
  }
  assert.ok(tools.size >= 20, `only ${tools.size} tools: ${[...tools].join(', ')}`);
  const coverage = await readFile(path.join(repoRoot, 'docs', 'coverage.md'), 'utf8');
  for (const tool of tools) assert.ok(coverage.includes(`\`${tool}\``), `docs/coverage.md does not mention \`${tool}\``);
});

test('every TP/TN test of every detection and correlation yields its expected number of findings', async () => {
  const { detections, correlations } = await loadAll();
  const cases: Array<{ name: string; det: Detection[]; corr: BoundCorrelation[]; tests: Detection['tests'] }> = [
    ...detections.map((d) => ({ name: d.name, det: [d], corr: [], tests: d.tests })),
    ...correlations.map((c) => ({ name: c.name, det: [], corr: [c], tests: c.tests })),
  ];
  for (const c of cases) {
    for (const t of c.tests) {
      const findings = await scan(t.attackData.map((a) => path.join(content, a.data)), c.det, c.corr);
      assert.equal(findings.length, t.expected?.findings, `${c.name} / ${t.name}`);
    }
  }
});

test('a confirmed-tunnel finding renders with the step detections and carried fields', async () => {
  const { correlations } = await loadAll();
  const dir = path.join(content, 'tests', 'confirmed_tunnel_process_beacon');
  const findings = await scan([path.join(dir, 'windows-sysmon.log')], [], correlations);
  const ngrok = findings.map(renderFinding).find((r) => String(r.process_name).includes('ngrok.exe'));
  assert.ok(ngrok, 'no confirmed ngrok tunnel');
  assert.equal(ngrok.detection_type, 'Correlation');
  assert.deepEqual(ngrok.query, ['connect.ngrok-agent.com']);
  assert.match(String(ngrok.risk_message), /^Confirmed tunnel on wks-fin-07: ngrok\.exe/);
  assert.deepEqual(ngrok.risk_objects.map((o) => o.risk_score), [80, 80]);
});

test('the real tunnelling samples are caught: plink -R RDP tunnel (Sysmon) and netsh portproxy (4688)', { skip: noSharedData }, async () => {
  const { detections, correlations } = await loadAll();
  const plink = await scan([path.join(sharedData, 'tunnel', 'DE_sysmon-3-rdp-tun.evtx')], detections, correlations);
  const names = new Set(plink.map((f) => f.detection.name));
  for (const expected of [
    'SSH Or Plink Reverse Port Forwarding',
    'RDP Tunnel Via Port Forwarding Command Line',
    'RDP Over Loopback Tunnel Network Connection',
    'Confirmed Tunnel - Tunnel Process Reaches Tunnel Service',
  ]) {
    assert.ok(names.has(expected), `${expected} did not fire on the plink sample`);
  }
  const confirmed = plink.filter((f) => f.detection.type === 'Correlation').map(renderFinding);
  assert.equal(confirmed.length, 1);
  assert.deepEqual(confirmed[0].process_name, ['plink.exe']);

  const netsh = await scan([path.join(sharedData, 'tunnel', 'ID4688-netsh-RDP-port-forwarding-abuse.evtx')], detections, correlations);
  const portproxy = netsh.filter((f) => f.detection.name === 'Windows Netsh PortProxy Port Forwarding');
  assert.equal(portproxy.length, 3, 'the abbreviated `netsh I p a v`, `portproxy add` and `portproxy reset` rows');
});

test('no tunnelwatch detection fires on the benign sample sets, except the one real portproxy test in them', { skip: noSharedData }, async () => {
  const { detections, correlations } = await loadAll();
  const sets = ['json-sysmon', 'linux-sysmon', 'evtx-sysmon', 'evtx-security'].map((s) => path.join(sharedData, s));
  const report = new RunReport();
  const findings = (await scan(sets, detections, correlations, report)).map(renderFinding);
  // the sets hold real logons and WFP connections (OTRF), so the loopback RDP, webshell and logon detections were exercised
  for (const source of ['Windows Event Log Security 5156', 'Windows Event Log Security 4624', 'Sysmon EventID 3']) {
    assert.ok((report.eventsByDataSource.get(source) ?? 0) > 0, `the benign sets hold ${source} events`);
  }
  // panache_sysmon_vs_EDRTestingScript.evtx really runs `netsh interface portproxy add/delete` (an EDR test
  // script exercising T1090): a true positive, not noise, seen both on the command line and in the
  // registry key the rule is stored under (set, then deleted)
  const portproxy = new Set(['Windows Netsh PortProxy Port Forwarding', 'Windows PortProxy Registry Key']);
  const unexpected = findings.filter((r) => !(portproxy.has(r.search_name) && r.dest === 'MSEDGEWIN10'));
  assert.deepEqual(unexpected.map((r) => `${r.search_name}: ${String(r.process ?? r.query ?? r.dest)}`), []);
  assert.deepEqual(findings.map((r) => `${r.search_name}: ${String(r.action ?? '')}`).sort(), [
    'Windows Netsh PortProxy Port Forwarding: allowed',
    'Windows Netsh PortProxy Port Forwarding: allowed',
    'Windows PortProxy Registry Key: deleted',
    'Windows PortProxy Registry Key: modified',
  ]);
});

test('the real RDP-tunnel captures: the one loopback 1149 logon is caught, the ten from other hosts and the VSS sample are not', { skip: noSharedData }, async () => {
  const { detections } = await loadAll();
  const rdp = detections.filter((d) => d.name === 'RDP Logon Through A Loopback Tunnel');
  const tunnel = await scan([path.join(sharedData, 'tunnel', 'DE_RDP_Tunneling_TerminalServices-RemoteConnectionManagerOperational_1149.evtx')], rdp);
  const rows = tunnel.map(renderFinding);
  assert.deepEqual(rows.map((r) => [r.src, r.user, r.dest, r.signature_id]), [['127.0.0.1', 'example\\admin01', 'PC01.example.corp', '1149']]);
  assert.deepEqual(rows[0].evidence.map((e) => [e.record, e.event_code]), [[228, '1149']]);
  // 1149 from public addresses (a dirty VSS copy of a real server's log): not a tunnel
  const vss = await scan([path.join(sharedData, 'evtx-edgecases', '2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx')], rdp);
  assert.deepEqual(vss, []);
});

test('the real plink capture: the confirmed tunnel names its server 10.0.2.18:80 from plink\'s own Sysmon 3 connection, kept as evidence', { skip: noSharedData }, async () => {
  const { detections, correlations } = await loadAll();
  const findings = await scan([path.join(sharedData, 'tunnel', 'DE_sysmon-3-rdp-tun.evtx')], detections, correlations);
  const [confirmed] = findings.filter((f) => f.detection.type === 'Correlation').map(renderFinding);
  assert.deepEqual(confirmed.tunnel_server, ['10.0.2.18:80']);
  assert.equal(confirmed.server_count, 1);
  assert.match(String(confirmed.risk_message), / over port 3389 through its server 10\.0\.2\.18:80 within 5 minutes\.$/);
  const server = confirmed.evidence.filter((e) => e.step === 'server');
  assert.deepEqual(server.map((e) => [e.record, e.event_code]), [[1940900, '3']]);
  // the hunting search that step reads lists that one connection, and not plink's loopback leg
  const hunting = findings.filter((f) => f.detection.name === 'SSH Client Outbound Connection').map(renderFinding);
  assert.deepEqual(hunting.map((r) => `${r.process_name} ${r.dest_ip}:${r.dest_port}`), ['plink.exe 10.0.2.18:80']);
});
