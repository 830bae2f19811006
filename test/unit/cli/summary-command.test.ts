import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { runCli } from './run-cli.js';
import { PREFILTER_MIN_BYTES } from '../../../src/pipeline/parallel.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tw-summary-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('scan counts every record it read, prefiltered or parsed; the file list fits a screen unless -v; a scan too small for the prefilter parses every record', () => {
  // 120 records that hold PREFILTER_MIN_BYTES together, so that the prefilter runs
  const padding = 'p'.repeat(Math.ceil(PREFILTER_MIN_BYTES / 120));
  const line = (i: number) => JSON.stringify({ EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Image: `C:\\x\\a${i}.exe`, CommandLine: `a ${i}`, Description: padding });
  for (let f = 0; f < 12; f++) writeFileSync(path.join(dir, `f${String(f).padStart(2, '0')}.jsonl`), `${Array.from({ length: 10 }, (_, i) => line(i)).join('\n')}\n`);
  const brief = runCli(['scan', '-o', '/dev/null', dir]);
  assert.equal(brief.status, 0, brief.stderr);
  assert.match(brief.stderr, /^tunnelwatch: 12 file\(s\), 120 event\(s\) \(0 parsed, 120 ruled out by the prefilter unparsed\)/m);
  assert.equal(brief.stderr.split('\n').filter((l) => /\[jsonl\]: 10 event\(s\)/.test(l)).length, 7);
  assert.match(brief.stderr, /\.\.\. 5 more file\(s\) \(-v lists them all\)/);
  const full = runCli(['scan', '-v', '--no-prefilter', '-o', '/dev/null', dir]);
  assert.match(full.stderr, /^tunnelwatch: 12 file\(s\), 120 event\(s\),/m);
  assert.equal(full.stderr.split('\n').filter((l) => /\[jsonl\]: 10 event\(s\)/.test(l)).length, 12);
  const one = runCli(['scan', '-o', '/dev/null', path.join(dir, 'f00.jsonl')]);
  assert.match(one.stderr, /^tunnelwatch: 1 file\(s\), 10 event\(s\),/m, 'one file, less than PREFILTER_MIN_BYTES: every record parsed');
});

test('usage errors, not silent empty results: --from later than --to, and a --where column no detection outputs (with a suggestion)', () => {
  const range = runCli(['scan', '--from', '2024-05-02', '--to', '2024-05-01', 'examples']);
  assert.equal(range.status, 2);
  assert.match(range.stderr, /--from is later than --to/);
  const where = runCli(['scan', '--where', 'usr="CORP\\\\alice"', 'examples']);
  assert.equal(where.status, 2);
  assert.match(where.stderr, /--where: no selected detection has a column 'usr' \(did you mean 'user'\?\)/);
  const fine = runCli(['scan', '--where', 'user="nobody"', '-o', '/dev/null', 'examples']);
  assert.equal(fine.status, 0, fine.stderr);
});
