import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { examplesDir } from '../../helpers/paths.js';
import { ScaleOut, scaleOutUnavailable, scanJson } from '../../helpers/scale-out.js';

const skip = await scaleOutUnavailable();

describe('a record larger than one NATS message', { skip, timeout: 120_000 }, () => {
  test('publish reports it with its line and goes on (it used to retry forever); the workers then find what scan finds', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tw-too-large-'));
    const s = await ScaleOut.start();
    try {
      const story = readFileSync(path.join(examplesDir, 'sysmon-nxlog.jsonl'), 'utf8').trimEnd().split('\n');
      // 8 MB of base64 (random, so deflate cannot bring it under the server's 1 MiB max_payload) as line 4
      const huge = JSON.stringify({ EventID: 1, CommandLine: randomBytes(6_000_000).toString('base64') });
      const file = path.join(dir, 'with-a-huge-line.jsonl');
      writeFileSync(file, [...story.slice(0, 3), huge, ...story.slice(3)].join('\n') + '\n');

      const summary = await s.publish([file]);
      assert.match(summary, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4 \\(offset \\d+\\): a record of ${huge.length + 1} bytes not published`));
      assert.match(summary, /1 record\(s\) too large for the bus left out/);
      assert.ok((await s.streamMessages()) >= 2, 'the records before and after it were published');

      s.startWorker();
      await s.drained();
      const expected = scanJson([file]);
      assert.ok(Array.isArray(expected) && expected.length > 0, 'the reference scan finds the story (and leaves the huge record out)');
      assert.deepEqual(s.results(), expected);
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
