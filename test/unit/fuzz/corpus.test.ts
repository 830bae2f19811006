/**
 * The fuzz corpus (test/fixtures/fuzz-corpus): every input that once hung, crashed or lost events,
 * replayed through the path a scan takes, with the outcome it must have now.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseCorrelation } from '../../../src/rules/correlation.js';
import { parseDetection } from '../../../src/rules/escu.js';
import { expandInputs, isInputError } from '../../../src/sources/inputs.js';
import { pickSource } from '../../../src/sources/registry.js';
import type { RawEvent, Skip } from '../../../src/sources/source.js';
import { repoRoot } from '../../helpers/paths.js';
import { families } from '../../../src/families/registry.js';

const corpus = path.join(repoRoot, 'test/fixtures/fuzz-corpus');
type Expected = { events: number; skips: string[] } | { errors: string[] };
const expected = JSON.parse(readFileSync(path.join(corpus, 'expected.json'), 'utf8')) as Record<string, Expected>;

test('every corpus file has an expected outcome, and every expected outcome a file', () => {
  const files = readdirSync(corpus).filter((f) => f !== 'expected.json' && f !== 'README.md').sort();
  assert.deepEqual(files, Object.keys(expected).sort());
});

for (const [name, want] of Object.entries(expected)) {
  test(`corpus ${name}: ${'errors' in want ? `errors at ${want.errors.join(', ')}` : `${want.events} event(s), skips ${want.skips.join(', ') || 'none'}`}`, async () => {
    const file = path.join(corpus, name);
    if ('errors' in want) {
      const text = readFileSync(file, 'utf8');
      const errors = name.startsWith('correlation') ? parseCorrelation(file, text).errors : parseDetection(file, text).errors;
      assert.deepEqual(errors.map((e) => `${e.line}:${e.col}`), want.errors);
      return;
    }
    const events: RawEvent[] = [];
    const skips: Skip[] = [];
    const started = performance.now();
    for await (const input of expandInputs([file])) {
      assert.ok(!isInputError(input));
      const source = await pickSource(input);
      assert.ok(source, 'a format is recognised');
      for await (const ev of source.read(input, { maxRecordBytes: 1 << 20, jsonShapes: families.jsonShapes, skip: (s) => skips.push(s) })) events.push(ev);
    }
    assert.ok(performance.now() - started < 5000);
    assert.equal(events.length, want.events);
    assert.deepEqual([...new Set(skips.map((s) => s.code))].sort(), want.skips);
  });
}
