import { basenamePosix, basenameWindows } from '../../cim/values.js';
import { actingProcess } from './sysmon-acting-process.js';
import type { Mapping, SourceFamily } from '../../cim/mapping.js';

/**
 * The raw `sysmon` dataset that `sysmon`-macro searches read: every Sysmon event, payload fields by
 * their own names, <System> fields, plus the fields the Splunk Sysmon TA derives (named for image
 * loads, EID 7, but computed for any event that carries their inputs).
 */
function sysmonRaw(family: SourceFamily, vendorProduct: string, basename: (path: string) => string) {
  return {
    dataset: 'sysmon',
    family,
    events: '*',
    passthrough: true,
    fields: {
      Computer: { system: 'Computer' },
      EventID: { system: 'EventID' },
      // Splunk's name for the event id: ESCU's raw `sysmon` searches filter on it
      EventCode: { system: 'EventID' },
      Channel: { system: 'Channel' },
      Provider: { system: 'Provider' },
      EventRecordID: { system: 'EventRecordID' },
      dest: { system: 'Computer' },
      host: { system: 'Computer' },
      vendor_product: { value: vendorProduct },
      user_id: { system: 'UserID' },
      signature_id: { system: 'EventID' },
      loaded_file: { partOf: 'ImageLoaded', via: basename },
      loaded_file_path: 'ImageLoaded',
      ...actingProcess(basename),
      process_exec: { partOf: 'Image', via: basename },
      process_hash: 'Hashes',
      signature: 'Signature',
      service_dll_signature_exists: 'Signed',
      service_dll_signature_verified: {
        from: 'SignatureStatus',
        via: (status: string) => (status === 'Valid' ? 'true' : 'false'),
      },
    },
  } as const satisfies Mapping<'sysmon'>;
}

export const sysmonImageLoad = sysmonRaw('sysmon', 'Microsoft Sysmon', basenameWindows);
export const linuxSysmonRaw = sysmonRaw('linux-sysmon', 'Sysmon for Linux', basenamePosix);
