import { basenameWindows, hexToDecimal } from '../../cim/values.js';
import type { Mapping } from '../../cim/mapping.js';
import { keyName, nativeHive, valuePath } from '../../cim/native-registry.js';
import { subjectUser } from './security-4688.js';

/** 4657's OperationType, a message reference (Microsoft: "4657(S) A registry value was modified") */
const actionByOperation: Record<string, string> = {
  '%%1904': 'created',
  '%%1905': 'modified',
  '%%1906': 'deleted',
};

/**
 * Security EID 4657 (a registry value was modified; written where a key's SACL audits Set Value).
 * Its paths are the kernel's (`\REGISTRY\MACHINE\...`), as the event writes them.
 */
export const security4657 = {
  dataset: 'Endpoint.Registry',
  family: 'security',
  events: ['4657'],
  fields: {
    action: { from: 'OperationType', via: (operation: string) => actionByOperation[operation] },
    dest: { system: 'Computer' },
    host: { system: 'Computer' },
    vendor_product: { value: 'Microsoft Windows' },
    user: { piecesOf: ['SubjectDomainName', 'SubjectUserName'], inserts: '\\', derive: subjectUser },
    process_path: 'ProcessName',
    process_name: { partOf: 'ProcessName', via: basenameWindows },
    process_id: { from: 'ProcessId', via: hexToDecimal },
    // the value's path: the key's, a backslash (in no raw field), the value's name
    registry_path: { piecesOf: ['ObjectName', 'ObjectValueName'], inserts: '\\', derive: valuePath('ObjectName', 'ObjectValueName') },
    registry_key_name: { partOf: 'ObjectName', via: keyName },
    registry_value_name: 'ObjectValueName',
    registry_hive: { from: 'ObjectName', via: nativeHive },
    registry_value_data: 'NewValue',
  },
} as const satisfies Mapping<'Endpoint.Registry'>;
