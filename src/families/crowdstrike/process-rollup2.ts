import { basenameAny, integrityFromRid } from '../../cim/values.js';
import type { Mapping } from '../../cim/mapping.js';
import { crowdstrikeHost } from './host.js';

/** CrowdStrike FDR ProcessRollup2 (and SyntheticProcessRollup2 for processes running at sensor start). */
export const crowdstrikeProcessRollup2 = {
  dataset: 'Endpoint.Processes',
  family: 'crowdstrike',
  events: ['ProcessRollup2', 'SyntheticProcessRollup2'],
  fields: {
    action: { value: 'allowed' },
    dest: crowdstrikeHost,
    host: crowdstrikeHost,
    vendor_product: { value: 'CrowdStrike Falcon' },
    user: { firstOf: ['UserName', 'UserSid'] },
    user_id: 'UserSid',
    process: 'CommandLine',
    process_path: 'ImageFileName',
    process_name: { partOf: 'ImageFileName', via: basenameAny },
    process_exec: { partOf: 'ImageFileName', via: basenameAny },
    original_file_name: 'OriginalFilename',
    process_id: 'RawProcessId',
    process_guid: 'TargetProcessId',
    process_hash: 'SHA256HashData',
    process_integrity_level: { from: 'IntegrityLevel', via: integrityFromRid },
    parent_process_name: 'ParentBaseFileName',
    parent_process_exec: 'ParentBaseFileName',
    parent_process_id: 'ParentProcessId',
  },
} as const satisfies Mapping<'Endpoint.Processes'>;
