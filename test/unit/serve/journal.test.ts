import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Journal, type JournalRecord } from '../../../src/ingest/journal.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** a record as the file gives it back: header through JSON (undefined keys dropped), body bytes */
const plain = (r: JournalRecord) => ({ offset: r.offset, next: r.next, header: JSON.parse(JSON.stringify(r.header)) as unknown, body: r.body.toString('hex') });

test('records appended by this process are read from memory exactly as the file holds them; a second read of the same place (a processor restored after a failed commit) reads the file', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-journal-'));
  dirs.push(dir);
  const journal = Journal.open(dir, { segmentBytes: 4096 });
  const appended = await Promise.all(
    Array.from({ length: 40 }, (_, i) => journal.append({ origin: 'hec', format: i % 2 ? undefined : 'windows-xml', host: `h${i}`, digests: [`d${i}`] }, Buffer.from(`event ${i} ${'x'.repeat(i * 37)}\n`))),
  );
  assert.equal(appended.length, 40);
  // the reader takes them in steps, as the processor does (segments rolled at 4 KiB in between)
  const fromMemory: JournalRecord[] = [];
  for (let at = 0; at < journal.end; ) {
    const step = journal.read(at, 1000);
    fromMemory.push(...step);
    at = step[step.length - 1].next;
  }
  const again = journal.read(0, Number.MAX_SAFE_INTEGER);
  journal.close();
  const reopened = Journal.open(dir, { segmentBytes: 4096 });
  const fromFile = reopened.read(0, Number.MAX_SAFE_INTEGER);
  reopened.close();
  assert.equal(fromFile.length, 40);
  assert.deepEqual(fromMemory.map(plain), fromFile.map(plain));
  assert.deepEqual(again.map(plain), fromFile.map(plain));
  assert.deepEqual(fromFile.map((r) => r.offset), appended);
});

test('the reader is served from memory: with the segment files gone from under it, what this process appended is still read (and a restart would read the files)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-journal-'));
  dirs.push(dir);
  const journal = Journal.open(dir);
  await Promise.all([journal.append({ origin: 'hec' }, Buffer.from('one\n')), journal.append({ origin: 'hec' }, Buffer.from('two\n'))]);
  for (const f of readdirSync(dir)) rmSync(path.join(dir, f));
  assert.deepEqual(journal.read(0, Number.MAX_SAFE_INTEGER).map((r) => r.body.toString()), ['one\n', 'two\n']);
  journal.close();
});

test('how long acknowledged records have waited for a reader: none once it has read everything', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-journal-'));
  dirs.push(dir);
  const journal = Journal.open(dir);
  await journal.append({ origin: 'hec' }, Buffer.from('a\n'));
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.ok(journal.waitingSince(0) >= 0.1, `waited ${journal.waitingSince(0)} s`);
  assert.equal(journal.waitingSince(journal.end), 0);
  journal.close();
});

test('closing while a write is in flight: that write is durable and acknowledged, appends queued behind it are refused, and the file holds exactly what was acknowledged', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-journal-'));
  dirs.push(dir);
  const journal = Journal.open(dir);
  const first = journal.append({ origin: 'hec' }, Buffer.from('first\n'));
  // the journal's write starts in this same turn of the loop; its fsync is then in flight
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(journal.queuedBytes > 0, 'the first write waits for its fsync');
  const second = journal.append({ origin: 'hec' }, Buffer.from('second\n'));
  journal.close();
  assert.equal(await first, 0);
  await assert.rejects(second, /journal closed/);
  await assert.rejects(journal.append({ origin: 'hec' }, Buffer.from('third\n')), /journal closed/);
  assert.equal(journal.queuedBytes, 0);
  const reopened = Journal.open(dir);
  assert.deepEqual(reopened.read(0, Number.MAX_SAFE_INTEGER).map((r) => r.body.toString()), ['first\n']);
  reopened.close();
});
