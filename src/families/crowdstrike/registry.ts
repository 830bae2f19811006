import type { Mapping } from '../../cim/mapping.js';
import { crowdstrikeHost } from './host.js';
import { keyName, nativeHive, valuePath } from '../../cim/native-registry.js';

/**
 * CrowdStrike FDR registry value updates: the generic one, auto-start (ASEP) values and system
 * configuration values. Each names an update of a value, hence `modified`. Paths are the kernel's
 * (`\REGISTRY\MACHINE\...`), as the sensor reports them.
 */
export const crowdstrikeRegistry = {
  dataset: 'Endpoint.Registry',
  family: 'crowdstrike',
  events: ['RegGenericValueUpdate', 'AsepValueUpdate', 'RegSystemConfigValueUpdate'],
  fields: {
    action: { value: 'modified' },
    dest: crowdstrikeHost,
    host: crowdstrikeHost,
    vendor_product: { value: 'CrowdStrike Falcon' },
    // links the change to its ProcessRollup2 (process_guid = TargetProcessId there)
    process_guid: 'ContextProcessId',
    registry_path: { piecesOf: ['RegObjectName', 'RegValueName'], inserts: '\\', derive: valuePath('RegObjectName', 'RegValueName') },
    registry_key_name: { partOf: 'RegObjectName', via: keyName },
    registry_value_name: 'RegValueName',
    registry_hive: { from: 'RegObjectName', via: nativeHive },
    registry_value_data: { firstOf: ['RegStringValue', 'RegNumericValue'] },
  },
} as const satisfies Mapping<'Endpoint.Registry'>;
