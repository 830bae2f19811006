import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cycleThrough, cyclicComponents, stageOf } from './import-graph.js';

const edge = (from: string, to: string) => ({ from, to });

test('cyclicComponents finds a three-file cycle and a self-import, and nothing in a graph without cycles', () => {
  const graph = [edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('c', 'd'), edge('e', 'e'), edge('d', 'f')];
  assert.deepEqual(cyclicComponents(graph).sort(), [['a', 'b', 'c'], ['e']]);
  assert.equal(cycleThrough(graph, 'a'), 'a → b → c → a');
  assert.deepEqual(cyclicComponents([edge('a', 'b'), edge('a', 'c'), edge('b', 'c')]), []);
});

test('cyclicComponents handles a chain deeper than the call stack', () => {
  const chain = Array.from({ length: 50_000 }, (_, i) => edge(`n${i}`, `n${i + 1}`));
  assert.deepEqual(cyclicComponents(chain), []);
  assert.equal(cyclicComponents([...chain, edge('n50000', 'n0')])[0].length, 50_001);
});

test('stageOf names the first folder under src/', () => {
  assert.equal(stageOf('src/sources/evtx/tree.ts'), 'sources');
  assert.equal(stageOf('src/cli/main.ts'), 'cli');
});
