import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalize } from '../../../src/families/registry.js';
import type { RawEvent } from '../../../src/sources/source.js';
import { fieldsOf } from './pick.js';

/**
 * No capture of these events exists in ../shared/data or in ESCU's data_sources/, so these are
 * built from the documented schemas: Security 4657 as Microsoft's "4657(S): A registry value was
 * modified" shows its XML, CrowdStrike's events with the FDR field names (RegObjectName,
 * RegValueName, RegStringValue, ContextProcessId, TargetFileName, ...).
 */
const location = { file: 'documented.xml', line: 1 };

const security4657 = (data: Record<string, string> = {}): RawEvent => ({
  family: 'windows',
  system: {
    Provider: 'Microsoft-Windows-Security-Auditing', Channel: 'Security', EventID: '4657',
    TimeCreated: '2015-09-24T01:28:43.639634100Z', EventRecordID: '744725', Computer: 'DC01.contoso.local',
  },
  data: {
    SubjectUserSid: 'S-1-5-21-3457937927-2839227994-823803824-1104', SubjectUserName: 'dadmin', SubjectDomainName: 'CONTOSO',
    SubjectLogonId: '0x364eb', ObjectName: '\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run',
    ObjectValueName: 'Updater', HandleId: '0x54', OperationType: '%%1904', OldValueType: '-', OldValue: '-',
    NewValueType: '%%1873', NewValue: 'C:\\Users\\Public\\updater.exe', ProcessId: '0xce4', ProcessName: 'C:\\Windows\\regedit.exe',
    ...data,
  },
  location,
});

const crowdstrikeEvent = (data: Record<string, string>): RawEvent => ({
  family: 'crowdstrike',
  system: {},
  data: { timestamp: '1713805190000', aid: '168a90e125d443beb2a4e2914985084d', ComputerName: 'WKS-01', event_platform: 'Win', ...data },
  location,
});

test('Security 4657 is an Endpoint.Registry event: the value path joined from ObjectName and ObjectValueName, action from OperationType', () => {
  assert.deepEqual(fieldsOf(normalize(security4657()), 'Endpoint.Registry'), {
    action: 'created',
    dest: 'DC01.contoso.local',
    host: 'DC01.contoso.local',
    vendor_product: 'Microsoft Windows',
    user: 'CONTOSO\\dadmin',
    process_path: 'C:\\Windows\\regedit.exe',
    process_name: 'regedit.exe',
    process_id: '3300',
    registry_path: '\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater',
    registry_key_name: 'Run',
    registry_value_name: 'Updater',
    registry_hive: 'HKEY_LOCAL_MACHINE',
    registry_value_data: 'C:\\Users\\Public\\updater.exe',
  });
  assert.equal(fieldsOf(normalize(security4657({ OperationType: '%%1905' })), 'Endpoint.Registry').action, 'modified');
  const deleted = fieldsOf(normalize(security4657({ OperationType: '%%1906', NewValue: '-', ObjectName: '\\REGISTRY\\USER\\S-1-5-21-1\\Software\\x' })), 'Endpoint.Registry');
  assert.equal(deleted.action, 'deleted');
  assert.equal(deleted.registry_value_data, undefined, '`-` is no value');
  assert.equal(deleted.registry_hive, 'HKEY_USERS');
});

test('CrowdStrike registry value updates are Endpoint.Registry events linked to their process by ContextProcessId', () => {
  for (const event_simpleName of ['RegGenericValueUpdate', 'AsepValueUpdate', 'RegSystemConfigValueUpdate']) {
    const fields = fieldsOf(normalize(crowdstrikeEvent({
      event_simpleName, ContextProcessId: '5642133882', RegObjectName: '\\REGISTRY\\USER\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
      RegValueName: 'Updater', RegStringValue: 'C:\\Users\\Public\\updater.exe', RegType: '1', RegOperationType: '1',
    })), 'Endpoint.Registry');
    assert.deepEqual(fields, {
      action: 'modified',
      dest: 'WKS-01',
      host: 'WKS-01',
      vendor_product: 'CrowdStrike Falcon',
      process_guid: '5642133882',
      registry_path: '\\REGISTRY\\USER\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater',
      registry_key_name: 'Run',
      registry_value_name: 'Updater',
      registry_hive: 'HKEY_USERS',
      registry_value_data: 'C:\\Users\\Public\\updater.exe',
    }, event_simpleName);
  }
  const numeric = fieldsOf(normalize(crowdstrikeEvent({ event_simpleName: 'RegSystemConfigValueUpdate', RegObjectName: '\\REGISTRY\\MACHINE\\SOFTWARE\\Policies\\x', RegValueName: 'Enabled', RegNumericValue: '0' })), 'Endpoint.Registry');
  assert.equal(numeric.registry_value_data, '0', 'a numeric value when there is no string one');
});

test('CrowdStrike file writes are Endpoint.Filesystem events (created), by the device path the sensor reports', () => {
  for (const event_simpleName of ['NewExecutableWritten', 'PeFileWritten', 'NewScriptWritten']) {
    const fields = fieldsOf(normalize(crowdstrikeEvent({
      event_simpleName, ContextProcessId: '5642133882', TargetFileName: '\\Device\\HarddiskVolume2\\Users\\Public\\updater.exe',
      SHA256HashData: 'ba4038fd20e474c047be8aad5bfacdb1bfc1ddbe12f803f473b7918d8d819436',
    })), 'Endpoint.Filesystem');
    assert.deepEqual(fields, {
      action: 'created',
      dest: 'WKS-01',
      host: 'WKS-01',
      vendor_product: 'CrowdStrike Falcon',
      process_guid: '5642133882',
      file_path: '\\Device\\HarddiskVolume2\\Users\\Public\\updater.exe',
      file_name: 'updater.exe',
      file_hash: 'ba4038fd20e474c047be8aad5bfacdb1bfc1ddbe12f803f473b7918d8d819436',
    }, event_simpleName);
  }
});
