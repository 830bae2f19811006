import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FileFollower, sweepTurn } from '../../../src/sources/follow.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** the complete lines a follower handed on, in order */
async function following(file: string): Promise<{ lines: string[]; follower: FileFollower }> {
  const lines: string[] = [];
  const follower = new FileFollower([file], {
    maxRecordBytes: 1 << 20,
    onChunk: async (chunk) => {
      const text = await readAll(chunk.input.open());
      lines.push(...text.split('\n').filter(Boolean));
    },
    onIdle: async () => undefined,
    onError: (where, error) => assert.fail(`${where}: ${error.message}`),
  });
  await follower.start();
  return { lines, follower };
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await sleep(20);
}

test('follow: lines appended in quick pairs are all read, the last pair too, though the file watcher announces only some writes (chokidar drops a change within 5 ms of the one before)', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-follow-'));
  const file = path.join(dir, 'live.log');
  writeFileSync(file, 'line 0\n');
  const { lines, follower } = await following(file);
  try {
    let written = 1;
    for (let burst = 0; burst < 40; burst++) {
      appendFileSync(file, `line ${written++}\n`);
      appendFileSync(file, `line ${written++}\n`);
      await sleep(25);
    }
    // nothing is written after the last pair: only the follower itself can notice it
    await until(() => lines.length === written, 5_000);
    assert.deepEqual(lines, Array.from({ length: written }, (_, i) => `line ${i}`));
  } finally {
    await follower.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('follow: a sweep looks at a bounded number of files in turn, and every file comes up once per round however many there are', () => {
  for (const [count, max] of [[3, 5], [10, 3], [12, 4], [7, 7], [1000, 512]] as const) {
    const files = Array.from({ length: count }, (_, i) => i);
    const seen = new Map<number, number>();
    let cursor = 0;
    const rounds = Math.ceil(count / max);
    for (let turn = 0; turn < rounds; turn++) {
      const { items, next } = sweepTurn(files, cursor, max);
      assert.ok(items.length <= max, `${items.length} files in one turn, at most ${max}`);
      for (const f of items) seen.set(f, (seen.get(f) ?? 0) + 1);
      cursor = next;
    }
    assert.equal(seen.size, count, `every one of ${count} files in ${rounds} turns of ${max}`);
    // a file comes up twice in a round only where the last turn wraps around to fill itself
    assert.ok([...seen.values()].every((n) => n <= 2));
  }
});
