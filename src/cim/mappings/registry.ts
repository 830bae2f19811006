import { crowdstrikeDnsRequest } from './crowdstrike-dns-request.js';
import { crowdstrikeFile } from './crowdstrike-file.js';
import { crowdstrikeRegistry } from './crowdstrike-registry.js';
import { crowdstrikeProcessRollup2 } from './crowdstrike-process-rollup2.js';
import type { AnyMapping, SourceFamily } from './mapping.js';
import { security4657 } from './security-4657.js';
import { security4688 } from './security-4688.js';
import { sysmonDnsQuery } from './sysmon-dns-query.js';
import { linuxSysmonFile, sysmonFile } from './sysmon-file.js';
import { linuxSysmonRaw, sysmonImageLoad } from './sysmon-image-load.js';
import { linuxSysmonNetworkConnect, sysmonNetworkConnect } from './sysmon-network-connect.js';
import { linuxSysmonProcessCreate, sysmonProcessCreate } from './sysmon-process-create.js';
import { sysmonRegistry } from './sysmon-registry.js';

/** Every mapping table. A new data source is one file plus one line here. */
export const mappings: readonly AnyMapping[] = [
  sysmonProcessCreate,
  sysmonNetworkConnect,
  sysmonDnsQuery,
  sysmonImageLoad,
  sysmonRegistry,
  sysmonFile,
  linuxSysmonProcessCreate,
  linuxSysmonNetworkConnect,
  linuxSysmonRaw,
  linuxSysmonFile,
  security4688,
  security4657,
  crowdstrikeProcessRollup2,
  crowdstrikeDnsRequest,
  crowdstrikeRegistry,
  crowdstrikeFile,
];

export interface FamilyDescriptor {
  /** <System> Provider names (Windows-shaped events) */
  readonly providers: readonly string[];
  /** Channel names (Windows-shaped events), matched case-insensitively */
  readonly channels: readonly string[];
  /** ESCU data_source name = prefix + EventID / event_simpleName */
  readonly dataSourcePrefix: string;
  /** event ids ESCU names as data sources even when no table maps them beyond `*` */
  readonly documentedEvents: readonly string[];
  /**
   * Payload fields EVTX stores typed rather than as text (as found in the EVTX files of
   * ../shared/data and the providers' manifests). A `number` is in the record as binary, found
   * by its binary forms as a whole decimal number only; any other type (`rendered`: GUID, SID, hex,
   * boolean, time) is text rendered from bytes, nowhere in the record. See cim/verbatim.ts.
   */
  readonly evtxTyped: Readonly<Record<string, 'number' | 'rendered'>>;
}

const sysmonEventIds = [...Array.from({ length: 29 }, (_, i) => String(i + 1)), '255'];

const sysmonEvtxTyped = {
  ...typed('number', 'ProcessId', 'ParentProcessId', 'SourceProcessId', 'TargetProcessId', 'SourceThreadId', 'NewThreadId', 'TerminalSessionId', 'SourcePort', 'DestinationPort'),
  ...typed('rendered', 'ProcessGuid', 'ParentProcessGuid', 'SourceProcessGuid', 'TargetProcessGuid', 'SourceProcessGUID', 'TargetProcessGUID', 'LogonGuid'),
  ...typed('rendered', 'LogonId', 'GrantedAccess', 'StartAddress', 'Initiated', 'SourceIsIpv6', 'DestinationIsIpv6', 'IsExecutable'),
};

function typed<T extends 'number' | 'rendered'>(type: T, ...fields: string[]): Record<string, T> {
  return Object.fromEntries(fields.map((field) => [field, type]));
}

/** How events are recognised as one family, and how their data sources are named. */
export const families: Record<SourceFamily, FamilyDescriptor> = {
  sysmon: {
    providers: ['Microsoft-Windows-Sysmon'],
    channels: ['Microsoft-Windows-Sysmon/Operational'],
    dataSourcePrefix: 'Sysmon EventID ',
    documentedEvents: sysmonEventIds,
    evtxTyped: sysmonEvtxTyped,
  },
  'linux-sysmon': {
    providers: ['Linux-Sysmon'],
    channels: ['Linux-Sysmon/Operational'],
    dataSourcePrefix: 'Sysmon for Linux EventID ',
    documentedEvents: ['1', '3', '4', '5', '9', '11', '16', '23'],
    // written as XML text to syslog, never to EVTX; typed as Windows Sysmon all the same, should an export convert it
    evtxTyped: sysmonEvtxTyped,
  },
  security: {
    providers: ['Microsoft-Windows-Security-Auditing'],
    channels: ['Security'],
    dataSourcePrefix: 'Windows Event Log Security ',
    documentedEvents: [],
    evtxTyped: {
      ...typed('number', 'ParentProcessId', 'LogonType', 'KeyLength'),
      ...typed('rendered', 'NewProcessId', 'ProcessId', 'SubjectLogonId', 'TargetLogonId', 'TargetLinkedLogonId', 'HandleId', 'Status', 'SubStatus'),
      ...typed('rendered', 'SubjectUserSid', 'TargetUserSid', 'TargetSid', 'MemberSid', 'MandatoryLabel', 'LogonGuid', 'TargetLogonGuid'),
    },
  },
  crowdstrike: {
    providers: [],
    channels: [],
    dataSourcePrefix: 'CrowdStrike ',
    documentedEvents: [],
    // JSON only: every value is text
    evtxTyped: {},
  },
};
