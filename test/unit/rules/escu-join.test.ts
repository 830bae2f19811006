import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadDetections } from '../../../src/rules/escu.js';
import { repoRoot } from '../../helpers/paths.js';
import { sysmonFileCreate, sysmonProcess } from '../../helpers/sysmon-json.js';
import { jsonLines, runCli } from '../cli/run-cli.js';

/**
 * ESCU's own join detections, copied unchanged into test/fixtures/escu: `Office Application Drop
 * Executable` (join on process_guid and the hour, then dedup and table) and `Java Writing JSP File`
 * (join on process_guid, then stats over the joined rows). Events are Sysmon 1 and 11 as NXLog
 * writes them: processes in one file, file writes in another.
 */
const escuDetections = path.join(repoRoot, 'test', 'fixtures', 'escu', 'detections');

const WINWORD = '{11111111-1111-1111-1111-111111111111}';
const EXCEL = '{22222222-2222-2222-2222-222222222222}';
const POWERSHELL = '{33333333-3333-3333-3333-333333333333}';
const JAVA = '{44444444-4444-4444-4444-444444444444}';
const word = 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE';
const java = 'C:\\Program Files\\Java\\jdk-17\\bin\\java.exe';

const processes = [
  sysmonProcess('2026-03-10T12:00:00.000Z', word, '"WINWORD.EXE" /n invoice.docm', WINWORD),
  sysmonProcess('2026-03-10T12:01:00.000Z', 'C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE', '"EXCEL.EXE" report.xlsx', EXCEL),
  sysmonProcess('2026-03-10T12:02:00.000Z', 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', 'powershell -nop', POWERSHELL),
  sysmonProcess('2026-03-10T14:00:00.000Z', java, 'java -jar app.jar', JAVA),
];
const writes = [
  // Word drops an executable in the hour it ran: the row that fires
  sysmonFileCreate('2026-03-10T12:05:00.000Z', word, WINWORD, 'C:\\Users\\bob\\AppData\\Local\\Temp\\payload.exe'),
  // ... a document (not in the subsearch), and an executable the next hour (another _time bucket)
  sysmonFileCreate('2026-03-10T12:06:00.000Z', word, WINWORD, 'C:\\Users\\bob\\Documents\\notes.docx'),
  sysmonFileCreate('2026-03-10T13:10:00.000Z', word, WINWORD, 'C:\\Users\\bob\\AppData\\Local\\Temp\\later.exe'),
  // PowerShell is no Office application: its executable joins no row
  sysmonFileCreate('2026-03-10T12:03:00.000Z', 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', POWERSHELL, 'C:\\Users\\bob\\x.exe'),
  sysmonFileCreate('2026-03-10T14:00:30.000Z', java, JAVA, 'C:\\tomcat\\webapps\\ROOT\\shell.jsp'),
];

test("ESCU's join detections load unchanged, the subsearch a second tstats over Endpoint.Filesystem", async () => {
  const { detections, errors } = await loadDetections([escuDetections]);
  assert.deepEqual(errors, []);
  for (const name of ['Office Application Drop Executable', 'Java Writing JSP File']) {
    const join = detections.find((d) => d.name === name)?.output.rowStages.find((s) => s.kind === 'join');
    assert.equal(join?.kind, 'join', name);
    assert.equal(join.search.plan.dataset, 'Endpoint.Filesystem');
    assert.equal(join.type, 'inner');
  }
});

test("ESCU's join detections fire on Sysmon 1 and 11, the same with and without the prefilter and across threads", async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tw-escu-join-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const processFile = path.join(dir, 'processes.jsonl');
  const writeFile_ = path.join(dir, 'writes.jsonl');
  await writeFile(processFile, processes.join('\n') + '\n');
  await writeFile(writeFile_, writes.join('\n') + '\n');
  const outputs = [[], ['--no-prefilter'], ['-t', '2']].map((options) => {
    const r = runCli(['scan', '-q', '-f', 'jsonl', '--no-progress', ...options, '-r', escuDetections, processFile, writeFile_]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  });
  assert.equal(outputs[1], outputs[0], '--no-prefilter gives the same findings');
  assert.equal(outputs[2], outputs[0], 'two threads (sharing the two files) give the same findings');
  const findings = jsonLines(outputs[0]);
  const office = findings.filter((f) => f.search_name === 'Office Application Drop Executable');
  // table dest, process_name, process, file_create_time, file_name, file_path, process_guid
  assert.deepEqual(office.map((f) => [f.dest, f.process_name, f.process, f.file_create_time, f.file_name, f.file_path, f.process_guid]), [
    ['WS-7.acme.example', 'WINWORD.EXE', '"WINWORD.EXE" /n invoice.docm', '2026-03-10 12:05:00.000', 'payload.exe', 'C:\\Users\\bob\\AppData\\Local\\Temp\\payload.exe', WINWORD],
  ]);
  // the evidence is the row's events and those of the subsearch row it joined: the process and its write
  const evidence = (f: Record<string, unknown>) => (f.evidence as Array<{ source: string; event_code: string }>).map((e) => [path.basename(e.source), e.event_code]);
  assert.deepEqual(office.map(evidence), [[['processes.jsonl', '1'], ['writes.jsonl', '11']]]);
  assert.deepEqual(office.map((f) => f.evidence_count), [2]);
  const jsp = findings.filter((f) => f.search_name === 'Java Writing JSP File');
  // through the stats after the join too
  assert.deepEqual(jsp.map(evidence), [[['processes.jsonl', '1'], ['writes.jsonl', '11']]]);
  // the subsearch's _time (the write, 14:00:30) overwrote the process row's (14:00:00) before stats took min/max
  assert.deepEqual(jsp.map((f) => [f.process_name, f.file_name, f.firstTime, f.lastTime, f.user]), [['java.exe', 'shell.jsp', '2026-03-10T14:00:30', '2026-03-10T14:00:30', 'ACME\\bob']]);
});
