import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { dataRoot, fileInput, hasData, noData, readAll } from './helpers.js';

const root = path.join(dataRoot, 'sigma-regression');

function evtxFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? evtxFiles(p) : p.endsWith('.evtx') ? [p] : [];
  });
}

/**
 * Values compared as strings: the twins were rendered by a tool that trims trailing whitespace and
 * (once) changed a path's case, and SystemTime may carry 6 to 9 fractional digits.
 */
function norm(v: unknown): string {
  const s = String(v).trim().toLowerCase().replace(/^\{(.*)\}$/, '$1');
  const t = /^(\d{4}-\d\d-\d\dt\d\d:\d\d:\d\d\.\d{6})\d*z$/.exec(s);
  return t ? t[1] : s;
}

function leaves(v: unknown, prefix: string, out: Map<string, string>): Map<string, string> {
  if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) leaves(x, `${prefix}.${k}`, out);
  else out.set(prefix, norm(v));
  return out;
}

test('every sigma-regression .evtx decodes to the same System and EventData/UserData values as its .json twin', { skip: hasData ? false : noData }, async (t) => {
  const files = evtxFiles(root).filter((p) => existsSync(p.replace(/\.evtx$/, '.json')));
  assert.ok(files.length >= 100, 'the regression subset is present');
  let events = 0;
  for (const file of files) {
    await t.test(path.relative(root, file), async () => {
      const twin = readFileSync(file.replace(/\.evtx$/, '.json'), 'utf8');
      const expected = twin.split(/\n(?=\{)/).filter((s) => s.trim()).map((s) => JSON.parse(s) as unknown);
      const { records } = await readAll(fileInput(file), 'json');
      assert.equal(records.length, expected.length);
      records.forEach((r, i) => {
        assert.deepEqual(leaves(JSON.parse(r.out as string), '', new Map()), leaves(expected[i], '', new Map()));
      });
      events += records.length;
    });
  }
  assert.ok(events >= files.length, 'at least one event per file');
});
