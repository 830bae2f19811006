/**
 * Every EventData field name Sysmon (Windows schema 4.90, and Sysmon for Linux) writes. The raw
 * `sysmon` dataset passes these through by name, so model.ts lists them all: a raw `sysmon` search
 * may name any of them, and a typo still fails at load.
 */
export const sysmonEventDataFields = [
  'RuleName', 'UtcTime', 'ProcessGuid', 'ProcessId', 'Image', 'FileVersion', 'Description', 'Product',
  'Company', 'OriginalFileName', 'CommandLine', 'CurrentDirectory', 'User', 'LogonGuid', 'LogonId',
  'TerminalSessionId', 'IntegrityLevel', 'Hashes', 'ParentProcessGuid', 'ParentProcessId', 'ParentImage',
  'ParentCommandLine', 'ParentUser',
  // 2, 11, 15, 23, 26, 27-29: files
  'TargetFilename', 'CreationUtcTime', 'PreviousCreationUtcTime', 'Contents', 'IsExecutable', 'Archived',
  // 3: network
  'Protocol', 'Initiated', 'SourceIsIpv6', 'SourceIp', 'SourceHostname', 'SourcePort', 'SourcePortName',
  'DestinationIsIpv6', 'DestinationIp', 'DestinationHostname', 'DestinationPort', 'DestinationPortName',
  // 4, 16: service state and configuration
  'State', 'Version', 'SchemaVersion', 'Configuration', 'ConfigurationFileHash',
  // 6, 7: driver and image loads
  'ImageLoaded', 'Signed', 'Signature', 'SignatureStatus',
  // 8, 10: remote thread, process access
  'SourceProcessGuid', 'SourceProcessId', 'SourceImage', 'TargetProcessGuid', 'TargetProcessId', 'TargetImage',
  'NewThreadId', 'StartAddress', 'StartModule', 'StartFunction', 'SourceUser', 'TargetUser', 'SourceThreadId',
  'GrantedAccess', 'CallTrace',
  // 9: raw access read
  'Device',
  // 12-14: registry
  'EventType', 'TargetObject', 'Details', 'NewName',
  // 17, 18: pipes
  'PipeName',
  // 19-21: WMI
  'Operation', 'EventNamespace', 'Name', 'Query', 'Type', 'Destination', 'Consumer', 'Filter',
  // 22: DNS
  'QueryName', 'QueryStatus', 'QueryResults',
  // 24: clipboard
  'Session', 'ClientInfo',
  // 255: error
  'ID',
] as const;
