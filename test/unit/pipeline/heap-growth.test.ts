import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

const helper = pathToFileURL(path.resolve(import.meta.dirname, '../../../src/pipeline/heap-growth.js')).href;

/**
 * A program shaped like a stream pipeline's garbage: a steady live set, and objects that live
 * through a few scavenges (so they are promoted) before they die. It prints the largest the old
 * space got and what a full collection leaves of it at the end.
 */
const churn = `
import v8 from 'node:v8';
import { boundHeapGrowth } from ${JSON.stringify(helper)};
if (process.argv[2] === 'bounded') boundHeapGrowth();
const oldSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space');
const live = [];
for (let i = 0; i < 150_000; i++) live.push({ id: i, text: \`live-\${i}-\`.repeat(4) });
const ring = new Array(20_000);
let largest = 0;
for (let round = 0; round < 250; round++) {
  for (let i = 0; i < ring.length; i++) ring[i] = { round, i, text: \`churn-\${round}-\${i}\`.repeat(3) };
  for (let j = 0; j < 20_000; j++) void { j, s: \`g\${j}\` };
  largest = Math.max(largest, oldSpace().space_size);
}
globalThis.gc();
process.stdout.write(JSON.stringify({ largest, live: oldSpace().space_used_size, kept: live.length }));
`;

function run(dir: string, mode: 'bounded' | 'default'): { largest: number; live: number } {
  const res = spawnSync(process.execPath, ['--expose-gc', path.join(dir, 'churn.mjs'), mode], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  return JSON.parse(res.stdout) as { largest: number; live: number };
}

describe('boundHeapGrowth', () => {
  it('keeps the old space of a fast-allocating process far below what V8 lets it reach by default', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tw-heap-growth-'));
    try {
      writeFileSync(path.join(dir, 'churn.mjs'), churn);
      const unbounded = run(dir, 'default');
      const bounded = run(dir, 'bounded');
      // the same program keeps the same live data either way
      assert.ok(Math.abs(bounded.live - unbounded.live) < 0.1 * unbounded.live, `live ${bounded.live} vs ${unbounded.live}`);
      // V8's own factor lets this program's old space reach ~6x its live data; bounded, ~3x (garbage promoted during marking counts too)
      assert.ok(unbounded.largest > 4 * unbounded.live, `default: largest old space ${unbounded.largest}, live ${unbounded.live}`);
      assert.ok(bounded.largest < 0.6 * unbounded.largest, `bounded: largest old space ${bounded.largest} against ${unbounded.largest} by default`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
