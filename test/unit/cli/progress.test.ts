import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScanProgress } from '../../../src/cli/progress.js';

/** a terminal that records what is drawn on it */
function fakeTerminal(): NodeJS.WritableStream & { drawn: string[] } {
  const drawn: string[] = [];
  const noop = () => true;
  return { isTTY: true, columns: 120, drawn, write: (s: string) => (drawn.push(s), true), cursorTo: noop, clearLine: noop, moveCursor: noop, on: noop, removeListener: noop } as unknown as NodeJS.WritableStream & { drawn: string[] };
}

test('the progress bar draws the scan\'s whole total from its first frame, before any input starts', async () => {
  const terminal = fakeTerminal();
  const progress = await ScanProgress.create(true, 12_300_000, terminal);
  progress.stop();
  const frames = terminal.drawn.filter((s) => s.includes('MB'));
  assert.ok(frames.length > 0, 'a frame was drawn');
  assert.match(frames[0], /0\/12\.3 MB/);
});
