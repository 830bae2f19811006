import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliPath, contentDir, examplesDir, jsonLines, runCli } from './run-cli.js';

const tuningExample = path.join(contentDir, 'tuning.example.yml');
const isLinuxNgrokDeploy = (r: Record<string, unknown>) => r.search_name === 'Linux Ngrok Reverse Proxy Usage' && r.user === 'deploy';

test('a tuning file silences the authorised ngrok user and the summary says how many it suppressed', () => {
  const untuned = jsonLines(runCli(['scan', examplesDir, '-f', 'jsonl', '-q']).stdout);
  const before = untuned.filter(isLinuxNgrokDeploy).length;
  assert.ok(before > 0, 'examples/ has the ngrok findings the example tuning authorises');

  const r = runCli(['scan', examplesDir, '-f', 'jsonl', '--tuning', tuningExample, '--no-progress']);
  assert.equal(r.status, 0, r.stderr);
  const rows = jsonLines(r.stdout);
  assert.equal(rows.filter(isLinuxNgrokDeploy).length, 0);
  assert.equal(rows.length, untuned.length - before);
  assert.match(r.stderr, new RegExp(`suppressed by tuning \\(.*tuning\\.example\\.yml\\): ${before}\\n {2}Linux Ngrok Reverse Proxy Usage: ${before}`));
});

test('--show-suppressed lists suppressed findings, marked with their filter macro', () => {
  const rows = jsonLines(runCli(['scan', examplesDir, '-f', 'jsonl', '-q', '--tuning', tuningExample, '--show-suppressed']).stdout);
  const marked = rows.filter((r) => r.suppressed_by !== undefined);
  assert.ok(marked.length > 0);
  for (const r of marked) {
    assert.ok(isLinuxNgrokDeploy(r));
    assert.equal(r.suppressed_by, 'linux_ngrok_reverse_proxy_usage_filter');
  }
});

test('./tunnelwatch.tuning.yml is picked up automatically, and stderr says so', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tw-tuning-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await copyFile(tuningExample, path.join(dir, 'tunnelwatch.tuning.yml'));
  const r = runCli(['scan', examplesDir, '-f', 'jsonl', '--no-progress'], dir);
  assert.match(r.stderr, /using tuning file \.\/tunnelwatch\.tuning\.yml/);
  assert.equal(jsonLines(r.stdout).filter(isLinuxNgrokDeploy).length, 0);
});

test('an invalid tuning file stops the scan (exit 2) with every error located', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tw-tuning-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const r = runCli(['scan', examplesDir, '--tuning', path.join(contentDir, 'mitre', 'techniques.yml')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /techniques\.yml:\d+:\d+: 'T1003' is not the filter macro/);
  assert.match(r.stderr, /nothing was scanned/);
});

test('scan of examples/ with --risk-out writes risk events and shows at least one risk incident', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tw-risk-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const riskFile = path.join(dir, 'risk.jsonl');
  const r = runCli(['scan', examplesDir, '-f', 'jsonl', '--risk-out', riskFile, '--no-progress']);
  assert.equal(r.status, 0, r.stderr);
  const events = jsonLines(await readFile(riskFile, 'utf8'));
  assert.ok(events.length > 0);
  for (const e of events) {
    for (const key of ['_time', 'risk_object', 'risk_object_type', 'risk_score', 'risk_message', 'search_name', 'analytic_story', 'annotations', 'threat_object', 'threat_object_type', 'finding_id']) {
      assert.ok(key in e, `risk event has ${key}`);
    }
    assert.notEqual(e.search_name, 'Windows Potential Cloudflared Network Connection', 'Hunting detections raise no risk');
  }
  const rows = jsonLines(r.stdout);
  assert.ok(rows.every((row) => row.kind === 'finding' || row.kind === 'risk_incident'), 'every row says what it is');
  const incidents = rows.filter((row) => row.kind === 'risk_incident');
  assert.ok(incidents.length >= 1, 'at least one risk incident');
  assert.ok((incidents[0].risk_score as number) > 100 || (incidents[0].mitre_tactics as string[]).length >= 3);
  assert.match(r.stderr, /risk events: \d+ \(written to .*risk\.jsonl\); risk incidents: [1-9]/);

  const table = runCli(['scan', examplesDir, '-f', 'table', '-q']);
  assert.match(table.stdout, /Risk incidents \(score > 100 or >= 3 ATT&CK tactics within 24 h\): [1-9]/);
  const only = jsonLines(runCli(['scan', examplesDir, '-f', 'jsonl', '-q', '--incidents-only']).stdout);
  assert.ok(only.length >= 1 && only.every((row) => row.kind === 'risk_incident'));
  const strict = jsonLines(runCli(['scan', examplesDir, '-f', 'jsonl', '-q', '--incidents-only', '--risk-threshold', '100000']).stdout);
  assert.ok(strict.length < only.length, '--risk-threshold raises the bar');
});

test('--drilldown attaches runnable commands; the scan command narrows to the finding', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tw-drill-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const riskFile = path.join(dir, 'risk.jsonl');
  const rows = jsonLines(runCli(['scan', examplesDir, '-f', 'jsonl', '-q', '--drilldown', '--risk-out', riskFile, '--detection', 'Windows Ngrok Reverse Proxy Usage']).stdout);
  const finding = rows.find((row) => row.kind === 'finding');
  assert.ok(finding);
  const drilldowns = finding.drilldowns as Array<{ name: string; command: string }>;
  assert.equal(drilldowns.length, 2);
  assert.match(drilldowns[0].command, /^tunnelwatch scan --detection e2549f2c-0aef-408a-b0c1-e0f270623436 --from \S+Z --to \S+Z --where 'user=".+" dest=".+"' /);
  assert.match(drilldowns[1].command, new RegExp(`^tunnelwatch risk --object .+ --since 7d --until \\S+Z ${riskFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));

  // run the drilldown as a shell would split it (its quoting is POSIX single quotes)
  const where = /--where '([^']*)'/.exec(drilldowns[0].command)?.[1] as string;
  const from = /--from (\S+)/.exec(drilldowns[0].command)?.[1] as string;
  const to = /--to (\S+)/.exec(drilldowns[0].command)?.[1] as string;
  const narrowed = jsonLines(runCli(['scan', '--detection', finding.detection_id as string, '--from', from, '--to', to, '--where', where, examplesDir, '-f', 'jsonl', '-q']).stdout);
  assert.ok(narrowed.length >= 1);
  assert.ok(narrowed.some((row) => row.finding_id === finding.finding_id));
  for (const row of narrowed.filter((x) => x.kind === 'finding')) {
    assert.equal(row.user, finding.user);
    assert.equal(row.dest, finding.dest);
  }

  const risk = runCli(['risk', '--object', finding.dest as string, '--since', '7d', '--until', to, riskFile]);
  assert.equal(risk.status, 0, risk.stderr);
  // the risk object is the host as one entity (lower-cased short name); the finding's spelling is an alias
  const host = (finding.dest as string).toLowerCase().split('.')[0];
  assert.match(risk.stdout, new RegExp(`^${host} \\(system\\): \\d+ risk event\\(s\\), score \\d+`, 'm'));
  assert.match(risk.stdout, new RegExp(`^  also: +.*${(finding.dest as string).replace(/[.]/g, '\\.')}`, 'm'));
  assert.match(risk.stdout, /tactics: {4}command-and-control/);
  assert.match(risk.stdout, /detections: Windows Ngrok Reverse Proxy Usage/);
});

test('the printed drilldown commands run as printed in a shell, the risk one writing its risk file when the scan wrote none', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tw-drill-sh-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // `tunnelwatch` on PATH, as after npm install -g
  await mkdir(path.join(dir, 'bin'));
  await writeFile(path.join(dir, 'bin', 'tunnelwatch'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(cliPath)} "$@"\n`, { mode: 0o755 });
  const env = { ...process.env, PATH: `${path.join(dir, 'bin')}:${process.env.PATH}` };
  // two rule paths: each is repeated with its own --rules in the printed commands
  const rules = [path.join(contentDir, 'detections', 'windows_ngrok_reverse_proxy_usage.yml'), path.join(contentDir, 'detections', 'tunnelwatch')];
  const rows = jsonLines(runCli(['scan', examplesDir, '-f', 'jsonl', '-q', '--drilldown', ...rules.flatMap((r) => ['--rules', r]), '--detection', 'Windows Ngrok Reverse Proxy Usage']).stdout);
  const finding = rows.find((row) => row.kind === 'finding');
  assert.ok(finding);
  const [narrow, risk] = (finding.drilldowns as Array<{ command: string }>).map((d) => d.command);
  const sh = (command: string) => spawnSync('/bin/sh', ['-c', command], { cwd: dir, env, encoding: 'utf8' });
  const narrowed = sh(narrow);
  assert.equal(narrowed.status, 0, narrowed.stderr);
  assert.ok(jsonLines(narrowed.stdout).some((row) => row.finding_id === finding.finding_id), narrow);
  const riskRun = sh(risk);
  assert.equal(riskRun.status, 0, `${risk}\n${riskRun.stderr}`);
  assert.match(riskRun.stdout, /risk event\(s\), score \d+/);
  assert.match(riskRun.stdout, /detections: .*Windows Ngrok Reverse Proxy Usage/);
});

test('an unknown detection name is a usage error (exit 2) naming close matches', () => {
  const r = runCli(['scan', examplesDir, '--detection', 'Windows Ngrok Reverse Proxy Usge']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown detection 'Windows Ngrok Reverse Proxy Usge' \(did you mean: Windows Ngrok Reverse Proxy Usage/);
});

test('--story, --mitre and --from/--to select detections and events', () => {
  const all = jsonLines(runCli(['scan', examplesDir, '-f', 'jsonl', '-q']).stdout).filter((r) => r.kind === 'finding');
  const t1090 = jsonLines(runCli(['scan', examplesDir, '-f', 'jsonl', '-q', '--mitre', 'T1090']).stdout).filter((r) => r.kind === 'finding');
  assert.ok(t1090.length > 0 && t1090.length < all.length);
  assert.ok(t1090.every((r) => (r.mitre_attack_id as string[]).some((id) => id.startsWith('T1090'))));
  const story = jsonLines(runCli(['scan', examplesDir, '-f', 'jsonl', '-q', '--story', 'reverse network proxy']).stdout).filter((r) => r.kind === 'finding');
  assert.equal(story.length, all.length);
  const late = jsonLines(runCli(['scan', examplesDir, '-f', 'jsonl', '-q', '--from', '2026-03-11T00:00:00Z', '--to', 'now']).stdout).filter((r) => r.kind === 'finding');
  assert.ok(late.length > 0 && late.length < all.length);
  assert.ok(late.every((r) => (r.firstTime as string) >= '2026-03-11T00:00:00'));
});

test('a correlation is tuned by its own filter macro: its suppressed findings leave the output and are counted', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tw-corr-tuning-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const tuning = path.join(dir, 'tuning.yml');
  await writeFile(tuning, 'confirmed_tunnel_process_beacon_filter: search NOT dest="wks-fin-014.acme.example"\n');
  const correlations = (args: string[]) => jsonLines(runCli(['scan', '-f', 'jsonl', '-q', examplesDir, ...args]).stdout).filter((r) => r.detection_type === 'Correlation');
  const untuned = correlations([]);
  assert.ok(untuned.some((r) => r.dest === 'wks-fin-014.acme.example'), 'the correlation fires on wks-fin-014 without tuning');
  const tuned = correlations(['--tuning', tuning]);
  assert.deepEqual(tuned.map((r) => r.dest), untuned.map((r) => r.dest).filter((d) => d !== 'wks-fin-014.acme.example'));
  const summary = runCli(['scan', '-f', 'jsonl', examplesDir, '--tuning', tuning]).stderr;
  assert.match(summary, /Confirmed Tunnel - Tunnel Process Reaches Tunnel Service: 1/);
});
