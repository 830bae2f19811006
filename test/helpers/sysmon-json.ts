/** Sysmon events as NXLog writes them (JSON lines), for tests that scan built events through the real path. */
const common = { SourceName: 'Microsoft-Windows-Sysmon', Channel: 'Microsoft-Windows-Sysmon/Operational', Hostname: 'WS-7.acme.example', User: 'ACME\\bob' };

/** Sysmon's own UtcTime (`2026-03-10 12:05:00.000`), which gives the event its time, from ISO-8601 */
const utcTime = (iso: string): string => iso.replace('T', ' ').replace('Z', '');

/** a Sysmon EventID 1 (process creation); `guid` its ProcessGuid */
export function sysmonProcess(time: string, image: string, commandLine: string, guid = '{00000000-0000-0000-0000-000000000001}', processId = '4242'): string {
  return JSON.stringify({
    ...common, UtcTime: utcTime(time), EventID: 1, Image: image, CommandLine: commandLine, OriginalFileName: image.split('\\').pop(),
    ParentImage: 'C:\\Windows\\explorer.exe', ParentCommandLine: 'C:\\Windows\\explorer.exe',
    ProcessId: processId, ParentProcessId: '1000', ProcessGuid: guid,
  });
}

/** a Sysmon EventID 11 (file created) by the process `guid` running `image` */
export function sysmonFileCreate(time: string, image: string, guid: string, targetFilename: string): string {
  return JSON.stringify({
    ...common, UtcTime: utcTime(time), EventID: 11, Image: image, ProcessId: '4242', ProcessGuid: guid,
    TargetFilename: targetFilename, CreationUtcTime: utcTime(time),
  });
}

/** a Sysmon EventID 3 (network connection) by process `processId` running `image`, to `destinationIp` */
export function sysmonNetwork(time: string, image: string, processId: string, destinationIp: string, destinationPort = '443'): string {
  return JSON.stringify({
    ...common, UtcTime: utcTime(time), EventID: 3, Image: image, ProcessId: processId, ProcessGuid: '{00000000-0000-0000-0000-000000000003}',
    Protocol: 'tcp', Initiated: 'true', SourceIp: '10.0.0.7', SourcePort: '49822', DestinationIp: destinationIp, DestinationPort: destinationPort,
  });
}
