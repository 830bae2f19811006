import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { FindingRecord } from '../../../src/engine/render.js';
import type { SinkContext } from '../../../src/sinks/sink.js';
import { tableSink } from '../../../src/sinks/table.js';
import { findingRecord } from '../../contracts/finding-output.js';

function table(records: FindingRecord[], ctx: SinkContext): string {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => { text += d; });
  tableSink.write(records, out, ctx);
  return text;
}

/** findings of one detection */
const ofOneDetection = (...extras: Array<Record<string, string | number | null>>) =>
  extras.map((e) => ({ ...findingRecord(e), detection_id: 'd1' }));

test('in a terminal, every row fits its width: the widest columns give way', () => {
  const records = ofOneDetection({ process: 'p'.repeat(300), user: 'u'.repeat(120) }, { process: 'short', user: 'CORP\\bob' });
  for (const columns of [80, 120, 200]) {
    const text = table(records, { isTTY: true, columns });
    const rows = text.split('\n').filter((l) => l.startsWith('  ') && !l.startsWith('    '));
    assert.ok(rows.length >= 3);
    for (const row of rows) assert.ok(row.length <= columns, `${row.length} > ${columns}`);
    assert.match(text, /p…/, 'a cut value ends in an ellipsis');
  }
});

test('values are shown as they are: spaces kept, control characters as control pictures, one line per row', () => {
  const [r] = ofOneDetection({ process: 'ngrok  tcp\t3389\nsecond line \x1b[31mred' });
  const text = table([r], { isTTY: false });
  assert.match(text, /ngrok {2}tcp␉3389␊second line ␛\[31mred/);
  assert.doesNotMatch(text, /\x1b/);
});

test('rows are in time order within a detection', () => {
  const records = ofOneDetection({ firstTime: '2024-05-03 00:00:00', dest: 'third' }, { firstTime: '2024-05-01 00:00:00', dest: 'first' }, { firstTime: '2024-05-02 00:00:00', dest: 'second' });
  const text = table(records, { isTTY: false });
  const order = ['first', 'second', 'third'].map((d) => text.indexOf(d));
  assert.deepEqual([...order].sort((a, b) => a - b), order);
});

test('colour by detection type only where allowed (a terminal without NO_COLOR)', () => {
  const records = ofOneDetection({});
  assert.match(table(records, { isTTY: true, color: true, columns: 200 }), /^\x1b\[1;31mWindows Ngrok Reverse Proxy Usage/);
  assert.doesNotMatch(table(records, { isTTY: true, color: false, columns: 200 }), /\x1b/);
  assert.doesNotMatch(table(records, { isTTY: false }), /\x1b/);
});

test('each row says where its finding came from: the first evidence places and how many events more', () => {
  const [r] = ofOneDetection({});
  const text = table([{ ...r, evidence_count: 7 }], { isTTY: false });
  assert.match(text, /⌂ from C:\\logs\\Sysmon "a,b"\.evtx#4242, sysmon\.jsonl:\d+ \(\+5 more\)/);
});
