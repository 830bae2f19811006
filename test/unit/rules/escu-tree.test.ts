import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadDetections } from '../../../src/rules/escu.js';
import { repoRoot, sharedData, sharedDataMissing } from '../../helpers/paths.js';
import { jsonLines, runCli } from '../cli/run-cli.js';
import { sysmonProcess } from '../../helpers/sysmon-json.js';

const escuTree = path.join(repoRoot, 'test', 'fixtures', 'escu');
const escuDetections = path.join(escuTree, 'detections');
const netshFile = path.join(escuDetections, 'endpoint', 'windows_proxy_via_netsh.yml');

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tw-escu-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("ESCU detections load unchanged from ESCU's layout, with macros read from the sibling macros/ folder", async () => {
  const { detections, errors } = await loadDetections([escuDetections]);
  assert.deepEqual(errors, []);
  assert.deepEqual(detections.map((d) => d.name), [
    'Attacker Tools On Endpoint', 'Detect RTLO In Process', 'Executables Or Script Creation In Suspicious Path', 'Java Writing JSP File',
    'Office Application Drop Executable', 'Registry Keys Used For Persistence', 'Windows Proxy Via Netsh', 'Windows Proxy Via Registry',
    'Windows WinLogon with Public Network Connection',
  ]);
  const netsh = detections.find((d) => d.name === 'Windows Proxy Via Netsh')!;
  // macros/process_netsh.yml: (Processes.process_name=netsh.exe OR Processes.original_file_name=netsh.exe)
  assert.deepEqual((netsh.plan.where as { terms: unknown[] }).terms[0], {
    kind: 'or',
    terms: [
      { kind: 'compare', field: 'process_name', op: '=', pattern: 'netsh.exe' },
      { kind: 'compare', field: 'original_file_name', op: '=', pattern: 'netsh.exe' },
    ],
  });
  assert.equal(detections.find((d) => d.name === 'Windows Proxy Via Registry')!.plan.dataset, 'Endpoint.Registry');
});

test('outside an ESCU tree the same file fails on its macro, at the macro', async (t) => {
  const dir = await tempDir(t);
  const text = await readFile(netshFile, 'utf8');
  await writeFile(path.join(dir, 'netsh.yml'), text);
  const { detections, errors } = await loadDetections([dir]);
  assert.deepEqual(detections, []);
  assert.equal(errors.length, 1);
  const line = text.split('\n').findIndex((l) => l.startsWith('search:')) + 1;
  assert.equal(errors[0].line, line);
  assert.equal(errors[0].col, text.split('\n')[line - 1].indexOf('`process_netsh`') + 1);
  assert.match(errors[0].message, /unknown macro `process_netsh`/);
});

test('a macro file that cannot load says why, where the detection uses it', async (t) => {
  const dir = await tempDir(t);
  await cp(escuTree, dir, { recursive: true });
  await writeFile(path.join(dir, 'macros', 'process_netsh.yml'), 'name: process_netsh\ndescription: no definition\n');
  const { errors } = await loadDetections([path.join(dir, 'detections')]);
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /macro `process_netsh` cannot be loaded: .*process_netsh\.yml:1:1: definition: /);
  assert.match(errors[0].file, /windows_proxy_via_netsh\.yml$/);
});

test('risk from tags.observable and tags.risk_score, as ES gave it before rba:', async () => {
  const { detections } = await loadDetections([escuDetections]);
  assert.deepEqual(detections.find((d) => d.name === 'Windows Proxy Via Netsh')?.risk, {
    message: 'A process $process_name$ has launched netsh with command-line $process$ on $dest$.',
    riskObjects: [
      { field: 'dest', type: 'system', score: 49 },
      { field: 'user', type: 'user', score: 49 },
    ],
    threatObjects: [],
  });
});

test('validate warns, without failing, when a detection has no risk metadata', async (t) => {
  const dir = await tempDir(t);
  await cp(escuTree, dir, { recursive: true });
  const file = path.join(dir, 'detections', 'endpoint', 'windows_proxy_via_netsh.yml');
  const text = await readFile(file, 'utf8');
  const stripped = text.replace(/^ {2}risk_score: 49\n/m, '');
  assert.notEqual(stripped, text);
  await writeFile(file, stripped);
  const r = runCli(['validate', path.join(dir, 'detections')]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const tagsLine = stripped.split('\n').findIndex((l) => l.startsWith('tags:')) + 2;
  assert.equal(r.stdout, `${file}:${tagsLine}:3: warning: no risk metadata (neither rba: nor tags.observable with tags.risk_score and tags.message): its findings give no risk events\n`);
  assert.match(r.stderr, /OK, 1 warning\(s\)/);
});

test("ESCU's netsh and registry proxy detections fire on real netsh portproxy captures, with risk", { skip: sharedDataMissing }, async (t) => {
  const dir = await tempDir(t);
  const riskOut = path.join(dir, 'risk.jsonl');
  const r = runCli([
    'scan', '-q', '-f', 'jsonl', '--no-progress', '-r', escuDetections, '--risk-out', riskOut,
    path.join(sharedData, 'tunnel', 'ID4688-netsh-RDP-port-forwarding-abuse.evtx'),
    path.join(sharedData, 'evtx-sysmon', 'panache_sysmon_vs_EDRTestingScript.evtx'),
  ]);
  assert.equal(r.status, 0, r.stderr);
  const findings = jsonLines(r.stdout);
  const netsh = findings.filter((f) => f.search_name === 'Windows Proxy Via Netsh');
  // Security 4688 (the tunnel capture) and Sysmon 1 (panache): netsh portproxy add/delete v4tov4
  assert.ok(netsh.some((f) => String(f.process).includes('portproxy add v4tov4 listenaddress=0.0.0.0 listenport=48333')), JSON.stringify(netsh));
  assert.ok(netsh.every((f) => f.process_name === 'netsh.exe'));
  const registry = findings.filter((f) => f.search_name === 'Windows Proxy Via Registry');
  assert.deepEqual(
    registry.map((f) => [f.registry_path, f.action]).sort(),
    [
      ['HKLM\\System\\CurrentControlSet\\Services\\PortProxy\\v4tov4\\tcp\\0.0.0.0/8080', 'deleted'],
      ['HKLM\\System\\CurrentControlSet\\Services\\PortProxy\\v4tov4\\tcp\\0.0.0.0/8080', 'modified'],
    ],
  );
  const risk = jsonLines(await readFile(riskOut, 'utf8'));
  assert.ok(risk.some((e) => e.search_name === 'Windows Proxy Via Registry' && e.risk_object === 'msedgewin10' && e.risk_score === 49));
});

test("ESCU's lookup and rex detections run from the tree's lookups/: attacker tools by the CSV, RTLO by rex and eval", async (t) => {
  const dir = await tempDir(t);
  const events = path.join(dir, 'sysmon.jsonl');
  await writeFile(events, [
    sysmonProcess('2026-03-10T12:00:00.000Z', 'C:\\Tools\\remcom.exe', 'remcom.exe \\\\srv cmd'),
    sysmonProcess('2026-03-10T12:00:01.000Z', 'C:\\Windows\\notepad.exe', 'notepad.exe a.txt'),
    sysmonProcess('2026-03-10T12:00:02.000Z', 'C:\\Users\\bob\\invoice.exe', 'invoice\u202Efdp.exe'),
  ].join('\n') + '\n');
  const r = runCli(['scan', '-q', '-f', 'jsonl', '--no-progress', '-r', escuDetections, events]);
  assert.equal(r.status, 0, r.stderr);
  const findings = jsonLines(r.stdout);
  const tools = findings.filter((f) => f.search_name === 'Attacker Tools On Endpoint');
  // lookups/attacker_tools.csv: remcom.exe is listed (WILDCARD, case-insensitive); notepad.exe gets default_match 'false' and is filtered out
  assert.deepEqual(tools.map((f) => [f.process_name, f.description]), [['remcom.exe', 'This process is an open source replacement to psexec and is not typically seen in an enterprise environment.']]);
  const rtlo = findings.filter((f) => f.search_name === 'Detect RTLO In Process');
  // rex splits around U+202E, eval joins the halves, fields - RTLO* drops the pieces
  assert.deepEqual(rtlo.map((f) => [f.process, f.process_with_RTLO]), [['invoicefdp.exe', 'invoice\u202Efdp.exe']]);
  assert.ok(rtlo.every((f) => Object.keys(f).every((k) => !k.startsWith('RTLO'))));
});

/** Security 4657 as Microsoft documents its XML ("4657(S): A registry value was modified"): no capture exists */
const security4657Xml = `<Events><Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-A5BA-3E3B0328C30D}'/><EventID>4657</EventID><Version>0</Version><Level>0</Level><Task>12801</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime='2026-03-10T12:00:00.000Z'/><EventRecordID>744725</EventRecordID><Correlation/><Execution ProcessID='4' ThreadID='4824'/><Channel>Security</Channel><Computer>DC01.contoso.local</Computer><Security/></System><EventData><Data Name='SubjectUserSid'>S-1-5-21-3457937927-2839227994-823803824-1104</Data><Data Name='SubjectUserName'>dadmin</Data><Data Name='SubjectDomainName'>CONTOSO</Data><Data Name='SubjectLogonId'>0x364eb</Data><Data Name='ObjectName'>\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run</Data><Data Name='ObjectValueName'>Updater</Data><Data Name='HandleId'>0x54</Data><Data Name='OperationType'>%%1904</Data><Data Name='OldValueType'>-</Data><Data Name='OldValue'>-</Data><Data Name='NewValueType'>%%1873</Data><Data Name='NewValue'>C:\\Users\\Public\\updater.exe</Data><Data Name='ProcessId'>0xce4</Data><Data Name='ProcessName'>C:\\Windows\\regedit.exe</Data></EventData></Event></Events>
`;

/** CrowdStrike FDR events by their documented field names (no capture of these exists either) */
function crowdstrikeLine(event_simpleName: string, data: Record<string, string>): string {
  return JSON.stringify({ event_simpleName, timestamp: '1773144000000', aid: '168a90e125d443beb2a4e2914985084d', ComputerName: 'WKS-01', event_platform: 'Win', ContextProcessId: '5642133882', ...data });
}

test("ESCU's Registry and Filesystem detections fire on Security 4657 and CrowdStrike registry and file-write events", async (t) => {
  const dir = await tempDir(t);
  const xml = path.join(dir, 'security-4657.xml');
  const jsonl = path.join(dir, 'crowdstrike.jsonl');
  await writeFile(xml, security4657Xml);
  await writeFile(jsonl, [
    crowdstrikeLine('AsepValueUpdate', { RegObjectName: '\\REGISTRY\\USER\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run', RegValueName: 'Updater', RegStringValue: 'C:\\Users\\Public\\updater.exe' }),
    crowdstrikeLine('RegGenericValueUpdate', { RegObjectName: '\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor', RegValueName: 'Setting', RegStringValue: 'x' }),
    crowdstrikeLine('NewExecutableWritten', { TargetFileName: '\\Device\\HarddiskVolume2\\Users\\Public\\updater.exe' }),
    crowdstrikeLine('PeFileWritten', { TargetFileName: '\\Device\\HarddiskVolume2\\Program Files\\Vendor\\app.dll' }),
  ].join('\n') + '\n');
  for (const prefilter of [[], ['--no-prefilter']]) {
    const r = runCli(['scan', '-q', '-f', 'jsonl', '--no-progress', ...prefilter, '-r', escuDetections, xml, jsonl]);
    assert.equal(r.status, 0, r.stderr);
    const findings = jsonLines(r.stdout);
    const persistence = findings.filter((f) => f.search_name === 'Registry Keys Used For Persistence');
    assert.deepEqual(persistence.map((f) => [f.dest, f.registry_path, f.registry_value_data]).sort(), [
      ['DC01.contoso.local', '\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater', 'C:\\Users\\Public\\updater.exe'],
      ['WKS-01', '\\REGISTRY\\USER\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater', 'C:\\Users\\Public\\updater.exe'],
    ], String(prefilter));
    const written = findings.filter((f) => f.search_name === 'Executables Or Script Creation In Suspicious Path');
    // grouped by file_create_time, process_id, file_name and user (CrowdStrike gives only the name: the others are `null`)
    assert.deepEqual(written.map((f) => [f.file_name, f.file_path, f.process_id]), [['updater.exe', ['\\Device\\HarddiskVolume2\\Users\\Public\\updater.exe'], 'null']], String(prefilter));
  }
});
