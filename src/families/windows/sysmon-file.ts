import { basenamePosix, basenameWindows } from '../../cim/values.js';
import { actingProcess } from './sysmon-acting-process.js';
import type { Mapping, SourceFamily } from '../../cim/mapping.js';

/** EID 11 creates a file; 23 deletes it (archiving a copy), 26 deletes it (logged only). */
const actionByEvent: Record<string, string> = { '11': 'created', '23': 'deleted', '26': 'deleted' };

/** Sysmon file events (Windows 11, 23, 26; Sysmon for Linux 11, 23). */
function fileEvents(family: SourceFamily, events: string[], vendorProduct: string, basename: (path: string) => string) {
  return {
    dataset: 'Endpoint.Filesystem',
    family,
    events,
    fields: {
      action: (raw) => actionByEvent[raw.system.EventID ?? ''],
      dest: { system: 'Computer' },
      host: { system: 'Computer' },
      vendor_product: { value: vendorProduct },
      user: 'User',
      ...actingProcess(basename),
      file_path: 'TargetFilename',
      file_name: { partOf: 'TargetFilename', via: basename },
      file_create_time: 'CreationUtcTime',
      file_hash: 'Hashes',
    },
  } as const satisfies Mapping<'Endpoint.Filesystem'>;
}

export const sysmonFile = fileEvents('sysmon', ['11', '23', '26'], 'Microsoft Sysmon', basenameWindows);
export const linuxSysmonFile = fileEvents('linux-sysmon', ['11', '23'], 'Sysmon for Linux', basenamePosix);
