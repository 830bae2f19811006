import { basenamePosix, basenameWindows } from '../../cim/values.js';
import { actingProcess } from './sysmon-acting-process.js';
import type { Mapping, SourceFamily } from '../../cim/mapping.js';

/** Sysmon EID 1 (Windows and Linux share the schema; paths and the product name differ). */
function processCreate(family: SourceFamily, vendorProduct: string, basename: (path: string) => string) {
  return {
    dataset: 'Endpoint.Processes',
    family,
    events: ['1'],
    fields: {
      action: { value: 'allowed' },
      dest: { system: 'Computer' },
      host: { system: 'Computer' },
      vendor_product: { value: vendorProduct },
      user: 'User',
      user_id: { system: 'UserID' },
      process: 'CommandLine',
      ...actingProcess(basename),
      process_exec: { partOf: 'Image', via: basename },
      original_file_name: 'OriginalFileName',
      process_hash: 'Hashes',
      // Sysmon writes `High`; 4688 and CrowdStrike yield lower case, so all sources agree
      process_integrity_level: { from: 'IntegrityLevel', via: (level: string) => level.toLowerCase() },
      process_current_directory: 'CurrentDirectory',
      parent_process: 'ParentCommandLine',
      parent_process_path: 'ParentImage',
      parent_process_name: { partOf: 'ParentImage', via: basename },
      parent_process_exec: { partOf: 'ParentImage', via: basename },
      parent_process_id: 'ParentProcessId',
      parent_process_guid: 'ParentProcessGuid',
    },
  } as const satisfies Mapping<'Endpoint.Processes'>;
}

export const sysmonProcessCreate = processCreate('sysmon', 'Microsoft Sysmon', basenameWindows);
export const linuxSysmonProcessCreate = processCreate('linux-sysmon', 'Sysmon for Linux', basenamePosix);
