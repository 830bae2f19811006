import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cycleThrough, cyclicComponents, importEdges, stageOf, type ImportEdge } from './import-graph.js';
import { repoRoot } from '../helpers/paths.js';

/**
 * The stage folders of `src/`, bottom-up: a file may import from its own stage or a lower one,
 * never a higher one. Stages on one rank (pipeline and sinks) must not import each other in both
 * directions (the folder-cycle check catches that). A new folder takes a rank here.
 */
const stageRanks: Record<string, number> = {
  diagnostics: 0,
  sources: 1,
  ingest: 1,
  cim: 2,
  // an event family's JSON shapes (sources), tables (cim) and dump rendering, put together and passed down
  families: 3,
  rules: 4,
  engine: 5,
  pipeline: 6,
  sinks: 6,
  store: 6,
  serve: 7,
  dashboard: 7,
  cli: 7,
  bus: 7,
};

interface KnownCycle {
  /** what the cycle is, who is cutting it, and where */
  readonly name: string;
  /** the imports that close it (or that point up the layers); each must still exist */
  readonly imports: ReadonlyArray<readonly [from: string, to: string]>;
}

/**
 * Cycles and upward imports that exist today and are being cut. The list only shrinks: an import
 * listed here that no longer exists fails the test (delete its entry), and any import that closes a
 * cycle or points up the layers and is not listed fails it too.
 */
const knownCycles: readonly KnownCycle[] = [];

const edges = importEdges(repoRoot);
const key = (from: string, to: string) => `${from} → ${to}`;
const allowed = new Set(knownCycles.flatMap((c) => c.imports.map(([from, to]) => key(from, to))));
const checked = edges.filter((e) => !allowed.has(key(e.from, e.to)));

test('the import graph is read: src/ has files and imports between stage folders', () => {
  assert.ok(edges.length > 100, `only ${edges.length} imports found under src/`);
  assert.ok(edges.some((e) => e.from === 'src/cli/main.ts'), 'src/cli/main.ts imports nothing?');
});

test('no import cycle between files of src/ (beyond the known cycles listed, each being cut)', () => {
  const cycles = cyclicComponents(checked).map((component) => cycleThrough(checked, component[0]));
  assert.deepEqual(cycles, [], `import cycles:\n${cycles.join('\n')}`);
});

test('every stage folder of src/ has a layer, and no file imports from a higher layer (beyond the known cycles listed)', () => {
  const stages = new Set(edges.flatMap((e) => [stageOf(e.from), stageOf(e.to)]));
  const unranked = [...stages].filter((s) => !(s in stageRanks));
  assert.deepEqual(unranked, [], `give each new stage folder a rank in stageRanks (test/architecture/import-cycles.test.ts)`);
  const upward = checked
    .filter((e) => stageRanks[stageOf(e.from)] < stageRanks[stageOf(e.to)])
    .map((e) => key(e.from, e.to));
  assert.deepEqual(upward, [], `imports up the layers (${Object.keys(stageRanks).join(' < ')}):\n${upward.join('\n')}`);
});

test('no import cycle between stage folders (same-rank folders included)', () => {
  const folderEdges: ImportEdge[] = checked
    .map((e) => ({ from: stageOf(e.from), to: stageOf(e.to) }))
    .filter((e) => e.from !== e.to);
  const cycles = cyclicComponents(folderEdges).map((component) => cycleThrough(folderEdges, component[0]));
  assert.deepEqual(cycles, [], `folder cycles:\n${cycles.join('\n')}`);
});

test('the known-cycle list only names imports that still exist (delete an entry once its cycle is cut)', () => {
  const present = new Set(edges.map((e) => key(e.from, e.to)));
  const stale = knownCycles.flatMap((c) => c.imports.filter(([from, to]) => !present.has(key(from, to))).map(([from, to]) => `${c.name}: ${key(from, to)}`));
  assert.deepEqual(stale, [], 'these imports are gone: delete them from knownCycles');
});
