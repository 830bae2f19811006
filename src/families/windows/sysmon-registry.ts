import type { RawEvent } from '../../sources/source.js';
import { basenameWindows, present } from '../../cim/values.js';
import { actingProcess } from './sysmon-acting-process.js';
import type { Mapping } from '../../cim/mapping.js';

/** Sysmon's EventType, as the CIM `action` of a registry change. */
const actionByEventType: Record<string, string> = {
  CreateKey: 'created',
  CreateValue: 'created',
  DeleteKey: 'deleted',
  DeleteValue: 'deleted',
  SetValue: 'modified',
  RenameKey: 'modified',
};

/** The abbreviated root keys Sysmon writes, by the hive name CIM uses. */
const hiveByRoot: Record<string, string> = {
  HKLM: 'HKEY_LOCAL_MACHINE',
  HKU: 'HKEY_USERS',
  HKCU: 'HKEY_CURRENT_USER',
  HKCR: 'HKEY_CLASSES_ROOT',
  HKCC: 'HKEY_CURRENT_CONFIG',
};

function lastComponent(path: string): string {
  return path.slice(path.lastIndexOf('\\') + 1);
}

/** A value event (13, or 12 on a value) names a value; key events name a key only. */
function valueName(raw: RawEvent): string | undefined {
  const target = present(raw.data.TargetObject);
  const eventType = present(raw.data.EventType) ?? '';
  if (target === undefined || !(eventType === 'SetValue' || eventType.endsWith('Value'))) return undefined;
  return lastComponent(target);
}

/**
 * Sysmon writes `DWORD (0x00000001)` / `QWORD (0x01d776fd-0xd724b8c5)`: the Splunk TA's
 * registry_value_data is the number inside, which ESCU compares with `"0x00000001"`.
 */
function valueData(details: string): string {
  const numeric = (details.startsWith('DWORD (') || details.startsWith('QWORD (')) && details.endsWith(')');
  return numeric ? details.slice('DWORD ('.length, -1) : details;
}

function valueType(details: string): string | undefined {
  if (details.startsWith('DWORD (')) return 'REG_DWORD';
  if (details.startsWith('QWORD (')) return 'REG_QWORD';
  if (details === 'Binary Data') return 'REG_BINARY';
  return undefined;
}

/** Sysmon EID 12 (key/value create or delete), 13 (value set), 14 (key or value renamed). */
export const sysmonRegistry = {
  dataset: 'Endpoint.Registry',
  family: 'sysmon',
  events: ['12', '13', '14'],
  fields: {
    action: { from: 'EventType', via: (eventType: string) => actionByEventType[eventType] },
    dest: { system: 'Computer' },
    host: { system: 'Computer' },
    vendor_product: { value: 'Microsoft Sysmon' },
    user: 'User',
    ...actingProcess(basenameWindows),
    registry_path: 'TargetObject',
    registry_key_name: { partOf: 'TargetObject', via: lastComponent },
    registry_value_name: { piecesOf: ['TargetObject'], derive: valueName },
    registry_hive: { from: 'TargetObject', via: (path: string) => hiveByRoot[path.slice(0, path.indexOf('\\')).toUpperCase()] },
    registry_value_data: { partOf: 'Details', via: valueData },
    registry_value_type: { from: 'Details', via: valueType },
  },
} as const satisfies Mapping<'Endpoint.Registry'>;
