import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { contentDir, runCli } from './run-cli.js';

test('validate on the shipped content is clean (exit 0)', () => {
  const r = runCli(['validate']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, '');
});

test('validate lists every error of a broken detection with file:line:col and exits 1', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tw-validate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const original = await readFile(path.join(contentDir, 'detections', 'windows_ngrok_reverse_proxy_usage.yml'), 'utf8');
  const broken = original
    .replace(/^id: .*$/m, 'id: not-a-uuid')
    .replace(/^type: .*$/m, 'type: Alert')
    .replace(/^(\s+- )T1090$/m, '$1T90')
    .replace(/Sysmon EventID 1$/m, 'Sysmon EventID 9999')
    .replace('Processes.process_name=ngrok.exe', 'Processes.process_nam=ngrok.exe');
  for (const [what, changed] of [['T90', /T90$/m], ['EventID 9999', /EventID 9999/], ['process_nam', /process_nam=/]] as const) {
    assert.match(broken, changed, `the copy was broken for ${what}`);
  }
  const file = path.join(dir, 'broken.yml');
  await writeFile(file, broken);
  const r = runCli(['validate', file]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const lines = r.stdout.trim().split('\n');
  const lineOf = (pattern: RegExp) => broken.split('\n').findIndex((l) => pattern.test(l)) + 1;
  const expectations: Array<[RegExp, number]> = [
    [/: id: /, lineOf(/^id: /)],
    [/: type: /, lineOf(/^type: /)],
    [/tags\.mitre_attack_id\.\d+: MITRE ATT&CK ids look like/, lineOf(/- T90$/)],
    [/unknown data source 'Sysmon EventID 9999'/, lineOf(/EventID 9999/)],
    [/search: .*process_nam/, lineOf(/process_nam=/)],
  ];
  for (const [message, line] of expectations) {
    const hit = lines.find((l) => message.test(l));
    assert.ok(hit, `missing ${message} in:\n${r.stdout}`);
    assert.match(hit, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}:\\d+: `), hit);
  }
});

test('validate recognises tuning files by content and reports every error in them', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tw-validate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'tuning.yml');
  await writeFile(file, 'windows_ngrok_reverse_proxy_usage_filter: search NOT usr="x"\nnope_filter: search user="a"\n');
  const r = runCli(['validate', file, path.join(contentDir, 'tuning.example.yml')]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /tuning\.yml:1:\d+: .*'usr' is not an output column/);
  assert.match(r.stdout, /tuning\.yml:2:1: 'nope_filter' is not the filter macro/);
  assert.doesNotMatch(r.stdout, /tuning\.example\.yml/);
});

test('validate accepts a correlation\'s own filter macro (<file name>_filter) and checks its columns', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tw-validate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const good = path.join(dir, 'good.yml');
  await writeFile(good, 'confirmed_tunnel_process_beacon_filter: search NOT dest="wks-fin-014.acme.example"\n');
  const ok = runCli(['validate', good]);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  const bad = path.join(dir, 'bad.yml');
  await writeFile(bad, 'confirmed_tunnel_process_beacon_filter: search NOT hostname="x"\n');
  const r = runCli(['validate', bad]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /bad\.yml:1:\d+: .*'hostname' is not an output column of 'Confirmed Tunnel - Tunnel Process Reaches Tunnel Service'/);
});
