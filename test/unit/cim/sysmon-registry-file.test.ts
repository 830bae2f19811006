import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalize } from '../../../src/families/registry.js';
import type { RawEvent } from '../../../src/sources/source.js';
import { fieldsOf } from './pick.js';
import { sysmon22 } from './raw-events.js';

/**
 * Values from the example events of splunk/security_content data_sources/sysmon_eventid_{12,13,11,23}.yml
 * (commit b13b314aed0e), and the real PortProxy value set of ../shared/data/evtx-sysmon/panache_sysmon_vs_EDRTestingScript.evtx.
 */
function sysmon(eventId: string, computer: string, data: Record<string, string>): RawEvent {
  return {
    family: 'windows',
    system: { Provider: 'Microsoft-Windows-Sysmon', Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: eventId, UserID: 'S-1-5-18', Computer: computer },
    data,
    location: { file: 'example.xml', line: 1 },
  };
}

const sysmon13 = (details: string) =>
  sysmon('13', 'win-host-623.attackrange.local', {
    RuleName: '-', EventType: 'SetValue', UtcTime: '2021-07-12 08:11:04.547', ProcessGuid: '{0C1E0330-048F-60E8-0B00-00000000D001}',
    ProcessId: '628', Image: 'C:\\Windows\\system32\\lsass.exe',
    TargetObject: 'HKLM\\System\\CurrentControlSet\\Services\\W32Time\\SecureTimeLimits\\SecureTimeHigh', Details: details,
  });

test('Sysmon 13 (value set) is an Endpoint.Registry event: path, key and value names, the number inside DWORD/QWORD', () => {
  const fields = fieldsOf(normalize(sysmon13('QWORD (0x01d776fd-0xd724b8c5)')), 'Endpoint.Registry');
  assert.deepEqual(fields, {
    action: 'modified',
    dest: 'win-host-623.attackrange.local',
    host: 'win-host-623.attackrange.local',
    vendor_product: 'Microsoft Sysmon',
    process_guid: '{0C1E0330-048F-60E8-0B00-00000000D001}',
    process_id: '628',
    process_path: 'C:\\Windows\\system32\\lsass.exe',
    process_name: 'lsass.exe',
    registry_path: 'HKLM\\System\\CurrentControlSet\\Services\\W32Time\\SecureTimeLimits\\SecureTimeHigh',
    registry_key_name: 'SecureTimeHigh',
    registry_value_name: 'SecureTimeHigh',
    registry_hive: 'HKEY_LOCAL_MACHINE',
    registry_value_data: '0x01d776fd-0xd724b8c5',
    registry_value_type: 'REG_QWORD',
  });
  assert.equal(fieldsOf(normalize(sysmon13('DWORD (0x00000001)')), 'Endpoint.Registry').registry_value_data, '0x00000001');
  const text = fieldsOf(normalize(sysmon13('192.168.1.1/8000')), 'Endpoint.Registry');
  assert.equal(text.registry_value_data, '192.168.1.1/8000');
  assert.equal(text.registry_value_type, undefined, 'Sysmon does not say which string type a value has');
});

test('Sysmon 12 (key deleted) names a key, no value; the hive of HKU', () => {
  const raw = sysmon('12', 'win-dc-890.attackrange.local', {
    RuleName: '-', EventType: 'DeleteKey', UtcTime: '2021-07-12 08:10:32.592', ProcessGuid: '{466BC892-F8F2-60EB-107E-00000000CF01}',
    ProcessId: '10188', Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    TargetObject: 'HKU\\S-1-5-21-2333072374-3391925831-3197092227-1112_Classes\\exefile\\shell\\runas\\command',
  });
  const fields = fieldsOf(normalize(raw), 'Endpoint.Registry');
  assert.equal(fields.action, 'deleted');
  assert.equal(fields.registry_key_name, 'command');
  assert.equal(fields.registry_value_name, undefined);
  assert.equal(fields.registry_hive, 'HKEY_USERS');
  assert.equal(fields.registry_value_data, undefined);
});

test('Sysmon 11 (file created) and 23 (file deleted) are Endpoint.Filesystem events', () => {
  const created = fieldsOf(normalize(sysmon('11', 'win-dc-mhaag-attack-range-84.attackrange.local', {
    RuleName: 'Downloads', UtcTime: '2023-02-08 13:01:11.053', ProcessGuid: '{0F9A6540-A70E-63E2-3091-00000000BD02}', ProcessId: '9332',
    Image: 'C:\\Users\\Administrator\\Downloads\\mimikatz_trunk\\x64\\mimikatz.exe',
    TargetFilename: 'C:\\Users\\Administrator\\Downloads\\mimikatz_trunk\\x64\\CURRENT_USER_My_4_atomic@art2.local.pfx',
    CreationUtcTime: '2023-02-08 13:01:11.053',
  })), 'Endpoint.Filesystem');
  assert.deepEqual(created, {
    action: 'created',
    dest: 'win-dc-mhaag-attack-range-84.attackrange.local',
    host: 'win-dc-mhaag-attack-range-84.attackrange.local',
    vendor_product: 'Microsoft Sysmon',
    process_guid: '{0F9A6540-A70E-63E2-3091-00000000BD02}',
    process_id: '9332',
    process_path: 'C:\\Users\\Administrator\\Downloads\\mimikatz_trunk\\x64\\mimikatz.exe',
    process_name: 'mimikatz.exe',
    file_path: 'C:\\Users\\Administrator\\Downloads\\mimikatz_trunk\\x64\\CURRENT_USER_My_4_atomic@art2.local.pfx',
    file_name: 'CURRENT_USER_My_4_atomic@art2.local.pfx',
    file_create_time: '2023-02-08 13:01:11.053',
  });
  const deleted = fieldsOf(normalize(sysmon('23', 'win-dc-ctus-attack-range-865.attackrange.local', {
    RuleName: '-', UtcTime: '2023-02-01 10:57:09.814', ProcessGuid: '{F522A29C-446D-63DA-9F01-00000000BB02}', ProcessId: '2428',
    User: 'ATTACKRANGE\\Administrator', Image: 'C:\\Temp\\swiftslicer.exe', TargetFilename: 'C:\\Python311\\vcruntime140_1.dll',
    Hashes: 'MD5=75E78E4BF561031D39F86143753400FF,SHA256=1758085A61527B427C4380F0C976D29A8BEE889F2AC480C356A3F166433BF70E,IMPHASH=BF380CA954CBF10D1A4CEF9EC18E46FD',
    IsExecutable: 'true', Archived: 'false - insufficient disk space',
  })), 'Endpoint.Filesystem');
  assert.equal(deleted.action, 'deleted');
  assert.equal(deleted.user, 'ATTACKRANGE\\Administrator');
  assert.equal(deleted.file_name, 'vcruntime140_1.dll');
  assert.match(String(deleted.file_hash), /^MD5=75E78E4B/);
});

test('every Sysmon event carries EventCode, Splunk\'s name for its event id, in the raw sysmon dataset', () => {
  const fields = fieldsOf(normalize(sysmon13('DWORD (0x00000001)')), 'sysmon');
  assert.equal(fields.EventCode, '13');
  assert.equal(fields.EventID, '13');
});

test('Sysmon 22 gives the DNS reply code, the record types of its answers, and message_type Response', () => {
  const nxdomain = fieldsOf(normalize(sysmon22('-', '9003')), 'Network_Resolution.DNS');
  assert.equal(nxdomain.reply_code, 'NXDomain');
  assert.equal(nxdomain.record_type, undefined);
  assert.equal(nxdomain.message_type, 'Response');
  const answered = fieldsOf(normalize(sysmon22('type:  5 edge.example.net;::ffff:10.0.0.1;2001:db8::1;', '0')), 'Network_Resolution.DNS');
  assert.equal(answered.reply_code, 'NoError');
  assert.deepEqual(answered.record_type, ['CNAME', 'A', 'AAAA']);
});
