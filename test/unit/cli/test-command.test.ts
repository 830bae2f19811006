import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { contentDir, runCli } from './run-cli.js';

test('tunnelwatch test passes for every shipped detection', async () => {
  const r = runCli(['test']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const files = (await readdir(path.join(contentDir, 'detections'))).filter((f) => f.endsWith('.yml'));
  assert.ok(files.length >= 7);
  const rows = r.stdout.trim().split('\n').slice(1);
  for (const file of files) {
    const name = /^name: (.+)$/m.exec(await readFile(path.join(contentDir, 'detections', file), 'utf8'))?.[1];
    const mine = rows.filter((row) => row.startsWith(`${name} `));
    assert.ok(mine.length > 0, `${name} is listed`);
    for (const row of mine) assert.match(row, / PASS\b/, row);
  }
  assert.doesNotMatch(r.stdout, /\bFAIL\b/);
});

/** A copy of one shipped detection and its attack data, laid out like content/. */
async function copyDetection(file: string): Promise<{ root: string; yml: string; text: string }> {
  const root = await mkdtemp(path.join(tmpdir(), 'tw-test-'));
  const text = await readFile(path.join(contentDir, 'detections', file), 'utf8');
  await cp(path.join(contentDir, 'detections', file), path.join(root, 'detections', file), { recursive: true });
  for (const m of text.matchAll(/^\s*- data:\s*(\S+)/gm)) await cp(path.join(contentDir, m[1]), path.join(root, m[1]), { recursive: true });
  return { root, yml: path.join(root, 'detections', file), text };
}

test('tunnelwatch test fails (exit 1) and reports the row when a test expects a different count', async (t) => {
  const { root, yml, text } = await copyDetection('windows_ngrok_reverse_proxy_usage.yml');
  t.after(() => rm(root, { recursive: true, force: true }));
  const first = /findings:\s*(\d+)/.exec(text);
  assert.ok(first, 'the detection has an expected findings count');
  const wrong = Number(first[1]) + 1;
  await writeFile(yml, text.replace(/findings:\s*\d+/, `findings: ${wrong}`));
  const r = runCli(['test', '--rules', path.join(root, 'detections')]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const failing = r.stdout.split('\n').find((l) => /\bFAIL\b/.test(l));
  assert.ok(failing, r.stdout);
  assert.match(failing, /^Windows Ngrok Reverse Proxy Usage /);
  assert.match(failing, new RegExp(`expected ${wrong} finding\\(s\\), got ${first[1]}`));
});

test('a test whose attack data file is missing fails with the path in the reason', async (t) => {
  const { root, yml, text } = await copyDetection('windows_ngrok_reverse_proxy_usage.yml');
  t.after(() => rm(root, { recursive: true, force: true }));
  await writeFile(yml, text.replace(/- data:\s*\S+/, '- data: tests/nowhere/missing.log'));
  const r = runCli(['test', '--rules', yml]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /FAIL\s+attack data not found: tests\/nowhere\/missing\.log/);
});

test('an expected row that no finding matches is a failure naming the row', async (t) => {
  const { root, yml, text } = await copyDetection('windows_ngrok_reverse_proxy_usage.yml');
  t.after(() => rm(root, { recursive: true, force: true }));
  const withRow = text.replace(/- \{ dest: '[^']*'/, "- { dest: 'no-such-host'");
  assert.notEqual(withRow, text);
  await writeFile(yml, withRow);
  const r = runCli(['test', 'Windows Ngrok Reverse Proxy Usage', '--rules', yml]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /no finding matches \{"dest":"no-such-host",/);
  // and the rows the detection did produce, in the columns the expectation names, to compare with
  const actual = r.stdout.split('\n').filter((l) => l.startsWith('    actual row: ')).map((l) => JSON.parse(l.slice('    actual row: '.length)) as Record<string, string>);
  assert.ok(actual.some((row) => row.dest === '9a0c4e2b71f84c3da5e6b7d8c9f01234' && row.user === 'dave' && row.process_id === '8872'), r.stdout);
  assert.ok(Object.keys(actual[0]).includes('count'));
  assert.ok(!Object.keys(actual[0]).includes('process_hash'), 'a column no expected row names is left out');
});
