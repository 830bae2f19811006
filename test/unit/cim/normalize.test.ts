import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dataSourceOf, knownDataSources, normalize } from '../../../src/families/registry.js';
import type { RawEvent } from '../../../src/sources/source.js';
import { dnsRequest, linuxSysmon1, linuxSysmon3, linuxSysmon5, processRollup2, security4688, sysmon1, sysmon22, sysmon3, sysmon7 } from './raw-events.js';

const location = { file: 'x', line: 1 };

function windows(system: Record<string, string>, data: Record<string, string> = {}): RawEvent {
  return { family: 'windows', system, data, location };
}

test('dataSourceOf names each event by its ESCU data_source', () => {
  assert.equal(dataSourceOf(sysmon1()), 'Sysmon EventID 1');
  assert.equal(dataSourceOf(sysmon3()), 'Sysmon EventID 3');
  assert.equal(dataSourceOf(sysmon7()), 'Sysmon EventID 7');
  assert.equal(dataSourceOf(sysmon22()), 'Sysmon EventID 22');
  assert.equal(dataSourceOf(security4688()), 'Windows Event Log Security 4688');
  assert.equal(dataSourceOf(processRollup2()), 'CrowdStrike ProcessRollup2');
  assert.equal(dataSourceOf(dnsRequest()), 'CrowdStrike DnsRequest');
  assert.equal(dataSourceOf(linuxSysmon1()), 'Sysmon for Linux EventID 1');
  assert.equal(dataSourceOf(linuxSysmon3()), 'Sysmon for Linux EventID 3');
  assert.equal(dataSourceOf(linuxSysmon5('/bin/x')), 'Sysmon for Linux EventID 5');
  const registry = sysmon7();
  registry.system.EventID = '13';
  assert.equal(dataSourceOf(registry), 'Sysmon EventID 13');
});

test('events of other channels and CrowdStrike events are named but not mapped', () => {
  const service = windows({ Provider: 'Service Control Manager', Channel: 'System', EventID: '7045' });
  assert.equal(dataSourceOf(service), 'Windows Event Log System 7045');
  assert.deepEqual(normalize(service), []);
  const logon = windows({ Provider: 'Microsoft-Windows-Security-Auditing', Channel: 'Security', EventID: '4625' });
  assert.equal(dataSourceOf(logon), 'Windows Event Log Security 4625');
  assert.deepEqual(normalize(logon), []);
  const netConn = processRollup2({ event_simpleName: 'NetworkConnectIP4' });
  assert.equal(dataSourceOf(netConn), 'CrowdStrike NetworkConnectIP4');
  assert.deepEqual(normalize(netConn), []);
});

test('events with no EventID, event_simpleName or channel yield [] and no data source', () => {
  const bare = windows({});
  assert.deepEqual(normalize(bare), []);
  assert.equal(dataSourceOf(bare), undefined);
  const noChannel = windows({ Provider: 'Something', EventID: '1' });
  assert.deepEqual(normalize(noChannel), []);
  assert.equal(dataSourceOf(noChannel), undefined);
  const noName: RawEvent = { family: 'crowdstrike', system: {}, data: { timestamp: '1' }, location };
  assert.deepEqual(normalize(noName), []);
  assert.equal(dataSourceOf(noName), undefined);
});

test('Sysmon is recognised by provider alone (forwarded events) or by channel alone, any case', () => {
  const forwarded = sysmon1();
  forwarded.system.Channel = 'ForwardedEvents';
  assert.equal(normalize(forwarded).length, 2);
  const channelOnly = sysmon1();
  delete channelOnly.system.Provider;
  channelOnly.system.Channel = 'microsoft-windows-sysmon/operational';
  assert.equal(normalize(channelOnly).length, 2);
  assert.equal(dataSourceOf(channelOnly), 'Sysmon EventID 1');
});

test('non-string raw values (a careless source) do not make normalize throw', () => {
  const raw = sysmon1();
  (raw.data as Record<string, unknown>).ProcessId = 2296;
  (raw.data as Record<string, unknown>).Hashes = null;
  const events = normalize(raw);
  const processes = events.find((event) => event.dataset === 'Endpoint.Processes');
  assert.equal(processes?.fields.process_id, '2296');
  assert.ok(!('process_hash' in (processes?.fields ?? {})));
});

test('knownDataSources lists every mapped data source and other Sysmon EventIDs', () => {
  for (const name of [
    'Sysmon EventID 1', 'Sysmon EventID 3', 'Sysmon EventID 7', 'Sysmon EventID 22', 'Sysmon EventID 13',
    'Windows Event Log Security 4688', 'CrowdStrike ProcessRollup2', 'CrowdStrike DnsRequest',
    'Sysmon for Linux EventID 1', 'Sysmon for Linux EventID 3', 'Sysmon for Linux EventID 11',
  ]) {
    assert.ok(knownDataSources.includes(name), name);
  }
  assert.equal(new Set(knownDataSources).size, knownDataSources.length, 'no duplicates');
  assert.ok(!knownDataSources.includes('Windows Event Log System 7045'));
});

test('normalize builds only the requested datasets', () => {
  const onlyProcesses = normalize(sysmon1(), new Set(['Endpoint.Processes'] as const));
  assert.deepEqual(onlyProcesses.map((event) => event.dataset), ['Endpoint.Processes']);
  assert.ok(Number.isFinite(onlyProcesses[0].time));
  assert.deepEqual(normalize(sysmon7(), new Set(['Endpoint.Processes'] as const)), []);
});
