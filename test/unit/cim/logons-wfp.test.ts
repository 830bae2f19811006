import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dataSourceOf, normalize } from '../../../src/families/registry.js';
import type { RawEvent } from '../../../src/sources/source.js';
import { fieldsOf } from './pick.js';

/**
 * SYNTHETIC events, built from Microsoft's documented schemas ("4624(S): An account was
 * successfully logged on", "5156(S): The Windows Filtering Platform has permitted a connection",
 * TerminalServices-RemoteConnectionManager 1149's UserData Param1-3): no capture in ../shared/data
 * holds a 4624 of logon type 10 or a 5156 to loopback 3389. The real 1149 capture and the real
 * OTRF 5156 events are checked in test/unit/content/tunnel-evidence.test.ts.
 */
const location = { file: 'documented.xml', line: 1 };

const windowsEvent = (system: Record<string, string>, data: Record<string, string>): RawEvent => ({
  family: 'windows',
  system: { TimeCreated: '2026-03-04T10:51:02.0000003Z', EventRecordID: '81201', Computer: 'srv-app-02', ...system },
  data,
  location,
});

const security = (eventId: string, data: Record<string, string>) =>
  windowsEvent({ Provider: 'Microsoft-Windows-Security-Auditing', Channel: 'Security', EventID: eventId }, data);

const logon4624 = (data: Record<string, string> = {}) =>
  security('4624', {
    SubjectUserSid: 'S-1-5-18', SubjectUserName: 'SRV-APP-02$', SubjectDomainName: 'CORP', SubjectLogonId: '0x3e7',
    TargetUserSid: 'S-1-5-21-3623811015-3361044348-30300820-1013', TargetUserName: 'alice', TargetDomainName: 'CORP',
    TargetLogonId: '0x5a1f3c', LogonType: '10', LogonProcessName: 'User32 ', AuthenticationPackageName: 'Negotiate',
    WorkstationName: 'SRV-APP-02', ProcessName: 'C:\\Windows\\System32\\svchost.exe', IpAddress: '127.0.0.1', IpPort: '49711',
    ...data,
  });

const wfp5156 = (data: Record<string, string> = {}) =>
  security('5156', {
    ProcessID: '5388', Application: '\\device\\harddiskvolume2\\users\\alice\\desktop\\plink.exe', Direction: '%%14593',
    SourceAddress: '127.0.0.1', SourcePort: '49186', DestAddress: '127.0.0.2', DestPort: '3389', Protocol: '6',
    FilterRTID: '70901', LayerName: '%%14611', LayerRTID: '48', RemoteUserID: 'S-1-0-0', RemoteMachineID: 'S-1-0-0',
    ...data,
  });

test('Security 4624 is an Authentication event: src from IpAddress, Logon_Type as written, the target account as user', () => {
  assert.deepEqual(fieldsOf(normalize(logon4624()), 'Authentication.Authentication'), {
    action: 'success',
    dest: 'srv-app-02',
    host: 'srv-app-02',
    vendor_product: 'Microsoft Windows',
    signature_id: '4624',
    signature: 'An account was successfully logged on',
    src: '127.0.0.1',
    user: 'CORP\\alice',
    user_id: 'S-1-5-21-3623811015-3361044348-30300820-1013',
    Logon_Type: '10',
  });
  // a local logon has no address: `-` is absent, not a value a loopback pattern could meet
  assert.equal(fieldsOf(normalize(logon4624({ LogonType: '2', IpAddress: '-' })), 'Authentication.Authentication').src, undefined);
});

test('RemoteConnectionManager 1149 has its own data source and is an Authentication event with Param3 as src', () => {
  const rcm = windowsEvent(
    { Provider: 'Microsoft-Windows-TerminalServices-RemoteConnectionManager', Channel: 'Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational', EventID: '1149' },
    { Param1: 'admin01', Param2: 'example', Param3: '::1' },
  );
  assert.equal(dataSourceOf(rcm), 'Windows Event Log RemoteConnectionManager 1149');
  const fields = fieldsOf(normalize(rcm), 'Authentication.Authentication');
  assert.deepEqual([fields.src, fields.user, fields.signature_id, fields.dest], ['::1', 'example\\admin01', '1149', 'srv-app-02']);
  // an empty domain (as written by some clients) leaves the bare user name
  const bare = windowsEvent({ Channel: 'Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational', EventID: '1149' }, { Param1: 'A', Param2: '', Param3: '10.0.2.15' });
  assert.equal(fieldsOf(normalize(bare), 'Authentication.Authentication').user, 'A');
  // other events of the channel are named, not mapped: the table is fail-closed by event id
  const other = windowsEvent({ Channel: 'Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational', EventID: '261' }, {});
  assert.equal(dataSourceOf(other), 'Windows Event Log RemoteConnectionManager 261');
  assert.deepEqual(normalize(other), []);
});

test('Security 5156 is a Network_Traffic event: the initiator is src in both directions, Direction and Protocol decoded', () => {
  const outbound = fieldsOf(normalize(wfp5156()), 'Network_Traffic.All_Traffic');
  assert.deepEqual(outbound, {
    action: 'allowed',
    vendor_product: 'Microsoft Windows',
    dvc: 'srv-app-02',
    host: 'srv-app-02',
    src: '127.0.0.1',
    src_ip: '127.0.0.1',
    src_port: '49186',
    dest: '127.0.0.2',
    dest_ip: '127.0.0.2',
    dest_port: '3389',
    direction: 'outbound',
    transport: 'tcp',
    protocol: 'ip',
    protocol_version: 'ipv4',
    app: '\\device\\harddiskvolume2\\users\\alice\\desktop\\plink.exe',
    process_path: '\\device\\harddiskvolume2\\users\\alice\\desktop\\plink.exe',
    process_name: 'plink.exe',
    process_id: '5388',
  });
  const inbound = fieldsOf(normalize(wfp5156({ Direction: '%%14592', Protocol: '17', DestAddress: '::1', SourceAddress: '::1' })), 'Network_Traffic.All_Traffic');
  assert.deepEqual([inbound.direction, inbound.transport, inbound.protocol_version], ['inbound', 'udp', 'ipv6']);
  // NXLog's flat JSON names the process id ProcessId; an unknown direction reference is absent, not guessed
  const nxlog = fieldsOf(normalize(wfp5156({ ProcessID: '', ProcessId: '3964', Direction: '%%99999' })), 'Network_Traffic.All_Traffic');
  assert.deepEqual([nxlog.process_id, nxlog.direction], ['3964', undefined]);
});
