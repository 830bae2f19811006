import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { StdinInput, expandInputs, isInputError, readHead } from '../../../src/sources/inputs.js';
import { pickSource, sourceForHead, sources } from '../../../src/sources/registry.js';
import { Sniff, type SourceInput } from '../../../src/sources/source.js';
import type { InputError } from '../../../src/sources/inputs.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tw-inputs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function all(paths: string[]): Promise<(SourceInput | InputError)[]> {
  const out: (SourceInput | InputError)[] = [];
  for await (const x of expandInputs(paths)) out.push(x);
  return out;
}

async function text(input: SourceInput): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of input.open()) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

const JSONL = '{"event_simpleName":"ProcessRollup2"}\n';

test('directories expand recursively in sorted order, skipping hidden entries; missing paths are InputErrors in place', async () => {
  mkdirSync(path.join(dir, 'd/sub'), { recursive: true });
  mkdirSync(path.join(dir, 'd/.git'), { recursive: true });
  writeFileSync(path.join(dir, 'd/b.log'), 'b');
  writeFileSync(path.join(dir, 'd/a.log'), 'a');
  writeFileSync(path.join(dir, 'd/sub/c.log'), 'c');
  writeFileSync(path.join(dir, 'd/.git/HEAD'), 'x');
  const got = await all([path.join(dir, 'missing'), path.join(dir, 'd')]);
  assert.ok(isInputError(got[0]));
  assert.equal((got[0] as InputError).path, path.join(dir, 'missing'));
  assert.deepEqual(got.slice(1).map((g) => path.relative(dir, (g as SourceInput).name)), ['d/a.log', 'd/b.log', 'd/sub/c.log']);
});

test('gzip is detected by magic bytes, not by name, and decompressed by open()', async () => {
  writeFileSync(path.join(dir, 'plain.gz'), JSONL);
  writeFileSync(path.join(dir, 'packed.txt'), gzipSync(JSONL));
  const [plain, packed] = (await all([path.join(dir, 'plain.gz'), path.join(dir, 'packed.txt')])) as SourceInput[];
  assert.equal(await text(plain), JSONL);
  assert.equal(await text(packed), JSONL);
  assert.equal(packed.path, undefined);
  assert.equal((await readHead(packed)).toString(), JSONL);
  assert.equal((await pickSource(packed))?.name, 'jsonl');
});

test('stdin head is replayed: sniffing does not lose bytes, gzip included', async () => {
  for (const payload of [Buffer.from(JSONL.repeat(500)), gzipSync(JSONL.repeat(500))]) {
    const stream = new PassThrough();
    const input = new StdinInput(stream);
    stream.end(payload);
    const head = await readHead(input, 64);
    assert.equal(head.toString(), JSONL.repeat(2).slice(0, 64));
    assert.equal((await pickSource(input))?.name, 'jsonl');
    assert.equal(await text(input), JSONL.repeat(500));
  }
});

test('pickSource sniffs by content and honours a forced format', async () => {
  const mem = (s: string): SourceInput => ({ name: 'm', open: () => { const p = new PassThrough(); p.end(s); return p; } });
  assert.equal((await pickSource(mem("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>")))?.name, 'windows-xml');
  assert.equal((await pickSource(mem('<?xml version="1.0"?>\n<Events><Event>')))?.name, 'windows-xml');
  assert.equal((await pickSource(mem('<Event><System><Provider Name="Linux-Sysmon" Guid="x"/>\n')))?.name, 'syslog');
  assert.equal((await pickSource(mem('Oct 24 17:05:31 host sysmon[3041]: Sysmon v1.0.0\n')))?.name, 'syslog');
  assert.equal((await pickSource(mem('{\n  "Event": {\n')))?.name, 'jsonl');
  assert.equal(await pickSource(mem('hello world\n')), undefined);
  assert.equal(await pickSource(mem('')), undefined);
  assert.equal((await pickSource(mem('hello'), 'syslog'))?.name, 'syslog');
});

test('a certain sniff decides the format at once: the sources after it are not asked; without one, every source is', (t) => {
  const asked: string[] = [];
  for (const source of [sources['windows-xml'], sources.syslog, sources.jsonl]) {
    t.mock.method(source, 'sniff', () => {
      asked.push(source.name);
      return Sniff.notMine;
    });
  }
  const evtxHead = Buffer.concat([Buffer.from('ElfFile\0', 'latin1'), Buffer.alloc(4088)]);
  assert.equal(sourceForHead(evtxHead), sources.evtx);
  assert.deepEqual(asked, []);
  // not certainly EVTX: every other source is asked, in the registry's order
  assert.equal(sourceForHead(Buffer.from('ElfFil')), undefined);
  assert.deepEqual(asked, ['windows-xml', 'syslog', 'jsonl']);
});
