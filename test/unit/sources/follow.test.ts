import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FileFollower } from '../../../src/sources/follow.js';

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
