import { basenameWindows } from '../../cim/values.js';
import type { Mapping } from '../../cim/mapping.js';
import { protocolVersionOf } from './sysmon-network-connect.js';

/** 5156's Direction, a message reference (`%%14592` Inbound, `%%14593` Outbound), or its rendered text */
const directionByReference: Record<string, string> = {
  '%%14592': 'inbound',
  '%%14593': 'outbound',
  inbound: 'inbound',
  outbound: 'outbound',
};

/** IANA protocol numbers as 5156 writes them, by the CIM `transport` name */
const transportByNumber: Record<string, string> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'icmp' };

/**
 * Security EID 5156 (the Windows Filtering Platform permitted a connection; written when "Audit
 * Filtering Platform Connection" is on). Source is the side that initiated the connection and
 * Destination the side that accepted it, in both directions: an inbound RDP connection is
 * `SourceAddress` client → `DestAddress`:3389 on this host (as in the OTRF samples of
 * ../shared/data). Application is the kernel's device path (`\device\harddiskvolume2\...`).
 */
export const security5156 = {
  dataset: 'Network_Traffic.All_Traffic',
  family: 'security',
  events: ['5156'],
  fields: {
    action: { value: 'allowed' },
    vendor_product: { value: 'Microsoft Windows' },
    dvc: { system: 'Computer' },
    host: { system: 'Computer' },
    src: 'SourceAddress',
    src_ip: 'SourceAddress',
    src_port: 'SourcePort',
    dest: 'DestAddress',
    dest_ip: 'DestAddress',
    dest_port: 'DestPort',
    direction: { from: 'Direction', via: (value: string) => directionByReference[value.toLowerCase()] },
    transport: { from: 'Protocol', via: (value: string) => transportByNumber[value] },
    protocol: { value: 'ip' },
    protocol_version: protocolVersionOf('DestAddress', 'SourceAddress'),
    app: 'Application',
    process_path: 'Application',
    process_name: { partOf: 'Application', via: basenameWindows },
    // the event's schema names it ProcessID; NXLog's flat JSON (OTRF) ProcessId
    process_id: { firstOf: ['ProcessID', 'ProcessId'] },
  },
} as const satisfies Mapping<'Network_Traffic.All_Traffic'>;
