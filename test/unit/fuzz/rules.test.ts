/**
 * Fuzz tests of the rule loaders (ESCU detections, correlations, tuning, the ATT&CK table): mutated
 * copies of the shipped content must never throw and must report every problem at a real
 * file:line:col, in bounded time.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseCorrelation } from '../../../src/rules/correlation.js';
import { parseDetection } from '../../../src/rules/escu.js';
import { parseTacticTable } from '../../../src/rules/mitre-load.js';
import type { ContentError } from '../../../src/rules/search-plan.js';
import { parseTuning } from '../../../src/rules/tuning.js';
import { bindSigmaCorrelations } from '../../../src/rules/sigma/bind-correlations.js';
import { parseSigmaFile } from '../../../src/rules/sigma/collection.js';
import { repoRoot } from '../../helpers/paths.js';
import { applyMutations, FUZZ_RUNS, FUZZ_SEED, mutations } from './mutations.js';

const content = path.join(repoRoot, 'content');
const TIME_BOUND_MS = 3000;

/** YAML-significant text mixed into the mutations, besides random bytes */
const yamlBits = ['&a ', '*a', ': ', '- ', '[', ']', '{', '}', '|', '>', '"', "'", '#', '\n', '\n  ', '\t', '!!binary ', '<<: *a', '%YAML 1.2\n---\n', '$', '`'];

function located(errors: ContentError[], file: string, text: string): void {
  const lines = text.split('\n').length;
  for (const e of errors) {
    assert.equal(e.file, file);
    assert.ok(Number.isInteger(e.line) && e.line >= 1 && e.line <= lines + 1, `line ${e.line} of ${lines}: ${e.message}`);
    assert.ok(Number.isInteger(e.col) && e.col >= 1, `col ${e.col}: ${e.message}`);
    assert.ok(e.message.length > 0);
  }
}

/** a Sigma file's load problems: its documents', then its correlations' binding to its rules */
function sigmaProblems(file: string, text: string): ContentError[] {
  const parsed = parseSigmaFile(file, text);
  return [...parsed.notLoaded, ...bindSigmaCorrelations(parsed.correlations, parsed.detections).notLoaded];
}

const loaders: Array<[string, string, (file: string, text: string) => ContentError[]]> = [
  ['detection', 'detections/linux_ngrok_reverse_proxy_usage.yml', (f, t) => parseDetection(f, t).errors],
  ['Sigma correlation (multi-document)', '../test/fixtures/sigma/mr_ngrok_start_then_tunnel_dns.yml', sigmaProblems],
  ['correlation', 'correlations/confirmed_tunnel_process_beacon.yml', (f, t) => parseCorrelation(f, t).errors],
  ['technique table', 'mitre/techniques.yml', (f, t) => parseTacticTable(f, t).errors],
];

const textMutation = fc.tuple(mutations, fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.constantFrom(...yamlBits)), { maxLength: 4 }));

function mutateText(text: string, [ms, inserts]: [Parameters<typeof applyMutations>[1], Array<[number, string]>]): string {
  let s = applyMutations(Buffer.from(text), ms).bytes.toString('utf8');
  for (const [at, bit] of inserts) {
    const p = Math.floor(at * s.length);
    s = s.slice(0, p) + bit + s.slice(p);
  }
  return s;
}

for (const [kind, rel, load] of loaders) {
  test(`fuzz ${kind} loader: mutated files never throw and every error is at a real line:col`, () => {
    const file = path.join(content, rel);
    const clean = readFileSync(file, 'utf8');
    assert.deepEqual(load(file, clean), [], 'the shipped file loads cleanly');
    fc.assert(
      fc.property(textMutation, (m) => {
        const text = mutateText(clean, m);
        const started = performance.now();
        const errors = load(file, text);
        assert.ok(performance.now() - started < TIME_BOUND_MS);
        located(errors, file, text);
      }),
      { numRuns: FUZZ_RUNS, seed: FUZZ_SEED },
    );
  });
}

test('fuzz tuning loader: mutated tuning files never throw and every error is at a real line:col', () => {
  const file = path.join(content, 'tuning.example.yml');
  const clean = readFileSync(file, 'utf8');
  const detections = parseDetection('d.yml', readFileSync(path.join(content, 'detections/linux_ngrok_reverse_proxy_usage.yml'), 'utf8')).detections;
  fc.assert(
    fc.property(textMutation, (m) => {
      const text = mutateText(clean, m);
      located(parseTuning(file, text, detections).errors, file, text);
    }),
    { numRuns: FUZZ_RUNS, seed: FUZZ_SEED },
  );
});
