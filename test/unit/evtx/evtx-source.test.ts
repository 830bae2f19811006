import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EvtxSource, evtxSource } from '../../../src/sources/evtx.js';
import { Sniff, type RawEvent, type RecordPrefilter, type Skip, type SourceContext, type SourceInput } from '../../../src/sources/source.js';
import { sources } from '../../../src/sources/registry.js';
import { bufferInput, dataRoot, fileInput, fixture, hasData, noData, readAll, readBytes } from './helpers.js';
import { families } from '../../../src/families/registry.js';

async function collect(input: SourceInput, extra: Partial<SourceContext> = {}, source = evtxSource): Promise<{ events: RawEvent[]; skips: Skip[] }> {
  const skips: Skip[] = [];
  const events: RawEvent[] = [];
  for await (const e of source.read(input, { maxRecordBytes: 1 << 20, jsonShapes: families.jsonShapes, skip: (s) => skips.push(s), ...extra })) events.push(e);
  return { events, skips };
}

test('sniff is certain on the ElfFile magic and rules out anything else', () => {
  assert.equal(evtxSource.sniff(readBytes(fixture).subarray(0, 4096)), Sniff.certain);
  assert.equal(evtxSource.sniff(Buffer.from('<Event xmlns="x"></Event>')), Sniff.notMine);
  assert.equal(evtxSource.sniff(Buffer.from('ElfFil')), Sniff.notMine);
});

test('the registry offers the evtx source by name', () => {
  assert.equal((sources as Record<string, unknown>).evtx, evtxSource);
});

test('Sysmon records become windows RawEvents with System fields and EventData by name, as Windows XML shows them', async () => {
  const { events, skips } = await collect(fileInput(fixture));
  assert.equal(events.length, 19);
  assert.deepEqual(skips, []);
  const e = events.find((x) => x.system.EventID === '1')!;
  assert.equal(e.family, 'windows');
  assert.equal(e.system.Provider, 'Microsoft-Windows-Sysmon');
  assert.equal(e.system.Channel, 'Microsoft-Windows-Sysmon/Operational');
  assert.match(e.system.TimeCreated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
  assert.match(e.system.EventRecordID, /^\d+$/);
  assert.equal(e.system.UserID, 'S-1-5-18');
  assert.ok(e.system.Computer.length > 0);
  assert.match(e.data.ProcessGuid, /^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$/);
  assert.match(e.data.ProcessId, /^\d+$/);
  assert.ok(e.data.Image.endsWith('.exe'));
  assert.ok('CommandLine' in e.data);
  assert.equal(e.location.file, fixture);
  const bytes = readBytes(fixture);
  for (const ev of events) assert.equal(bytes.readUInt32LE(ev.location.offset!), 0x2a2a, 'offset points at the record magic');
});

test('an input without a path (stdin, .gz, a bus message) streams and gives the same events as the file, in pieces of any size, reused or not', async (t) => {
  // the fixture's chunk three times (the reader counts chunks from the bytes present), as a file and as streams
  const one = readBytes(fixture);
  const bytes = Buffer.concat([one, one.subarray(4096), one.subarray(4096)]);
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-evtx-stream-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'three-chunks.evtx');
  writeFileSync(file, bytes);
  const shape = (r: Awaited<ReturnType<typeof collect>>) => r.events.map((e) => [e.system, e.data, e.location.offset]);
  const fromFile = shape(await collect(fileInput(file)));
  assert.equal(fromFile.length, 3 * shape(await collect(fileInput(fixture))).length, 'every chunk read');
  // slots across pieces are copied; within one piece (64 KiB aligned, 100 kB unaligned, the whole input) they are views of it
  for (const piece of [1234, 65536, 100_000, bytes.length]) {
    assert.deepEqual(shape(await collect(bufferInput('-', bytes, piece))), fromFile, `pieces of ${piece} bytes`);
  }
  // a stream that writes each piece into the same memory, as a plain file's reader does: a slot must not be read after the next is asked for
  const reused: SourceInput = {
    name: '-',
    async *open() {
      const block = Buffer.alloc(100_000);
      for (let at = 0; at < bytes.length; at += block.length) {
        const n = bytes.copy(block, 0, at, Math.min(at + block.length, bytes.length));
        yield block.subarray(0, n);
        block.fill(0xee);
      }
    },
  };
  assert.deepEqual(shape(await collect(reused)), fromFile, 'pieces written into one reused block');
});

test('the prefilter sees each record\'s BinXML before decoding, and refused records are counted, not decoded', async () => {
  const seen: number[] = [];
  let prefiltered = 0;
  const mayMatchUtf16 = (bytes: Uint8Array, start = 0, end = bytes.length) => {
    seen.push(end - start);
    // keep only records whose UTF-16 payload mentions cmd.exe (strings may start at odd offsets)
    const b = Buffer.from(bytes.subarray(start, end));
    return [b, b.subarray(1)].some((x) => x.toString('utf16le').toLowerCase().includes('cmd.exe'));
  };
  const prefilter: RecordPrefilter = {
    mayMatchText: () => true,
    mayMatchBytes: () => true,
    mayMatchUtf16,
    mayMatchUtf16Each: (bytes, ranges, passed) => {
      for (let i = 0; i < ranges.length; i += 2) passed[i / 2] = mayMatchUtf16(bytes, ranges[i], ranges[i + 1]) ? 1 : 0;
    },
  };
  const { events } = await collect(fileInput(fixture), { prefilter, prefiltered: (n) => { prefiltered += n; } });
  assert.equal(seen.length, 19);
  assert.ok(events.length > 0 && events.length < 19);
  assert.equal(events.length + prefiltered, 19);
  for (const e of events) assert.ok(JSON.stringify(e).toLowerCase().includes('cmd.exe'));
});

test('worker-thread decoding gives exactly the single-thread events, in order', { skip: hasData ? false : noData }, async () => {
  const file = path.join(dataRoot, 'evtx-security/omerbenamram-security.evtx');
  const single = await readAll(fileInput(file), 'fields', {}, 0);
  const parallel = await readAll(fileInput(file), 'fields', {}, 2);
  assert.equal(parallel.records.length, 2261);
  assert.deepEqual(parallel.records, single.records);
  const viaSource = await collect(fileInput(file), {}, new EvtxSource({ threads: 2 }));
  assert.equal(viaSource.events.length, 2261);
});

test('a file that is not EVTX at all is reported, not thrown', async () => {
  const { events, skips } = await collect(bufferInput('junk', Buffer.alloc(70000, 0x41)));
  assert.equal(events.length, 0);
  assert.ok(skips.some((s) => s.code === 'evtx-bad-header'));
  assert.ok(skips.some((s) => s.code === 'evtx-bad-chunk' || s.code === 'evtx-truncated'));
});
