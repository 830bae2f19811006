import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Analyzer } from '../../../src/engine/analyzer.js';
import { canonicalHost, canonicalUser, EntityResolver } from '../../../src/engine/entities.js';
import { CapTally } from '../../../src/diagnostics/cap-tally.js';
import type { CimEvent } from '../../../src/cim/model.js';
import { jsonLines, runCli } from '../cli/run-cli.js';

test('hosts fold to one lower-cased short name; addresses stay whole', () => {
  for (const spelling of ['SRV-APP-02', 'srv-app-02', 'srv-app-02.acme.example', 'SRV-APP-02.ACME.EXAMPLE.']) assert.equal(canonicalHost(spelling), 'srv-app-02');
  assert.equal(canonicalHost('10.1.2.3'), '10.1.2.3');
  assert.equal(canonicalHost('fe80::1'), 'fe80::1');
});

test('well-known SIDs and their account names are one user; other users are case-folded', () => {
  for (const spelling of ['S-1-5-18', 'SYSTEM', 'NT AUTHORITY\\SYSTEM', 'nt authority\\system', 'LocalSystem']) assert.equal(canonicalUser(spelling), 'NT AUTHORITY\\SYSTEM');
  assert.equal(canonicalUser('S-1-5-20'), 'NT AUTHORITY\\NETWORK SERVICE');
  assert.equal(canonicalUser('ACME\\M.Alvarez'), 'acme\\m.alvarez');
});

test('an agent id is its host once an event names both; a bare user joins its one domain, not an ambiguous one', () => {
  const entities = new EntityResolver();
  const aid = '3f9d27c0b1e84a56a7c2d0e9f8b61c45';
  assert.equal(entities.canonical('system', aid), aid, 'unknown agent: the id itself');
  entities.observeAgent(aid.toUpperCase(), 'SRV-APP-02.acme.example');
  assert.equal(entities.canonical('system', aid), 'srv-app-02');
  entities.observeUser('ACME\\svc_deploy');
  assert.equal(entities.canonical('user', 'svc_deploy'), 'acme\\svc_deploy');
  entities.observeUser('WKS-01\\Administrator');
  entities.observeUser('ACME\\Administrator');
  assert.equal(entities.canonical('user', 'administrator'), 'administrator', 'two domains: the bare name stays apart');
  assert.equal(entities.canonical('other', 'Mixed.Case'), 'Mixed.Case', 'other risk object types are kept as written');
});

test('what one analyzer learnt of entities reaches another through its partial state', () => {
  const naming: CimEvent = {
    dataset: 'Endpoint.Processes',
    time: 1,
    fields: { dest: 'SRV-APP-02', user: 'ACME\\svc_deploy' },
    location: { file: 'fdr.json', line: 1 },
    raw: { family: 'crowdstrike', system: {}, data: { aid: '3f9d27c0b1e84a56a7c2d0e9f8b61c45', ComputerName: 'SRV-APP-02' }, location: { file: 'fdr.json', line: 1 } },
  };
  const worker = new Analyzer([], []);
  worker.observe(naming);
  const merged = new Analyzer([], []);
  merged.merge(JSON.parse(JSON.stringify(worker.partials())));
  assert.equal(merged.entities.canonical('system', '3f9d27c0b1e84a56a7c2d0e9f8b61c45'), 'srv-app-02');
  assert.equal(merged.entities.canonical('user', 'svc_deploy'), 'acme\\svc_deploy');
});

test('the risk summary over examples/ has one row per real host and user, the spellings as aliases; incidents come by score', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-entities-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const riskFile = path.join(dir, 'risk.jsonl');
  const scan = runCli(['scan', '-q', '-f', 'jsonl', '--risk-out', riskFile, 'examples/']);
  assert.equal(scan.status, 0, scan.stderr);
  const rows = jsonLines(runCli(['risk', '-f', 'jsonl', riskFile]).stdout);
  assert.deepEqual(rows.map((r) => `${r.risk_object_type} ${r.risk_object}`).sort(), [
    'system build-lnx-07', 'system srv-app-02', 'system wks-dev-031', 'system wks-fin-014',
    'user NT AUTHORITY\\SYSTEM', 'user acme\\j.okafor', 'user acme\\m.alvarez', 'user acme\\svc_deploy', 'user deploy',
  ]);
  const server = rows.find((r) => r.risk_object === 'srv-app-02');
  assert.ok((server?.risk_object_aliases as string[]).includes('3f9d27c0b1e84a56a7c2d0e9f8b61c45'), 'the CrowdStrike agent id joined its host');
  assert.ok((server?.risk_object_aliases as string[]).includes('SRV-APP-02.acme.example'));
  const incidents = jsonLines(scan.stdout).filter((r) => r.kind === 'risk_incident');
  assert.ok(incidents.length > 1);
  const scores = incidents.map((i) => i.risk_score as number);
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'incidents sorted by score, highest first');
  assert.equal(new Set(incidents.map((i) => `${i.risk_object_type} ${i.risk_object}`)).size, incidents.length, 'one incident per entity here');
});

test('the resolver keeps at most its cap of names per kind and counts the ones it refused', () => {
  const caps = new CapTally();
  const entities = new EntityResolver(caps, 2);
  for (const user of ['ACME\\a', 'ACME\\b', 'ACME\\c', 'ACME\\d']) entities.observeUser(user);
  assert.equal(entities.canonical('user', 'b'), 'acme\\b');
  assert.equal(entities.canonical('user', 'c'), 'c', 'a name beyond the cap is not learnt');
  assert.deepEqual(caps.overflows(), [{ state: 'entity names', owner: 'entities', cause: 'cap', count: 2 }]);
});
