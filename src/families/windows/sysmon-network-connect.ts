import type { RawEvent } from '../../sources/source.js';
import { basenamePosix, basenameWindows, present } from '../../cim/values.js';
import { ipVersion } from '../../cim/ip.js';
import { actingProcess } from './sysmon-acting-process.js';
import type { Mapping, SourceFamily } from '../../cim/mapping.js';

function direction(initiated: string): string {
  return initiated.toLowerCase() === 'true' ? 'outbound' : 'inbound';
}

/** `ipv6` when the destination (else source) address is in IPv6 form (has a `:`), `ipv4` for dotted addresses. */
export function protocolVersionOf(destination: string, source: string): (raw: RawEvent) => string | undefined {
  return (raw) => {
    const ip = present(raw.data[destination]) ?? present(raw.data[source]);
    return ip === undefined ? undefined : ipVersion(ip);
  };
}

/** Sysmon EID 3 (Windows and Linux). */
function networkConnect(family: SourceFamily, vendorProduct: string, basename: (path: string) => string) {
  return {
    dataset: 'Network_Traffic.All_Traffic',
    family,
    events: ['3'],
    fields: {
      action: { value: 'allowed' },
      vendor_product: { value: vendorProduct },
      dvc: { system: 'Computer' },
      host: { system: 'Computer' },
      src: { firstOf: ['SourceHostname', 'SourceIp'] },
      src_ip: 'SourceIp',
      src_port: 'SourcePort',
      dest: { firstOf: ['DestinationHostname', 'DestinationIp'] },
      dest_ip: 'DestinationIp',
      dest_port: 'DestinationPort',
      direction: { from: 'Initiated', via: direction },
      transport: 'Protocol',
      protocol: { value: 'ip' },
      protocol_version: protocolVersionOf('DestinationIp', 'SourceIp'),
      app: 'Image',
      ...actingProcess(basename),
      user: 'User',
    },
  } as const satisfies Mapping<'Network_Traffic.All_Traffic'>;
}

export const sysmonNetworkConnect = networkConnect('sysmon', 'Microsoft Sysmon', basenameWindows);
export const linuxSysmonNetworkConnect = networkConnect('linux-sysmon', 'Sysmon for Linux', basenamePosix);
