import { basenameAny } from '../../cim/values.js';
import type { Mapping } from '../../cim/mapping.js';
import { crowdstrikeHost } from './host.js';

/**
 * CrowdStrike FDR file writes: a new executable, a PE file, a script. The path is the device
 * path the sensor reports (`\Device\HarddiskVolume2\Users\...`).
 */
export const crowdstrikeFile = {
  dataset: 'Endpoint.Filesystem',
  family: 'crowdstrike',
  events: ['NewExecutableWritten', 'PeFileWritten', 'NewScriptWritten'],
  fields: {
    action: { value: 'created' },
    dest: crowdstrikeHost,
    host: crowdstrikeHost,
    vendor_product: { value: 'CrowdStrike Falcon' },
    // links the write to its ProcessRollup2 (process_guid = TargetProcessId there)
    process_guid: 'ContextProcessId',
    file_path: 'TargetFileName',
    file_name: { partOf: 'TargetFileName', via: basenameAny },
    file_hash: 'SHA256HashData',
  },
} as const satisfies Mapping<'Endpoint.Filesystem'>;
