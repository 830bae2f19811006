/**
 * RawEvents shaped like the sources produce them, values copied from the real examples in
 * ../shared/data/examples (splunk/security_content data_sources/*.yml) and linux-sysmon/.
 */
import type { RawEvent } from '../../../src/sources/source.js';

const location = { file: 'example.xml', line: 1 };

function sysmon(eventId: string, system: Record<string, string>, data: Record<string, string>): RawEvent {
  return {
    family: 'windows',
    system: {
      Provider: 'Microsoft-Windows-Sysmon',
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      EventID: eventId,
      UserID: 'S-1-5-18',
      ...system,
    },
    data,
    location,
  };
}

function linuxSysmon(eventId: string, system: Record<string, string>, data: Record<string, string>): RawEvent {
  return {
    family: 'windows',
    system: { Provider: 'Linux-Sysmon', Channel: 'Linux-Sysmon/Operational', EventID: eventId, UserID: '0', ...system },
    data,
    location,
  };
}

export const sysmon1 = (): RawEvent =>
  sysmon('1', {
    TimeCreated: '2020-10-08T11:03:46.617920300Z',
    EventRecordID: '4522',
    Computer: 'win-dc-6764986.attackrange.local',
  }, {
    RuleName: '-',
    UtcTime: '2020-10-08 11:03:46.615',
    ProcessGuid: '{96128EA2-F212-5F7E-E400-000000007F01}',
    ProcessId: '2296',
    Image: 'C:\\Windows\\System32\\cmd.exe',
    FileVersion: '10.0.14393.0 (rs1_release.160715-1616)',
    Description: 'Windows Command Processor',
    Product: 'Microsoft® Windows® Operating System',
    Company: 'Microsoft Corporation',
    OriginalFileName: 'Cmd.Exe',
    CommandLine: '"C:\\Windows\\system32\\cmd.exe" /c "reg save HKLM\\sam %%temp%%\\sam" ',
    CurrentDirectory: 'C:\\Users\\ADMINI~1\\AppData\\Local\\Temp\\',
    User: 'ATTACKRANGE\\Administrator',
    LogonGuid: '{96128EA2-F210-5F7E-ACD4-080000000000}',
    LogonId: '0x8d4ac',
    TerminalSessionId: '0',
    IntegrityLevel: 'High',
    Hashes: 'MD5=F4F684066175B77E0C3A000549D2922C,SHA256=935C1861DF1F4018D698E8B65ABFA02D7E9037D8F68CA3C2065B6CA165D44AD2,IMPHASH=3062ED732D4B25D1C64F084DAC97D37A',
    ParentProcessGuid: '{96128EA2-F211-5F7E-DF00-000000007F01}',
    ParentProcessId: '4624',
    ParentImage: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    ParentCommandLine: '"powershell.exe" -noninteractive -encodedcommand WwBDAG8AbgBzAG8AbABlAF0A',
  });

export const sysmon3 = (): RawEvent =>
  sysmon('3', {
    TimeCreated: '2022-09-15T12:56:22.958249300Z',
    EventRecordID: '156837',
    Computer: 'win-dc-ctus-attack-range-403.attackrange.local',
  }, {
    RuleName: '-',
    UtcTime: '2022-09-15 12:56:19.679',
    ProcessGuid: '{6820D070-1F1B-6323-E113-000000007402}',
    ProcessId: '5728',
    Image: 'C:\\Temp\\agent_tesla-deob.exe',
    User: 'ATTACKRANGE\\Administrator',
    Protocol: 'tcp',
    Initiated: 'true',
    SourceIsIpv6: 'false',
    SourceIp: '10.0.1.14',
    SourceHostname: 'win-dc-ctus-attack-range-403.attackrange.local',
    SourcePort: '61722',
    SourcePortName: '-',
    DestinationIsIpv6: 'false',
    DestinationIp: '41.77.117.236',
    DestinationHostname: 'youssef5.genious.net',
    DestinationPort: '21',
    DestinationPortName: 'ftp',
  });

export const sysmon7 = (): RawEvent =>
  sysmon('7', {
    TimeCreated: '2023-09-12T08:06:31.445185300Z',
    EventRecordID: '45273',
    Computer: 'ar-win-dc.attackrange.local',
  }, {
    RuleName: '-',
    UtcTime: '2023-09-12 08:06:31.433',
    ProcessGuid: '{8814F3F5-1C07-6500-9600-000000000E03}',
    ProcessId: '4440',
    Image: 'C:\\Users\\Administrator\\AppData\\Local\\Temp\\server.exe',
    ImageLoaded: 'C:\\Users\\Administrator\\AppData\\Local\\Temp\\server.exe',
    FileVersion: '-',
    Description: '-',
    Product: '-',
    Company: '-',
    OriginalFileName: '-',
    Hashes: 'MD5=696CBE2CB6F7FAC5ED6262BCA51238BB,SHA256=43005D86607DC94C7D378AA1B8844947BAA03860652F2F2340266061AF12E524,IMPHASH=F34D5F2D4577ED6D9CEEC516C1F5A744',
    Signed: 'false',
    Signature: '-',
    SignatureStatus: 'Unavailable',
    User: 'ATTACKRANGE\\Administrator',
  });

export const sysmon22 = (queryResults = '-', queryStatus = '9003'): RawEvent =>
  sysmon('22', {
    TimeCreated: '2021-03-24T12:25:15.098978900Z',
    EventRecordID: '113892',
    Computer: 'win-dc-299.attackrange.local',
  }, {
    RuleName: '-',
    UtcTime: '2021-03-24 12:25:12.840',
    ProcessGuid: '{3CFDEE80-2F7D-605B-F50A-00000000AE01}',
    ProcessId: '7172',
    QueryName: '50.220.65.3.spam.dnsbl.sorbs.net',
    QueryStatus: queryStatus,
    QueryResults: queryResults,
    Image: 'C:\\Windows\\System32\\wermgr.exe',
  });

export const security4688 = (data: Record<string, string> = {}): RawEvent => ({
  family: 'windows',
  system: {
    Provider: 'Microsoft-Windows-Security-Auditing',
    Channel: 'Security',
    EventID: '4688',
    TimeCreated: '2024-04-23T08:48:30.449376800Z',
    EventRecordID: '432820',
    Computer: 'ar-win-1',
  },
  data: {
    SubjectUserSid: 'NT AUTHORITY\\SYSTEM',
    SubjectUserName: 'AR-WIN-1$',
    SubjectDomainName: 'WORKGROUP',
    SubjectLogonId: '0x3e7',
    NewProcessId: '0xf84',
    NewProcessName: 'C:\\Program Files\\SplunkUniversalForwarder\\bin\\splunk-powershell.exe',
    TokenElevationType: '%%1936',
    ProcessId: '0xb2c',
    CommandLine: '"C:\\Program Files\\SplunkUniversalForwarder\\bin\\splunk-powershell.exe" --ps2',
    TargetUserSid: 'NULL SID',
    TargetUserName: '-',
    TargetDomainName: '-',
    TargetLogonId: '0x0',
    ParentProcessName: 'C:\\Program Files\\SplunkUniversalForwarder\\bin\\splunkd.exe',
    MandatoryLabel: 'Mandatory Label\\System Mandatory Level',
    ...data,
  },
  location,
});

export const processRollup2 = (data: Record<string, string> = {}): RawEvent => ({
  family: 'crowdstrike',
  system: {},
  data: {
    IntegrityLevel: '12288',
    ParentProcessId: '5459598860',
    UserSid: 'S-1-5-21-586445407-708991241-1829972403-500',
    event_platform: 'Win',
    ParentBaseFileName: 'explorer.exe',
    timestamp: '1713805173418',
    event_simpleName: 'ProcessRollup2',
    RawProcessId: '5012',
    MD5HashData: '097ce5761c89434367598b34fe32893b',
    SHA256HashData: 'ba4038fd20e474c047be8aad5bfacdb1bfc1ddbe12f803f473b7918d8d819436',
    CommandLine: '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" ',
    TargetProcessId: '5642133882',
    ImageFileName: '\\Device\\HarddiskVolume1\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    ProcessEndTime: '',
    aid: '168a90e125d443beb2a4e2914985084d',
    ...data,
  },
  location,
});

export const dnsRequest = (data: Record<string, string> = {}): RawEvent => ({
  family: 'crowdstrike',
  system: {},
  data: {
    event_simpleName: 'DnsRequest',
    timestamp: '1713805180000',
    aid: '168a90e125d443beb2a4e2914985084d',
    ContextProcessId: '5642133882',
    DomainName: 'abcd-1234.ngrok-free.app',
    RequestType: '1',
    ...data,
  },
  location,
});

export const linuxSysmon1 = (data: Record<string, string> = {}): RawEvent =>
  linuxSysmon('1', {
    TimeCreated: '2022-08-09T10:42:47.749450000Z',
    EventRecordID: '1926574',
    Computer: 'ar-linux',
  }, {
    RuleName: '-',
    UtcTime: '2022-08-09 10:42:47.757',
    ProcessGuid: '{ec23eae3-3a27-62f2-085e-16549b550000}',
    ProcessId: '10268',
    Image: '/usr/local/bin/ngrok',
    FileVersion: '-',
    Description: '-',
    Product: '-',
    Company: '-',
    OriginalFileName: '-',
    CommandLine: 'ngrok tcp 22',
    CurrentDirectory: '/home/ubuntu',
    User: 'ubuntu',
    LogonGuid: '{ec23eae3-315b-62f2-e803-000000000000}',
    LogonId: '1000',
    TerminalSessionId: '13',
    IntegrityLevel: 'no level',
    Hashes: '-',
    ParentProcessGuid: '{ec23eae3-315b-62f2-4884-4ea587550000}',
    ParentProcessId: '15369',
    ParentImage: '/bin/bash',
    ParentCommandLine: '-bash',
    ParentUser: 'ubuntu',
    ...data,
  });

export const linuxSysmon3 = (): RawEvent =>
  linuxSysmon('3', {
    TimeCreated: '2022-05-11T18:10:20.465735000Z',
    EventRecordID: '245754',
    Computer: 'UBUNTU5',
  }, {
    RuleName: '-',
    UtcTime: '2022-05-11 18:10:20.472',
    ProcessGuid: '{94325212-f5aa-627b-082b-60e4b9550000}',
    ProcessId: '1774',
    Image: '/opt/microsoft/mdatp/sbin/wdavdaemon',
    User: 'root',
    Protocol: 'tcp',
    Initiated: 'true',
    SourceIsIpv6: 'false',
    SourceIp: '192.168.2.5',
    SourceHostname: '-',
    SourcePort: '51492',
    SourcePortName: '-',
    DestinationIsIpv6: 'false',
    DestinationIp: '104.46.127.225',
    DestinationHostname: '-',
    DestinationPort: '443',
    DestinationPortName: '-',
  });

export const linuxSysmon5 = (image: string): RawEvent =>
  linuxSysmon('5', {
    TimeCreated: '2021-10-24T17:05:46.927191000Z',
    EventRecordID: '11',
    Computer: 'james-ubuntu-demo',
  }, {
    RuleName: '-',
    UtcTime: '2021-10-24 17:05:46.699',
    ProcessGuid: '{d65774de-8d10-6175-0000-000000000000}',
    ProcessId: '3107',
    Image: image,
    User: 'root',
  });
