/**
 * Inputs a fuzzing campaign found that hung, crashed or silently lost events (issue 19, item 7),
 * each run through the CLI as a user would.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { cliPath, jsonLines, runCli } from './run-cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tw-hardening-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** a flat Sysmon process creation that raises ngrok findings */
const NGROK = JSON.stringify({
  EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Computer: 'h1', UtcTime: '2024-01-01 00:00:00.000',
  Image: 'C:\\Users\\u\\ngrok.exe', CommandLine: 'ngrok tcp 3389', ParentImage: 'C:\\Windows\\explorer.exe', User: 'ACME\\u',
});
const filler = (i: number) => JSON.stringify({ EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Image: `C:\\x\\a${i}.exe`, CommandLine: `a ${i}` });

function write(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

function findingNames(stdout: string): string[] {
  return jsonLines(stdout).map((f) => f.search_name as string).sort();
}

test('a JSON line nested 50,000 deep costs that line only: dump prints the other events, scan reads on', () => {
  const deep = `{"Event":{"System":{"EventID":1},"EventData":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}}`;
  const file = write('deep.jsonl', `${deep}\n${NGROK}\n`);
  const dump = runCli(['dump', file]);
  assert.equal(dump.status, 0, dump.stderr);
  assert.doesNotMatch(dump.stderr, /RangeError|stack/);
  assert.equal(jsonLines(dump.stdout).length, 2);
  const scan = runCli(['scan', '--no-prefilter', '-f', 'jsonl', file]);
  assert.doesNotMatch(scan.stderr, /io-error|Maximum call stack/);
  assert.ok(findingNames(scan.stdout).includes('Windows Ngrok Reverse Proxy Usage'), scan.stdout);
});

test('gzip with trailing garbage is read like gzip -dc: every record, the last line too, and the garbage reported', () => {
  const small = write('small.gz', Buffer.concat([gzipSync(`${NGROK}\n`), Buffer.from('garbage!')]));
  const lines = Array.from({ length: 100_000 }, (_, i) => filler(i));
  // large: the last record has no newline, and the tail looks like the start of another member
  const large = write('large.gz', Buffer.concat([gzipSync(`${lines.join('\n')}\n${NGROK}`), Buffer.from([0x1f, 0x8b, 0, 0])]));
  for (const file of [small, large]) {
    const dump = runCli(['dump', file]);
    const events = jsonLines(dump.stdout);
    assert.equal(events.length, file === small ? 1 : 100_001);
    assert.match(JSON.stringify(events[events.length - 1]), /ngrok tcp 3389/);
    assert.match(dump.stderr, /decompress-error: trailing garbage after the last gzip member/);
    const scan = runCli(['scan', '-f', 'jsonl', file]);
    assert.ok(findingNames(scan.stdout).includes('Windows Ngrok Reverse Proxy Usage'), `${file}: ${scan.stderr}`);
  }
});

/** Runs the CLI asynchronously (a FIFO needs a writer while it runs); kills it after `ms`. */
function runAsync(args: string[], ms: number): Promise<{ status: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args]);
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, ms);
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr, timedOut }); });
  });
}

test('a FIFO inside a scanned directory is skipped and reported, not waited on forever', async () => {
  const d = path.join(dir, 'with-fifo');
  mkdirSync(d);
  execFileSync('mkfifo', [path.join(d, 'a-pipe')]);
  writeFileSync(path.join(d, 'b.jsonl'), `${NGROK}\n`);
  const r = await runAsync(['scan', '-f', 'jsonl', d], 30_000);
  assert.equal(r.timedOut, false, 'the scan finished');
  assert.match(r.stderr, /a-pipe: a FIFO inside a directory is not read/);
  assert.ok(findingNames(r.stdout).includes('Windows Ngrok Reverse Proxy Usage'));
});

test('a FIFO named on the command line is read as a stream, once, its head included', async () => {
  const fifo = path.join(dir, 'named-pipe');
  execFileSync('mkfifo', [fifo]);
  const run = runAsync(['dump', fifo], 30_000);
  const w = await open(fifo, 'w');
  await w.write(`${Array.from({ length: 2000 }, (_, i) => filler(i)).join('\n')}\n${NGROK}\n`);
  await w.close();
  const r = await run;
  assert.equal(r.timedOut, false);
  assert.equal(r.status, 0, r.stderr);
  const events = jsonLines(r.stdout);
  assert.equal(events.length, 2001);
  assert.match(JSON.stringify(events[0]), /a0\.exe/);
});

test('a junk first line (banner, 10 KB line, binary bytes) does not hide the records: the format comes from them, the junk is reported', () => {
  const xml = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>1</EventID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>h1</Computer><TimeCreated SystemTime='2024-01-01T00:00:00.000Z'/></System><EventData><Data Name='Image'>C:\\Users\\u\\ngrok.exe</Data><Data Name='CommandLine'>ngrok tcp 3389</Data><Data Name='ParentImage'>C:\\Windows\\explorer.exe</Data><Data Name='User'>ACME\\u</Data></EventData></Event>";
  const junks = { banner: '=== exported by a tool ===', long: 'x'.repeat(10_000), binary: '\x00\x01\x02\xff\xfe garbage' };
  for (const [kind, junk] of Object.entries(junks)) {
    for (const [format, record] of [['jsonl', NGROK], ['windows-xml', xml]] as const) {
      const file = write(`junk-${kind}.${format}`, Buffer.concat([Buffer.from(junk, 'latin1'), Buffer.from(`\n${record}\n`)]));
      const dump = runCli(['dump', file]);
      assert.equal(jsonLines(dump.stdout).length, 1, `${kind} ${format}: ${dump.stderr}`);
      assert.doesNotMatch(dump.stderr, /unknown-format/);
      assert.match(dump.stderr, /invalid-json|garbage|invalid-utf8|line-too-long/, `${kind} ${format}: the junk is reported`);
      const scan = runCli(['scan', file]);
      assert.ok(findingNames(scan.stdout).includes('Windows Ngrok Reverse Proxy Usage'), `${kind} ${format}: ${scan.stderr}`);
    }
  }
});

test('UTF-16LE with BOM (PowerShell >) is read: Windows XML and JSON lines alike', () => {
  const xml = `<?xml version="1.0" encoding="UTF-16"?>\r\n<Events><Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>1</EventID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>h1</Computer><TimeCreated SystemTime='2024-01-01T00:00:00.000Z'/></System><EventData><Data Name='Image'>C:\\Users\\ü\\ngrok.exe</Data><Data Name='CommandLine'>ngrok tcp 3389</Data><Data Name='ParentImage'>C:\\Windows\\explorer.exe</Data><Data Name='User'>ACME\\ü</Data></EventData></Event></Events>\r\n`;
  for (const [name, text] of [['u16.xml', xml], ['u16.jsonl', `${NGROK}\r\n`]]) {
    const file = write(name, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const dump = runCli(['dump', file]);
    assert.equal(dump.stderr, '', name);
    const events = jsonLines(dump.stdout);
    assert.equal(events.length, 1, name);
    if (name === 'u16.xml') assert.match(JSON.stringify(events[0]), /C:\\\\Users\\\\ü\\\\ngrok\.exe/);
    const scan = runCli(['scan', file]);
    assert.ok(findingNames(scan.stdout).includes('Windows Ngrok Reverse Proxy Usage'), `${name}: ${scan.stderr}`);
  }
});

test('dump -f xml writes one event per line, newlines and control bytes as character references that read back', () => {
  const value = 'line one\nline two\r\tend\x01\x1b[31m';
  const file = write('controls.jsonl', `${JSON.stringify({ EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', CommandLine: value, 'Bad\nName': 'x' })}\n`);
  const dump = runCli(['dump', '-f', 'xml', file]);
  assert.equal(dump.status, 0, dump.stderr);
  const lines = dump.stdout.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1);
  assert.doesNotMatch(lines[0], /[\x00-\x1f\x7f]/);
  // the XML reads back to the same value
  const back = write('controls.xml', `${lines[0]}\n`);
  const json = jsonLines(runCli(['dump', back]).stdout);
  assert.equal((json[0].Event as { EventData: Record<string, string> }).EventData.CommandLine, value);
});

test('a YAML alias bomb in a detection, correlation or Sigma file is a located error, not a stack trace', () => {
  const bomb = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 12; i++) bomb.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
  const rules = path.join(dir, 'bomb-rules');
  mkdirSync(rules);
  writeFileSync(path.join(rules, 'detection.yml'), `name: bomb\nsearch: '| tstats count'\n${bomb.join('\n')}\n`);
  writeFileSync(path.join(rules, 'correlation.yml'), `name: bomb\ncorrelation:\n  steps: []\n${bomb.join('\n')}\n`);
  writeFileSync(path.join(rules, 'sigma.yml'), `title: bomb\nid: b\nlogsource:\n  category: process_creation\n  product: windows\ndetection:\n  sel:\n    Image: x\n  condition: sel\n${bomb.join('\n')}\n`);
  const validate = runCli(['validate', rules]);
  assert.equal(validate.status, 1, validate.stderr);
  assert.doesNotMatch(validate.stderr + validate.stdout, /ReferenceError|at Alias/);
  // the first alias of each file: line 4 (detection) and line 5 (correlation), column 10
  assert.match(validate.stdout, /detection\.yml:4:10: YAML: Excessive alias count/);
  assert.match(validate.stdout, /correlation\.yml:5:10: YAML: Excessive alias count/);
  assert.match(validate.stdout, /sigma\.yml:11:10: YAML: Excessive alias count/);
  const scan = runCli(['scan', '-r', path.join(rules, 'detection.yml'), write('empty.jsonl', `${NGROK}\n`)]);
  assert.equal(scan.status, 2);
  assert.match(scan.stderr, /detection\.yml:4:10: YAML: Excessive alias count/);
  assert.doesNotMatch(scan.stderr, /ReferenceError|at Alias/);
});
