/**
 * Log values an attacker controls, shaped to break out of HTML text, attributes and script: the
 * report and the dashboard must show them as text. Each would set `window.__pwned` if it ran.
 */
export const hostileCommandLine = `"C:\\ProgramData\\x\\msedgeupd.exe" tunnel --no-autoupdate run --token AAAA <script>window.__pwned='script';alert(1)</script>`;
export const hostileUser = `ACME\\"><img src=x onerror="window.__pwned='img';alert(2)">`;

/** One NXLog-style Sysmon process start that raises findings and carries the hostile values. */
export function hostileSysmonLine(): string {
  return JSON.stringify({
    SourceName: 'Microsoft-Windows-Sysmon',
    Channel: 'Microsoft-Windows-Sysmon/Operational',
    Hostname: 'SRV-XSS-01.acme.example',
    EventID: 1,
    UtcTime: '2026-03-10 13:12:41.375',
    ProcessGuid: '{9E3A6B14-69AF-FCFF-1B15-0000000002F1}',
    ProcessId: '8412',
    Image: 'C:\\ProgramData\\x\\msedgeupd.exe',
    OriginalFileName: '-',
    CommandLine: hostileCommandLine,
    CurrentDirectory: 'C:\\Windows\\system32\\',
    User: hostileUser,
    IntegrityLevel: 'System',
    ParentProcessGuid: '{9E3A6B14-69AF-5445-1A57-00000000000B}',
    ParentProcessId: '716',
    ParentImage: 'C:\\Windows\\System32\\services.exe',
    ParentCommandLine: 'C:\\Windows\\system32\\services.exe',
  });
}
