import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunReport } from '../../../src/diagnostics/run-report.js';
import { formatSummary } from '../../../src/diagnostics/summary.js';

/** 278 files, most of whose records the prefilter ruled out: the case issue 19 saw (59 of 8,255 reported) */
function manyFiles(): RunReport {
  const report = new RunReport();
  for (let i = 0; i < 278; i++) {
    const tally = report.addFile(`samples/file-${String(i).padStart(3, '0')}.evtx`, 'evtx');
    const parsed = i < 59 ? 1 : 0;
    tally.events += parsed;
    if (parsed) report.countEvent('Sysmon EventID 1');
    tally.prefiltered += 29;
    report.prefiltered += 29;
  }
  for (let i = 0; i < 20; i++) report.countEvent(`Windows Event Log Security ${4600 + i}`);
  return report;
}

const summaryOf = (report: RunReport, verbose?: boolean) =>
  formatSummary({ report, records: [], elapsedMs: 1234, detectionNames: ['D'], capsReached: [], verbose });

test('events read count every record, parsed or ruled out by the prefilter, in the total and per file', () => {
  const report = manyFiles();
  assert.equal(report.recordsRead, 59 + 20 + 278 * 29);
  const text = summaryOf(report, true);
  assert.match(text.split('\n')[0], /^tunnelwatch: 278 file\(s\), 8141 event\(s\) \(79 parsed, 8062 ruled out by the prefilter unparsed\)/);
  assert.match(text, /samples\/file-000\.evtx \[evtx\]: 30 event\(s\)/);
  assert.match(text, /samples\/file-277\.evtx \[evtx\]: 29 event\(s\)/);
});

test('the summary fits a screen by default; -v lists every file and data source', () => {
  const report = manyFiles();
  const brief = summaryOf(report).split('\n');
  assert.ok(brief.length < 30, `${brief.length} lines`);
  assert.ok(brief.some((l) => /\.\.\. 271 more file\(s\) \(-v lists them all\)/.test(l)));
  assert.ok(brief.some((l) => /more data source\(s\) \(-v lists them all\)/.test(l)));
  const full = summaryOf(report, true).split('\n');
  assert.equal(full.filter((l) => /\[evtx\]/.test(l)).length, 278);
  assert.equal(full.filter((l) => /Windows Event Log Security/.test(l)).length, 20);
});

test('per-file prefiltered counts survive merging reports from workers', () => {
  const a = new RunReport();
  const b = new RunReport();
  a.addFile('f', 'jsonl').prefiltered = 5;
  b.addFile('f', 'jsonl').prefiltered = 7;
  a.merge(b.toData());
  assert.equal(a.files[0].prefiltered, 12);
});

test('a file named on the command line that yielded no event is a warning; one that did, and files found in directories, are not', () => {
  const report = new RunReport();
  report.addFile('read.jsonl', 'jsonl').events = 3;
  report.addFile('all-prefiltered.evtx', 'evtx').prefiltered = 5;
  report.addFile('empty.evtx', 'evtx');
  const text = formatSummary({ report, records: [], elapsedMs: 1, detectionNames: [], capsReached: [], namedFiles: ['read.jsonl', 'all-prefiltered.evtx', 'empty.evtx', 'banner.txt'] });
  const warnings = text.split('\n').filter((l) => l.startsWith('warning:'));
  assert.deepEqual(warnings, [
    'warning: empty.evtx: named on the command line but no event was read from it',
    'warning: banner.txt: named on the command line but no event was read from it',
  ]);
});

test('what the state caps refused is one warning per state, owner and cause', () => {
  const text = formatSummary({
    report: new RunReport(), records: [], elapsedMs: 1, detectionNames: [],
    capsReached: [{ state: 'finding groups', owner: 'D', cause: 'memory', count: 7 }, { state: 'correlation keys', owner: 'C', cause: 'cap', count: 2 }],
  });
  assert.match(text, /^warning: D: 7 finding groups not kept: the heap was nearly full/m);
  assert.match(text, /^warning: C: 2 correlation keys not kept: over the cap \(raise --max-groups\)$/m);
});
