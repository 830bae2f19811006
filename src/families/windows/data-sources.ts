import type { DataSourceDescriptor } from '../../cim/family-mappings.js';

const sysmonEventIds = [...Array.from({ length: 29 }, (_, i) => String(i + 1)), '255'];

const sysmonEvtxTyped = {
  ...typed('number', 'ProcessId', 'ParentProcessId', 'SourceProcessId', 'TargetProcessId', 'SourceThreadId', 'NewThreadId', 'TerminalSessionId', 'SourcePort', 'DestinationPort'),
  ...typed('rendered', 'ProcessGuid', 'ParentProcessGuid', 'SourceProcessGuid', 'TargetProcessGuid', 'SourceProcessGUID', 'TargetProcessGUID', 'LogonGuid'),
  ...typed('rendered', 'LogonId', 'GrantedAccess', 'StartAddress', 'Initiated', 'SourceIsIpv6', 'DestinationIsIpv6', 'IsExecutable'),
};

function typed<T extends 'number' | 'rendered'>(type: T, ...fields: string[]): Record<string, T> {
  return Object.fromEntries(fields.map((field) => [field, type]));
}

/** Sysmon (Windows and Linux), Security and RDP's RemoteConnectionManager: how their events are recognised, named and typed in EVTX. */
export const windowsDataSources = {
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
      // 5156: the process id is a pointer-sized integer, Protocol an integer, the ids SIDs (its ports are strings)
      ...typed('rendered', 'ProcessID', 'Protocol', 'FilterRTID', 'LayerRTID', 'RemoteUserID', 'RemoteMachineID'),
    },
  },
  'rdp-connection-manager': {
    providers: ['Microsoft-Windows-TerminalServices-RemoteConnectionManager'],
    channels: ['Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational'],
    // ESCU's name for 1149: `Windows Event Log RemoteConnectionManager 1149`
    dataSourcePrefix: 'Windows Event Log RemoteConnectionManager ',
    documentedEvents: ['1149'],
    // Param1-3 are strings
    evtxTyped: {},
  },
} as const satisfies Record<string, DataSourceDescriptor>;
